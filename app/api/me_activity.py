"""/api/v1/me/usage and /api/v1/me/notifications: what the caller's keys did and what Tollgate told them."""
from flask import Blueprint, request

from .. import call_log, notices
from ..extensions import db
from ..gateway.errors import GatewayError
from ..inputs import InputError
from .caller import int_arg, me_endpoint

bp = Blueprint("me_activity_api", __name__, url_prefix="/api/v1/me")


@bp.get("/usage")
@me_endpoint
def usage(actor):
    rows, cursor = call_log.page(actor, call_log.parse_filters(request.args))
    return {"data": [call_log.describe(r) for r in rows], "next_cursor": cursor}


@bp.get("/notifications")
@me_endpoint
def notifications(actor):
    unread = request.args.get("unread")
    if unread not in (None, "true", "false"):
        raise InputError("unread", "unread must be true or false")
    limit = int_arg("limit", 50, 1, 200)
    rows = notices.listing(actor, unread == "true", int_arg("before"), limit)
    return {"data": [notices.describe(n) for n in rows], "next_before": rows[-1].id if len(rows) == limit else None}


@bp.post("/notifications/<int:notification_id>/read")
@me_endpoint
def mark_read(actor, notification_id):
    notice = notices.mark_read(actor, notification_id)
    if notice is None:
        raise GatewayError(404, "not_found_error", f"no notification with id {notification_id}",
                           code="notification_not_found", param="id")
    body = notices.describe(notice)
    db.session.commit()
    return body
