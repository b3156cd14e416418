"""Organizations: the list (sorted and filtered in SQL over orgs, plans and wallets) and the
detail page with metrics, credits, subscription, projects, keys, logs and members."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import accounts, audit
from ..extensions import db
from ..models import ApiKey, KeyStatus, Organization, OrgListing, OrgStatus
from ..roles import ORG_RECORDS, ORGS

from .base import AuditedModelView, enum_value, money_cell, when
from .money_filters import MoneyInterface
from .org_credits import CreditFormsMixin
from .org_customers import MEMBER_ROLES, OrgCustomersMixin
from .csv_export import ExportButtonMixin
from .org_export import OrgExportMixin
from .org_detail import detail_context
from .org_subscription import SubscriptionRoutesMixin

class OrgView(CreditFormsMixin, SubscriptionRoutesMixin, OrgCustomersMixin, OrgExportMixin, ExportButtonMixin, ModelView):
    datamodel = MoneyInterface(OrgListing, ("credits", "all_time_credits", "total_spent"))
    route_base = "/admin/orgs"
    class_permission_name = ORGS
    base_permissions = ["can_list", "can_detail", "can_gift", "can_adjust", "can_revoke_key", "can_delete_org",
                        "can_create_org", "can_members", "can_keys", "can_export", "can_cancel_subscription"]
    list_template = "admin/orgs_list.html"
    export_params = {"plan": "plan", "status": "status"}

    list_title = _l("Organizations")
    list_columns = ["name_and_id", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                    "total_spent", "created_at", "status"]
    search_columns = ["name", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                      "total_spent", "created_at", "status", "id"]
    order_columns = ["name_and_id", "billing_email", "plan", "dev_plan", "credits", "all_time_credits",
                     "total_spent", "created_at", "status"]
    base_order = ("created_at", "desc")
    base_filters = [["status", FilterNotEqual, OrgStatus.deleted]]  # soft-deleted orgs are not listed
    label_columns = {
        "name_and_id": _l("Name"), "name": _l("Name"), "id": _l("Id"), "billing_email": _l("Billing email"),
        "plan": _l("Plan"), "dev_plan": _l("Dev plan"), "credits": _l("Credits"),
        "all_time_credits": _l("All-time credits"), "total_spent": _l("Total spent"),
        "created_at": _l("Created"), "status": _l("Status"),
    }
    formatters_columns = {"credits": money_cell, "all_time_credits": money_cell, "total_spent": money_cell,
                          "dev_plan": enum_value, "status": enum_value,
                          "created_at": when, "billing_email": lambda v: v or "—"}

    @expose("/<int:pk>/")
    @has_access
    def detail(self, pk):
        org = db.session.get(Organization, pk) or abort(404)
        page = self.render_template("admin/org_detail.html", member_roles=MEMBER_ROLES, **detail_context(org))
        # Data-access log: staff opened this customer's members, transactions and request logs.
        audit.record("data.view", org, {"screen": "organization", "sections": ["members", "transactions",
                                                                             "request_logs"],
                                        "query": request.query_string.decode()[:200] or None})
        db.session.commit()
        return page

    @expose("/<int:pk>/keys/<int:key_id>/revoke", methods=["POST"])
    @has_access
    def revoke_key(self, pk, key_id):
        key = db.session.get(ApiKey, key_id)
        if key is None or key.org_id != pk:
            abort(404)
        if key.status != KeyStatus.revoked:
            before = key.status.value
            accounts.revoke_keys(ApiKey.id == key.id)
            audit.record("key.revoke", key, {"before": {"status": before}, "after": {"status": "revoked"},
                                              "org_id": pk, "prefix": key.prefix})
            db.session.commit()
            flash(_l("Key %(prefix)s revoked.", prefix=key.prefix), "success")
        return redirect(url_for("OrgView.detail", pk=pk))

    @expose("/<int:pk>/delete", methods=["GET", "POST"])
    @has_access
    def delete_org(self, pk):
        """Soft delete after typing the org's name: keys revoked, wallet and ledger kept."""
        org = db.session.get(Organization, pk) or abort(404)
        if org.status == OrgStatus.deleted:
            flash(_("Organization %(name)s is already deleted.", name=org.name), "info")
            return redirect(url_for("OrgView.detail", pk=pk))
        if request.method == "POST":
            if request.form.get("confirm_name", "").strip() != org.name:
                flash(_("Name: type %(name)s exactly to confirm the deletion", name=org.name), "danger")
                return self.render_template("admin/org_delete.html", org=org), 400
            before = org.status.value
            revoked = accounts.soft_delete_org(org)
            audit.record("org.delete", org, {"before": {"status": before}, "after": {"status": "deleted"},
                                             "revoked_key_ids": revoked})
            db.session.commit()
            flash(_("Organization %(name)s deleted.", name=org.name), "success")
            return redirect(url_for("OrgView.list"))
        return self.render_template("admin/org_delete.html", org=org)


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
        before_status = g.get("audit_before", {}).get("status")
        super().pre_update(item)
        accounts.apply_status(item, before_status)  # "deleted" is the delete page's soft delete
        if before_plan != item.plan.code:
            audit.record("org.plan_change", item, {"before": {"plan": before_plan}, "after": {"plan": item.plan.code}})

    def get_redirect(self):
        # Back to the detail page the edit was opened from; this view has no list of its own.
        pk = (request.view_args or {}).get("pk")
        return url_for("OrgView.detail", pk=pk) if pk else super().get_redirect()
