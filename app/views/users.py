"""Users: list, search, bulk "Assign model groups", and delete after typing the user's email."""
from flask import redirect, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..models import TollgateUser
from ..roles import USERS
from .base import enum_value, when, yes_no
from .user_actions import UserActionsMixin, model_access


class UserView(UserActionsMixin, ModelView):
    datamodel = SQLAInterface(TollgateUser)
    route_base = "/admin/users"
    class_permission_name = USERS
    base_permissions = ["can_list", "can_show", "can_assign_groups", "can_groups", "can_delete_user",
                        "can_reset_second_factor"]

    list_title = _l("Users")
    list_columns = ["username", "email", "first_name", "last_name", "tier", "roles", "active",
                    "created_on", "last_login"]
    search_columns = ["username", "email", "first_name", "last_name", "tier", "active", "roles",
                      "created_on", "last_login"]
    order_columns = ["username", "email", "first_name", "last_name", "tier", "active", "created_on",
                     "last_login"]
    show_columns = ["username", "email", "first_name", "last_name", "tier", "roles", "active",
                    "created_on", "last_login", "login_count", "fail_login_count"]
    show_template = "admin/user_show.html"
    base_order = ("created_on", "desc")
    base_filters = [["deleted_at", FilterEqualFunction, lambda: None]]  # soft-deleted users are not listed
    label_columns = {
        "username": _l("Username"), "email": _l("Email"), "first_name": _l("First name"),
        "last_name": _l("Last name"), "tier": _l("Tier"), "roles": _l("Platform roles"), "active": _l("Active"),
        "created_on": _l("Created"), "last_login": _l("Last login"), "login_count": _l("Logins"),
        "fail_login_count": _l("Failed logins"),
    }
    formatters_columns = {"tier": enum_value, "active": yes_no, "created_on": when, "last_login": when,
                          "roles": lambda roles: ", ".join(r.name for r in roles) or "—",
                          "login_count": lambda n: n or 0, "fail_login_count": lambda n: n or 0}

    def render_template(self, template, **kwargs):
        if template == self.show_template and (request.view_args or {}).get("pk"):
            kwargs.update(model_access(int(request.view_args["pk"])))
        return super().render_template(template, **kwargs)

    @action("assign_groups", _l("Assign model groups"), icon="fa-object-group", multiple=True, single=True)
    def assign_groups(self, items):
        items = items if isinstance(items, list) else [items]
        return redirect(url_for("UserView.groups", ids=",".join(str(u.id) for u in items)))
