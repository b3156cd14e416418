"""Organizations: the list (sorted and filtered in SQL over orgs, plans and wallets) and the
detail page with metrics, credits, subscription, projects, keys, logs and members."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..models import ApiKey, KeyStatus, Organization, OrgListing, utcnow
from ..roles import ORG_RECORDS, ORGS
from flask_appbuilder import ModelView

from .base import AuditedModelView, enum_value, usd
from .org_credits import CreditFormsMixin
from .org_detail import detail_context

class OrgView(CreditFormsMixin, ModelView):
    datamodel = SQLAInterface(OrgListing)
    route_base = "/admin/orgs"
    class_permission_name = ORGS
    base_permissions = ["can_list", "can_detail", "can_gift", "can_adjust", "can_revoke_key"]

    list_title = _l("Organizations")
    list_columns = ["name_and_id", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                    "total_spent", "created_at", "status"]
    search_columns = ["name", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                      "total_spent", "created_at", "status", "id"]
    order_columns = ["name_and_id", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                     "total_spent", "created_at", "status"]
    base_order = ("created_at", "desc")
    label_columns = {
        "name_and_id": _l("Name"), "name": _l("Name"), "id": _l("Id"), "billing_email": _l("Billing email"),
        "plan": _l("Plan"), "dev_plan": _l("Dev plan"), "credits": _l("Credits"),
        "all_time_credits": _l("All-time credits"), "total_spent": _l("Total spent"),
        "created_at": _l("Created"), "status": _l("Status"),
    }
    formatters_columns = {"credits": usd, "all_time_credits": usd, "total_spent": usd,
                          "dev_plan": enum_value, "status": enum_value,
                          "created_at": lambda v: v.strftime("%Y-%m-%d %H:%M")}

    @expose("/<int:pk>/")
    @has_access
    def detail(self, pk):
        org = db.session.get(Organization, pk) or abort(404)
        return self.render_template("admin/org_detail.html", **detail_context(org))

    @expose("/<int:pk>/keys/<int:key_id>/revoke", methods=["POST"])
    @has_access
    def revoke_key(self, pk, key_id):
        key = db.session.get(ApiKey, key_id)
        if key is None or key.org_id != pk:
            abort(404)
        if key.status != KeyStatus.revoked:
            before = key.status.value
            key.status, key.revoked_at = KeyStatus.revoked, utcnow()
            audit.record("key.revoke", key, {"before": {"status": before}, "after": {"status": "revoked"},
                                              "org_id": pk, "prefix": key.prefix})
            db.session.commit()
            flash(_l("Key %(prefix)s revoked.", prefix=key.prefix), "success")
        return redirect(url_for("OrgView.detail", pk=pk))


class OrgRecordView(AuditedModelView):
    """Edits an organization's own fields (plan, dev plan, status, billing email); opened from the detail page."""

    datamodel = SQLAInterface(Organization)
    route_base = "/admin/org-records"
    class_permission_name = ORG_RECORDS
    base_permissions = ["can_edit"]
    audit_type = "org"
    audit_columns = ["name", "billing_email", "dev_plan", "status"]
    edit_columns = ["name", "billing_email", "plan", "dev_plan", "status"]
    label_columns = {"name": _l("Name"), "billing_email": _l("Billing email"), "plan": _l("Plan"),
                     "dev_plan": _l("Dev plan"), "status": _l("Status")}

    def snapshot(self, item) -> dict:
        # The form sets the plan relationship; plan_id only follows at flush.
        return {**super().snapshot(item), "plan": item.plan.code if item.plan else None}

    def pre_update(self, item):
        before_plan = g.get("audit_before", {}).get("plan")
        super().pre_update(item)
        if before_plan != item.plan.code:
            audit.record("org.plan_change", item, {"before": {"plan": before_plan}, "after": {"plan": item.plan.code}})

    def get_redirect(self):
        # Back to the detail page the edit was opened from; this view has no list of its own.
        pk = (request.view_args or {}).get("pk")
        return url_for("OrgView.detail", pk=pk) if pk else super().get_redirect()
