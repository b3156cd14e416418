"""/api/v1/me/webhooks: an org's (owners and admins) or an individual's webhook endpoints.

Authenticated with a Tollgate API key, like /api/v1/me/account. The signing secret is in
the answer to a create or a rotate only.
"""
import functools
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..billing import holds
from ..events.bus import enqueue_delivery
from ..extensions import db, limiter
from ..gateway import admission
from ..gateway.errors import GatewayError, error_response, invalid, unavailable
from ..keys import hash_key
from ..models import Membership, OrgRole, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..webhooks import endpoints
from ..webhooks.endpoints import Invalid, Owner

log = logging.getLogger(__name__)
bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/me/webhooks")
MANAGERS = (OrgRole.owner, OrgRole.admin)
PAGE_MAX = 100


def _key_bucket() -> str:
    secret = request.headers.get("x-api-key") or request.headers.get("Authorization", "")
    return "me:" + hash_key(secret)[:32]


def api_view(view):
    """Authenticate, run the view with the caller's Owner, and answer every error in JSON."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        try:
            return view(_owner(), **kwargs)
        except Invalid as exc:
            db.session.rollback()
            return error_response(invalid(str(exc), param=exc.field), "openai")
        except GatewayError as err:
            db.session.rollback()
            return error_response(err, "openai")
        except (holds.MeterUnavailable, SQLAlchemyError):
            db.session.rollback()
            return error_response(unavailable(), "openai")

    # Limited under the view's own name (flask-limiter keys route limits by function name).
    return limiter.limit(lambda: current_app.config["ME_API_RATE_LIMIT"], key_func=_key_bucket)(wrapper)


def _owner() -> Owner:
    key = admission.authenticate(admission.Call(api="openai", op="me"))
    if key.org_id is None:
        return Owner(org_id=None, user_id=key.user_id)
    role = db.session.scalar(select(Membership.role).where(Membership.org_id == key.org_id,
                                                           Membership.user_id == key.user_id))
    if role not in MANAGERS:
        raise GatewayError(403, "permission_error", "managing an organization's webhooks needs its "
                           "owner or admin role", code="insufficient_role")
    return Owner(org_id=key.org_id, user_id=key.user_id)


def _endpoint(owner: Owner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, owner.scope()))
    if endpoint is None:
        raise GatewayError(404, "not_found_error", f"no webhook endpoint {endpoint_id}", code="not_found")
    return endpoint


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        raise Invalid("body", "the request body must be JSON (Content-Type: application/json)")
    return body


def _time(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def endpoint_json(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    body = {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events or "*",
            "description": endpoint.description, "active": endpoint.enabled,
            "disabled_at": _time(endpoint.disabled_at), "created_at": _time(endpoint.created_at)}
    if secret is not None:
        body["secret"] = secret
    return body


def delivery_json(delivery: WebhookDelivery, attempts=()) -> dict:
    return {"id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event,
            "status": delivery.status, "attempts": delivery.attempts, "response_code": delivery.response_code,
            "last_error": delivery.last_error, "next_attempt_at": _time(delivery.next_attempt_at),
            "delivered_at": _time(delivery.delivered_at), "created_at": _time(delivery.created_at),
            "attempt_log": [{"at": _time(a.attempted_at), "response_code": a.response_code,
                             "latency_ms": a.latency_ms, "error": a.error, "response_excerpt": a.response_excerpt}
                            for a in attempts]}


@bp.get("")
@api_view
def list_endpoints(owner: Owner):
    rows = db.session.scalars(select(WebhookEndpoint).where(owner.scope()).order_by(WebhookEndpoint.id)).all()
    return jsonify({"data": [endpoint_json(e) for e in rows]})


@bp.post("")
@api_view
def create_endpoint(owner: Owner):
    endpoint = endpoints.create(db.session, owner, endpoints.clean(_body(), partial=False))
    body = endpoint_json(endpoint, secret=endpoint.secret)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/<int:endpoint_id>")
@api_view
def get_endpoint(owner: Owner, endpoint_id: int):
    return jsonify(endpoint_json(_endpoint(owner, endpoint_id)))


@bp.patch("/<int:endpoint_id>")
@api_view
def update_endpoint(owner: Owner, endpoint_id: int):
    endpoint = _endpoint(owner, endpoint_id)
    endpoints.update(endpoint, endpoints.clean(_body(), partial=True))
    body = endpoint_json(endpoint)
    db.session.commit()
    return jsonify(body)


@bp.delete("/<int:endpoint_id>")
@api_view
def delete_endpoint(owner: Owner, endpoint_id: int):
    db.session.delete(_endpoint(owner, endpoint_id))
    db.session.commit()
    return "", 204


@bp.post("/<int:endpoint_id>/rotate-secret")
@api_view
def rotate_secret(owner: Owner, endpoint_id: int):
    endpoint = _endpoint(owner, endpoint_id)
    body = endpoint_json(endpoint, secret=endpoints.rotate_secret(endpoint))
    db.session.commit()
    return jsonify(body)


@bp.post("/<int:endpoint_id>/test")
@api_view
def send_test(owner: Owner, endpoint_id: int):
    return _send(_endpoint(owner, endpoint_id), endpoints.send_test)


@bp.get("/<int:endpoint_id>/deliveries")
@api_view
def list_deliveries(owner: Owner, endpoint_id: int):
    endpoint = _endpoint(owner, endpoint_id)
    limit = request.args.get("limit", "20")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= PAGE_MAX:
        raise Invalid("limit", f"'limit' must be a whole number from 1 to {PAGE_MAX}")
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    before = request.args.get("before")
    if before is not None:
        if not (before.isascii() and before.isdigit()) or len(before) > 18:
            raise Invalid("before", "'before' must be a delivery id")
        query = query.where(WebhookDelivery.id < int(before))
    rows = db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(int(limit) + 1)).all()
    page = rows[:int(limit)]
    attempts = {}
    for attempt in db.session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_([d.id for d in page])).order_by(WebhookAttempt.id)):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return jsonify({"data": [delivery_json(d, attempts.get(d.id, ())) for d in page],
                    "has_more": len(rows) > len(page)})


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@api_view
def replay(owner: Owner, endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(owner, endpoint_id)
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                               WebhookDelivery.endpoint_id == endpoint.id))
    if delivery is None or delivery.event_id is None:
        raise GatewayError(404, "not_found_error", f"no delivery {delivery_id} for this endpoint", code="not_found")
    return _send(endpoint, lambda session, e: endpoints.replay(session, e, delivery))


def _send(endpoint: WebhookEndpoint, make):
    if not endpoint.enabled:
        raise GatewayError(409, "invalid_request_error", "this endpoint is disabled; set 'active' to true first",
                           code="endpoint_disabled")
    delivery = make(db.session, endpoint)
    body = delivery_json(delivery)
    db.session.commit()
    try:
        enqueue_delivery(delivery.id)
    except Exception as exc:  # noqa: BLE001 - the delivery row is committed; the sweep sends it
        log.warning("delivery %s not enqueued, the sweep will: %s", delivery.id, exc)
    return jsonify(body), 202
