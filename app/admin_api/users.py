"""Users: list and read (Support, Auditor, Admin); create and update (Admin).

A created user is a customer account with its personal wallet (app/accounts.py), as the
console's sign-up makes; platform roles stay on FAB's own security screens.
"""
from flask import g, request
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from sqlalchemy import func, select

from .. import accounts, audit
from ..extensions import db
from ..models import TollgateUser, UserTier
from ..roles import USERS_API
from ..signin import passwords
from .base import AuditedRestApi, route

_LISTED = ["id", "username", "email", "first_name", "last_name", "tier", "active", "created_on", "last_login"]
_AUDITED = ["username", "email", "first_name", "last_name", "tier", "active"]


def _taken(column, value) -> bool:
    """Whether another user already holds ``value`` (case-insensitively), the edited one aside."""
    query = select(TollgateUser.id).where(func.lower(column) == value.strip().lower())
    pk = (request.view_args or {}).get("pk")
    if pk is not None:
        query = query.where(TollgateUser.id != int(pk))
    return db.session.scalar(query.limit(1)) is not None


def _free_email(value: str) -> None:
    if _taken(TollgateUser.email, value):
        raise ValidationError("another user has this email")


def _free_username(value: str) -> None:
    if _taken(TollgateUser.username, value):
        raise ValidationError("another user has this username")


def _password_rule(value: str) -> None:
    problem = passwords.problem(value) if value else None  # "" = no password
    if problem:
        raise ValidationError(problem)


class _NewUserSchema(Schema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), _free_username])
    email = fields.Email(required=True, validate=[validate.Length(max=320), _free_email])
    first_name = fields.String(load_default="", validate=validate.Length(max=64))
    last_name = fields.String(load_default="", validate=validate.Length(max=64))
    # Optional: without one the account signs in through a provider or a reset link only.
    password = fields.String(load_only=True, load_default="", validate=_password_rule)
    tier = fields.Enum(UserTier, by_value=True, load_default=UserTier.individual)


class _UserEditSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = TollgateUser
        load_instance = True
        sqla_session = db.session
        fields = ("email", "first_name", "last_name", "tier", "active")

    email = fields.Email(validate=[validate.Length(max=320), _free_email])
    first_name = fields.String(validate=validate.Length(min=1, max=64))
    last_name = fields.String(validate=validate.Length(min=1, max=64))
    tier = fields.Enum(UserTier, by_value=True)
    active = fields.Boolean()


class UserApi(AuditedRestApi):
    datamodel = SQLAInterface(TollgateUser)
    resource_name = "users"
    route_base = route("users")
    class_permission_name = USERS_API
    base_permissions = ["can_get", "can_post", "can_put"]
    include_route_methods = {"get", "get_list", "post", "put"}
    openapi_spec_tag = "Admin: users"
    list_columns = show_columns = _LISTED + ["roles.name"]
    order_columns = _LISTED
    search_columns = ["username", "email", "first_name", "last_name", "tier", "active", "created_on", "last_login"]
    base_order = ("created_on", "desc")
    base_filters = [["deleted_at", FilterEqualFunction, lambda: None]]  # soft-deleted users are not listed
    add_columns = list(_NewUserSchema().fields)
    edit_columns = list(_UserEditSchema.Meta.fields)
    add_model_schema = _NewUserSchema()
    edit_model_schema = _UserEditSchema()
    audit_type = "user"
    audit_columns = _AUDITED

    def post_headless(self):
        """Through accounts.create_user, so the user gets its wallet and role like every other."""
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = self.add_model_schema.load(request.json)
        except ValidationError as err:
            return self.response_400(message=err.messages)
        user = accounts.create_user(data["username"].strip(), data["email"].strip(), data["password"],
                                    tier=data["tier"], first_name=data["first_name"],
                                    last_name=data["last_name"], commit=False)
        audit.record("user.create", user, {"after": self.snapshot(user)}, actor=g.user)
        db.session.commit()
        return self.response(201, id=user.id, result=self.show_model_schema.dump(user))
