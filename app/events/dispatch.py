"""The job that hands one event to its consumers: notifications, emails and webhook endpoints.

Claiming the event (setting ``dispatched_at``) commits together with the notifications and
deliveries it creates, so a re-run of the job, or a second job for the same event, adds
nothing. Emails go out after that commit: at most once per event.
"""
import calendar
import logging
import smtplib

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..jobs import app_context
from ..mail import Render, send_mail
from ..models import Event, Notification, WebhookDelivery, WebhookEndpoint, utcnow
from . import notices
from .bus import enqueue_delivery

log = logging.getLogger(__name__)


def dispatch_event(event_id: str) -> int:
    """Fan one event out; returns how many webhook deliveries it created."""
    with app_context(), Session(db.engine) as session:
        event = session.scalars(update(Event).where(Event.id == event_id, Event.dispatched_at.is_(None))
                                .values(dispatched_at=utcnow()).returning(Event)).one_or_none()
        if event is None:
            return 0  # already dispatched, or its change was rolled back
        notice = notices.compose(session, event)
        if notice is not None:
            title, body = notice.shared_text()
            session.add(Notification(org_id=event.org_id, user_id=event.user_id, event=event.type,
                                     title=title, body=body, data=event.data))
        deliveries = [WebhookDelivery(endpoint_id=endpoint_id, event_id=event.id, event=event.type,
                                      payload=payload(event), next_attempt_at=event.created_at)
                      for endpoint_id in subscribers(session, event)]
        session.add_all(deliveries)
        session.commit()
        ids = [d.id for d in deliveries]
    if notice is not None and notice.recipient:
        email(notice.recipient, notice.render)
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return len(ids)


def payload(event: Event) -> dict:
    return {"id": event.id, "type": event.type, "created": calendar.timegm(event.created_at.utctimetuple()),
            "data": event.data}


def subscribers(session: Session, event: Event) -> list[int]:
    """Active endpoints of the event's org (or, for individuals, its user) subscribed to its type."""
    if event.org_id is not None:
        owner = WebhookEndpoint.org_id == event.org_id
    elif event.user_id is not None:
        owner = (WebhookEndpoint.user_id == event.user_id) & WebhookEndpoint.org_id.is_(None)
    else:
        return []
    endpoints = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)
                                .where(owner, WebhookEndpoint.enabled.is_(True))
                                .order_by(WebhookEndpoint.id)).all()
    return [eid for eid, types in endpoints if not types or event.type in types]


def email(to: str, render: Render) -> None:
    """Mail ``render``'s (subject, body) in the language of the account at ``to`` (mail.send_mail)."""
    try:
        send_mail(to, render)
    except (OSError, smtplib.SMTPException) as exc:
        # The notification is committed; an email is not worth re-running the dispatch for.
        log.warning("email to %s failed: %s", to, exc)



