"""Raise events: the row joins the caller's transaction, its delivery is enqueued after commit.

Enqueueing happens only once the change is committed, so no consumer sees an event whose
change was rolled back. Should Redis be unreachable at that moment, the row is already in
PostgreSQL without ``dispatched_at``: ``sweep`` enqueues it again (a periodic job).
"""
import datetime as dt
import logging
import uuid

from flask import current_app
from rq import Retry
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Event, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

_PENDING = "tollgate_events"
# Failures of the job itself (PostgreSQL away); delivery failures follow the webhook schedule.
JOB_RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])


def emit(session: Session, type_: str, data: dict, *, org_id: int | None = None,
         user_id: int | None = None) -> Event:
    """Record an event in ``session``'s transaction; it is dispatched once that commits."""
    event = Event(id="evt_" + uuid.uuid4().hex, type=type_, org_id=org_id, user_id=user_id, data=data,
                  created_at=utcnow())
    session.add(event)
    session.info.setdefault(_PENDING, []).append(event.id)
    return event


def enqueue_dispatch(event_id: str) -> None:
    from ..jobs import get_queue
    from .dispatch import dispatch_event

    get_queue("webhooks").enqueue(dispatch_event, event_id, job_id=f"event-{event_id}", retry=JOB_RETRY)


def enqueue_delivery(delivery_id: int, delay_s: float = 0) -> None:
    from ..jobs import get_queue
    from ..webhooks.delivery import deliver

    queue = get_queue("webhooks")
    timeout = int(current_app.config["WEBHOOK_TIMEOUT_S"]) + 30
    if delay_s <= 0:
        queue.enqueue(deliver, delivery_id, retry=JOB_RETRY, job_timeout=timeout)
    elif queue.is_async:
        # RQ schedules to the whole second, rounding down: round up so no retry comes early.
        when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay_s)
        when = when.replace(microsecond=0) + dt.timedelta(seconds=1 if when.microsecond else 0)
        queue.enqueue_at(when, deliver, delivery_id, retry=JOB_RETRY, job_timeout=timeout)
    # Inline (embedded default): a retry now would not wait at all; the sweep sends it later.


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for event_id in session.info.pop(_PENDING, ()):
        try:
            enqueue_dispatch(event_id)
        except Exception as exc:  # noqa: BLE001 - the committed row waits for the sweep
            log.warning("event %s not enqueued, the sweep will: %s", event_id, exc)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def sweep(session: Session, now: dt.datetime | None = None) -> tuple[int, int]:
    """Enqueue events never dispatched and deliveries whose job was lost; returns both counts.

    Only rows older than EVENTS_SWEEP_AFTER_S are taken, so an event or retry whose job is
    merely waiting in the queue is not enqueued twice (a second run would do nothing anyway).
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=current_app.config["EVENTS_SWEEP_AFTER_S"])
    events = session.scalars(select(Event.id).where(Event.dispatched_at.is_(None), Event.created_at < cutoff)
                             .order_by(Event.created_at).limit(1000)).all()
    deliveries = session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at < cutoff).limit(1000)).all()
    session.rollback()
    for event_id in events:
        enqueue_dispatch(event_id)
    for delivery_id in deliveries:
        enqueue_delivery(delivery_id)
    return len(events), len(deliveries)
