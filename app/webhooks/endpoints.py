"""Managing webhook endpoints: who may, validation, secrets, deliveries, test events and replays.

Shared by the JSON API (app/api/webhooks.py) and the console's Webhooks page, so both obey
the same rules. Functions change rows in the caller's session; ``send`` is the one that
commits, because a delivery must be in the database before its job is enqueued.
"""
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..events import EVENT_TYPES, TEST_EVENT
from ..events.bus import enqueue_delivery
from ..events.dispatch import payload
from ..inputs import InputError
from ..models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from . import egress, signing

log = logging.getLogger(__name__)
FIELDS = ("url", "events", "description", "active")


class Invalid(InputError):
    """A bad field of an endpoint; the message names it."""


class NotFound(LookupError):
    """No such endpoint or delivery among the owner's (another org's answers the same)."""


class Forbidden(PermissionError):
    """The actor's org role does not manage the org's endpoints."""


class Disabled(RuntimeError):
    """Sending to an endpoint that is switched off."""


@dataclass(frozen=True)
class Owner:
    """Whose endpoints: an org's (managed by its owners and admins) or an individual's."""

    org_id: int | None
    user_id: int

    def scope(self):
        if self.org_id is not None:
            return WebhookEndpoint.org_id == self.org_id
        return (WebhookEndpoint.user_id == self.user_id) & WebhookEndpoint.org_id.is_(None)


def owner_of(actor: Actor) -> Owner:
    """Whose endpoints the actor manages: their org's (owners and admins only) or their own."""
    if actor.org_id is not None and not actor.manages_org:
        raise Forbidden("managing an organization's webhooks needs its owner or admin role")
    return Owner(org_id=actor.org_id, user_id=actor.user_id)


def listing(session: Session, owner: Owner) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(owner.scope()).order_by(WebhookEndpoint.id)))


def get(session: Session, owner: Owner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, owner.scope()))
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def deliveries(session: Session, endpoint: WebhookEndpoint, before: int | None,
               limit: int) -> tuple[list[WebhookDelivery], dict[int, list[WebhookAttempt]], bool]:
    """One page of the endpoint's deliveries, newest first; their attempts by delivery id; whether more follow."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    attempts: dict[int, list[WebhookAttempt]] = {}
    for attempt in session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_([d.id for d in page])).order_by(WebhookAttempt.id)):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return page, attempts, len(rows) > limit


def get_delivery(session: Session, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                            WebhookDelivery.endpoint_id == endpoint.id))
    if delivery is None or delivery.event_id is None:
        raise NotFound(f"no delivery {delivery_id} for this endpoint")
    return delivery


def send(session: Session, endpoint: WebhookEndpoint, delivery_id: int | None = None) -> WebhookDelivery:
    """Send a test event (or replay delivery ``delivery_id``) now: commit the new delivery, then enqueue it."""
    original = None if delivery_id is None else get_delivery(session, endpoint, delivery_id)
    if not endpoint.enabled:
        raise Disabled("this endpoint is disabled; set 'active' to true first")
    delivery = send_test(session, endpoint) if original is None else replay(session, endpoint, original)
    session.commit()
    try:
        enqueue_delivery(delivery.id)
    except Exception as exc:  # noqa: BLE001 - the delivery row is committed; the sweep sends it
        log.warning("delivery %s not enqueued, the sweep will: %s", delivery.id, exc)
    return delivery


def clean(body, partial: bool) -> dict:
    """The validated fields of a create (``partial=False``) or update body."""
    if not isinstance(body, dict):
        raise Invalid("body", "the request body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Invalid(unknown[0], f"unknown field {unknown[0]!r}; expected some of {', '.join(FIELDS)}")
    if not partial and "url" not in body:
        raise Invalid("url", "'url' is required")
    fields = {}
    if "url" in body:
        url = body["url"]
        if not isinstance(url, str) or not url or len(url) > 1024:
            raise Invalid("url", "'url' must be a string of 1 to 1024 characters")
        try:
            egress.check_url(url)
        except egress.Refused as exc:
            raise Invalid("url", f"'url' is not usable: {exc}") from None
        fields["url"] = url
    if "events" in body:
        fields["events"] = _events(body["events"])
    if "description" in body:
        text = body["description"]
        if text is not None and (not isinstance(text, str) or len(text) > 500):
            raise Invalid("description", "'description' must be a string of at most 500 characters, or null")
        fields["description"] = text
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise Invalid("active", "'active' must be true or false")
        fields["active"] = body["active"]
    return fields


def _events(value) -> list | None:
    if value is None or value == "*" or value == ["*"]:
        return None  # every event, including types added later
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid("events", "'events' must be a non-empty list of event types, or \"*\" for all")
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise Invalid("events", f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return sorted(set(value))


def create(session: Session, owner: Owner, fields: dict) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(org_id=owner.org_id, user_id=owner.user_id, secret=signing.new_secret(),
                               url=fields["url"], events=fields.get("events"),
                               description=fields.get("description"), enabled=fields.get("active", True))
    session.add(endpoint)
    session.flush()
    return endpoint


def update(endpoint: WebhookEndpoint, fields: dict) -> None:
    for name in ("url", "events", "description"):
        if name in fields:
            setattr(endpoint, name, fields[name])
    if "active" in fields:
        endpoint.enabled = fields["active"]
        if endpoint.enabled:
            endpoint.disabled_at = None


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    endpoint.secret = signing.new_secret()
    return endpoint.secret


def send_test(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event for this endpoint only (it is never fanned out to others)."""
    now = utcnow()
    event = Event(id="evt_" + uuid.uuid4().hex, type=TEST_EVENT, org_id=endpoint.org_id,
                  user_id=endpoint.user_id, created_at=now, dispatched_at=now,
                  data={"endpoint_id": endpoint.id, "message": "A test event sent from Tollgate."})
    session.add(event)
    return _new_delivery(session, endpoint, event)


def replay(session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (same id, so receivers that saw it can tell)."""
    event = session.get(Event, delivery.event_id)
    return _new_delivery(session, endpoint, event)


def _new_delivery(session: Session, endpoint: WebhookEndpoint, event: Event) -> WebhookDelivery:
    session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, event=event.type,
                               payload=payload(event), next_attempt_at=utcnow())
    session.add(delivery)
    session.flush()
    return delivery
