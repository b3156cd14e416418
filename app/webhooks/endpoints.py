"""Managing webhook endpoints: validation, secrets, test events and replays.

Shared by the JSON API and the console. Functions change rows in the caller's session;
the caller commits, then enqueues what ``send_test`` and ``replay`` return.
"""
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..events import EVENT_TYPES, TEST_EVENT
from ..events.dispatch import payload
from ..models import Event, WebhookDelivery, WebhookEndpoint, utcnow
from . import egress, signing

FIELDS = ("url", "events", "description", "active")


class Invalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Owner:
    """Whose endpoints: an org's (managed by its owners and admins) or an individual's."""

    org_id: int | None
    user_id: int

    def scope(self):
        if self.org_id is not None:
            return WebhookEndpoint.org_id == self.org_id
        return (WebhookEndpoint.user_id == self.user_id) & WebhookEndpoint.org_id.is_(None)


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
