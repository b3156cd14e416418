"""/api/v1/me/webhooks: an org's (owners and admins) or an individual's webhook endpoints.

Authenticated with a Tollgate API key, like /api/v1/me/account; the rules live in
app/webhooks/endpoints.py, which the console's Webhooks page shares. The signing secret is in
the answer to a create or a rotate only.
"""
from flask import Blueprint

from ..extensions import db
from ..gateway.errors import GatewayError
from ..models import WebhookDelivery, WebhookEndpoint
from ..webhooks import endpoints
from .caller import int_arg, json_object, me_endpoint

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/me/webhooks")
PAGE_MAX = 100


def _owner(actor) -> endpoints.Owner:
    try:
        return endpoints.owner_of(actor)
    except endpoints.Forbidden as exc:
        raise GatewayError(403, "permission_error", str(exc), code="insufficient_role") from None


def _endpoint(actor, endpoint_id: int) -> WebhookEndpoint:
    try:
        return endpoints.get(db.session, _owner(actor), endpoint_id)
    except endpoints.NotFound as exc:
        raise GatewayError(404, "not_found_error", str(exc), code="not_found") from None


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
@me_endpoint
def list_endpoints(actor):
    return {"data": [endpoint_json(e) for e in endpoints.listing(db.session, _owner(actor))]}


@bp.post("")
@me_endpoint
def create_endpoint(actor):
    owner = _owner(actor)
    endpoint = endpoints.create(db.session, owner, endpoints.clean(json_object(), partial=False))
    body = endpoint_json(endpoint, secret=endpoint.secret)
    db.session.commit()
    return body, 201


@bp.get("/<int:endpoint_id>")
@me_endpoint
def get_endpoint(actor, endpoint_id: int):
    return endpoint_json(_endpoint(actor, endpoint_id))


@bp.patch("/<int:endpoint_id>")
@me_endpoint
def update_endpoint(actor, endpoint_id: int):
    endpoint = _endpoint(actor, endpoint_id)
    endpoints.update(endpoint, endpoints.clean(json_object(), partial=True))
    body = endpoint_json(endpoint)
    db.session.commit()
    return body


@bp.delete("/<int:endpoint_id>")
@me_endpoint
def delete_endpoint(actor, endpoint_id: int):
    db.session.delete(_endpoint(actor, endpoint_id))
    db.session.commit()
    return None, 204


@bp.post("/<int:endpoint_id>/rotate-secret")
@me_endpoint
def rotate_secret(actor, endpoint_id: int):
    endpoint = _endpoint(actor, endpoint_id)
    body = endpoint_json(endpoint, secret=endpoints.rotate_secret(endpoint))
    db.session.commit()
    return body


@bp.post("/<int:endpoint_id>/test")
@me_endpoint
def send_test(actor, endpoint_id: int):
    return _send(_endpoint(actor, endpoint_id), None)


@bp.get("/<int:endpoint_id>/deliveries")
@me_endpoint
def list_deliveries(actor, endpoint_id: int):
    endpoint = _endpoint(actor, endpoint_id)
    page, attempts, more = endpoints.deliveries(db.session, endpoint, int_arg("before"),
                                                int_arg("limit", 20, 1, PAGE_MAX))
    return {"data": [delivery_json(d, attempts.get(d.id, ())) for d in page], "has_more": more}


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@me_endpoint
def replay(actor, endpoint_id: int, delivery_id: int):
    return _send(_endpoint(actor, endpoint_id), delivery_id)


def _send(endpoint: WebhookEndpoint, delivery_id: int | None):
    try:
        return delivery_json(endpoints.send(db.session, endpoint, delivery_id)), 202
    except endpoints.NotFound as exc:
        raise GatewayError(404, "not_found_error", str(exc), code="not_found") from None
    except endpoints.Disabled as exc:
        raise GatewayError(409, "invalid_request_error", str(exc), code="endpoint_disabled") from None
