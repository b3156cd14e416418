"""The console's blueprint and what every console page shares: the layout's context and staff routing."""
from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import notices
from ..extensions import appbuilder
from ..labels import label
from .access import is_staff, my_memberships

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.context_processor
def _console_context() -> dict:
    signed_in = current_user.is_authenticated
    memberships = my_memberships() if signed_in else []
    unread = notices.unread_count(notices.everywhere(current_user.id, [m.org_id for m in memberships])) \
        if signed_in else 0
    # FAB's init.html reads `appbuilder` for the app name and theme; the console reuses that layout.
    return {"appbuilder": appbuilder, "memberships": memberships,
            "staff": is_staff(current_user) if signed_in else False,
            "unread_notices": unread, "unread_label": f"{notices.MAX_COUNTED}+" if unread > notices.MAX_COUNTED
            else str(unread)}


@bp.errorhandler(403)
def _role_too_low(_exc):
    scope = g.get("console_scope")
    role = scope.role if scope else None
    return message_page(_("Not available to your role"),
                        _("Your role in this organization (%(role)s) does not open this page; "
                          "an owner or admin can change it.", role=label(role)) if role else
                        _("Your account does not open this page."), 403)


def message_page(title: str, message: str, status: int = 400):
    """A page that only says why a request was refused (a bad link, a filter, a role)."""
    return render_template("console/message.html", title=title, message=message), status


def input_refused(title: str, exc):
    """The page for an ``InputError``: the field it names, then what is wrong with it."""
    return message_page(title, f"{exc.field}: {exc}")


# The back office and FAB's own security views (users, roles, permissions) are for staff only.
BACK_OFFICE_PATHS = ("/admin", "/users/", "/roles/", "/permissions/", "/viewmenus/", "/permissionviews/")


def customers_leave_admin():
    """A signed-in customer who opens the back office gets a page pointing to the console, not FAB's bare 403."""
    if (request.path.startswith(BACK_OFFICE_PATHS) and current_user.is_authenticated
            and not is_staff(current_user)):
        return render_template("console/staff_only.html", appbuilder=appbuilder, memberships=[], staff=False,
                               unread_notices=0, unread_label="0"), 403
    return None
