"""The notification center: every notice of the user's own account and of each org they belong to.

The rule of who sees which notice is app/notices.py's, the one /api/v1/me/notifications uses.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import notices
from ..extensions import db
from .access import login_required, my_memberships
from .blueprint import bp, message_page
from .forms import ConfirmForm, confirmed_or_400

PAGE_SIZE = 50


def my_notices(memberships=None) -> list:
    """The criterion of the signed-in user's notices (``memberships`` if the caller has them at hand)."""
    memberships = my_memberships() if memberships is None else memberships
    return notices.everywhere(current_user.id, [m.org_id for m in memberships])


@bp.get("/notifications")
@login_required
def notifications():
    unread_only = request.args.get("unread") == "1"
    before = request.args.get("before")
    if before is not None and not (before.isascii() and before.isdigit() and len(before) <= 18):
        return message_page(_("Notifications"), "before: must be a notification id")
    memberships = my_memberships()
    rows = notices.rows_where(my_notices(memberships), unread_only, int(before) if before else None, PAGE_SIZE)
    return render_template("console/notifications.html", rows=rows, unread_only=unread_only, confirm=ConfirmForm(),
                           orgs={m.org_id: m.org.name for m in memberships},
                           older=rows[-1].id if len(rows) == PAGE_SIZE else None)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def notification_read(notification_id: int):
    confirmed_or_400()
    if notices.mark_read_where(my_notices(), notification_id) is None:
        abort(404)  # another user's or another org's: as if it did not exist
    db.session.commit()
    return redirect(url_for("console.notifications", **_kept_filter()))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all():
    confirmed_or_400()
    count = notices.mark_all_read(my_notices())
    db.session.commit()
    flash(_("%(count)d notification(s) marked read.", count=count), "success")
    return redirect(url_for("console.notifications", **_kept_filter()))


def _kept_filter() -> dict:
    return {"unread": "1"} if request.form.get("unread") == "1" else {}

