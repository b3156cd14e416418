"""Organizations: the listing (the screen's columns, filters and order, in SQL) and the org's own
fields (create, update; a status of "deleted" is the screens' soft delete, never a row delete)."""
from flask import g
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import fields, validate
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema

from .. import accounts, audit
from ..extensions import db
from ..models import DevPlan, Organization, OrgListing, OrgStatus
from ..roles import ORG_RECORDS_API, ORGS_API
from .base import AdminRestApi, AuditedRestApi, route
from .fields import PlanCode

_LISTED = ["id", "name", "billing_email", "plan", "dev_plan", "status", "created_at",
           "credits", "all_time_credits", "total_spent"]


class OrgApi(AdminRestApi):
    """GET /api/v1/admin/orgs/ and /<id>: money columns are integer credits (1 USD = 1,000,000)."""

    datamodel = SQLAInterface(OrgListing)
    resource_name = "orgs"
    route_base = route("orgs")
    class_permission_name = ORGS_API
    base_permissions = ["can_get"]
    include_route_methods = {"get", "get_list"}
    openapi_spec_tag = "Admin: organizations"
    list_columns = show_columns = order_columns = _LISTED
    search_columns = _LISTED
    base_order = ("created_at", "desc")
    base_filters = [["status", FilterNotEqual, OrgStatus.deleted]]  # soft-deleted orgs are not listed


class _OrgSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Organization
        load_instance = True
        sqla_session = db.session
        fields = ("id", "name", "billing_email", "plan", "dev_plan", "status")
        dump_only = ("id",)

    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    billing_email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    plan = PlanCode(required=True)
    dev_plan = fields.Enum(DevPlan, by_value=True, load_default=DevPlan.none)
    status = fields.Enum(OrgStatus, by_value=True, load_default=OrgStatus.active)


class _OrgEditSchema(_OrgSchema):
    name = fields.String(validate=validate.Length(min=1, max=128))
    plan = PlanCode()
    dev_plan = fields.Enum(DevPlan, by_value=True)
    status = fields.Enum(OrgStatus, by_value=True)


class OrgRecordApi(AuditedRestApi):
    """POST /api/v1/admin/orgs/ and PUT /<id>: Admin only, like the screens' org form."""

    datamodel = SQLAInterface(Organization)
    resource_name = "orgs"
    route_base = route("orgs")
    class_permission_name = ORG_RECORDS_API
    base_permissions = ["can_post", "can_put"]
    include_route_methods = {"post", "put"}
    openapi_spec_tag = "Admin: organizations"
    add_columns = edit_columns = ["name", "billing_email", "plan", "dev_plan", "status"]
    add_model_schema = _OrgSchema()
    edit_model_schema = _OrgEditSchema()
    audit_type = "org"
    audit_columns = ["name", "billing_email", "plan_id", "dev_plan", "status"]

    def snapshot(self, item) -> dict:
        data = super().snapshot(item)
        data.pop("plan_id")  # the schema sets the relationship; plan_id only follows at flush
        return {**data, "plan": item.plan.code if item.plan else None}

    def pre_add(self, item):
        if item.status == OrgStatus.deleted:
            item.status = OrgStatus.active  # an org is never created deleted
        accounts.add_org(item)
        audit.record("org.create", item, {"after": self.snapshot(item)}, actor=g.user)

    def pre_update(self, item):
        before = g.get("audit_before", {})
        super().pre_update(item)
        accounts.apply_status(item, before.get("status"))  # the screens' consequences too
