"""The job that sends one webhook delivery, and what happens when it keeps failing.

A delivery row is locked (FOR UPDATE SKIP LOCKED) while its request is made, so two jobs for
the same delivery never both send it. The attempt, the delivery's new state and the next
retry are committed together after the request; a worker killed during the request leaves
the delivery as it was, and the re-run (RQ's retry, or the sweep) sends the same event id.
"""
import datetime as dt
import http.client
import json
import logging
import random
import time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..events.bus import enqueue_delivery
from ..events.dispatch import email
from ..events.notices import Notice, owner_and_email
from ..extensions import db
from ..jobs import app_context
from ..models import Notification, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from . import egress, signing

log = logging.getLogger(__name__)

DISABLED_EVENT = "webhook.endpoint.disabled"


def deliver(delivery_id: int) -> str:
    """Make one attempt; returns the delivery's status afterwards ("skipped" if another job holds it)."""
    with app_context(), Session(db.engine) as session:
        delivery = session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
            .with_for_update(skip_locked=True)).one_or_none()
        if delivery is None:
            return "skipped"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > utcnow() + dt.timedelta(seconds=1):
            return "not due"  # a duplicate job (the sweep's) ahead of the scheduled retry
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if not endpoint.enabled:
            delivery.status, delivery.last_error, delivery.next_attempt_at = "failed", "endpoint disabled", None
            session.commit()
            return delivery.status
        code, error, latency_ms, excerpt = attempt(endpoint, delivery)
        now = utcnow()
        session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, response_code=code,
                                   latency_ms=latency_ms, error=error, response_excerpt=excerpt))
        delivery.attempts += 1
        delivery.response_code, delivery.last_error = code, error
        retry_in = disabled = None
        if error is None:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        elif delivery.attempts <= len(schedule()):
            retry_in = backoff(delivery.attempts)
            delivery.next_attempt_at = now + dt.timedelta(seconds=retry_in)
        else:
            delivery.status, delivery.next_attempt_at = "failed", None
            disabled = disable(session, endpoint, now)
        status = delivery.status
        session.commit()
    if retry_in is not None:
        enqueue_delivery(delivery_id, retry_in)
    if disabled is not None and disabled.recipient:
        email(disabled.recipient, disabled.render)
    return status


def attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str | None, int, str | None]:
    """One signed POST: (response code, error or None on 2xx, latency in ms, first bytes of the answer)."""
    cfg = current_app.config
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = signing.headers(endpoint.secret, delivery.payload["id"], int(time.time()), body)
    started = time.monotonic()
    code = excerpt = None
    try:
        code, excerpt = egress.post(endpoint.url, body, headers, cfg["WEBHOOK_TIMEOUT_S"],
                                    cfg["WEBHOOK_ALLOWED_NETWORKS"])
        error = None if 200 <= code < 300 else f"HTTP {code}"
    except egress.Refused as exc:
        error = f"refused: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    return code, error, int((time.monotonic() - started) * 1000), excerpt


def schedule() -> list[float]:
    return [float(s) for s in current_app.config["WEBHOOK_RETRY_SCHEDULE_S"]]


def backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts``, spread by the jitter so receivers are not hit in waves."""
    jitter = current_app.config["WEBHOOK_JITTER"]
    return max(0.0, schedule()[attempts - 1] * (1 + random.uniform(-jitter, jitter)))


def disable(session: Session, endpoint: WebhookEndpoint, now: dt.datetime) -> Notice:
    """Stop an endpoint that failed a whole retry schedule; its owner gets a notification and an email."""
    endpoint.enabled, endpoint.disabled_at = False, now
    session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                  WebhookDelivery.status == "pending")
                    .values(status="failed", last_error="endpoint disabled", next_attempt_at=None))
    recipient = owner_and_email(session, endpoint.org_id, endpoint.user_id)[1]
    url = endpoint.url
    notice = Notice(recipient, lambda: (
        _("Webhook endpoint disabled: %(url)s", url=url)[:256],
        _("Tollgate could not deliver events to %(url)s for a whole day of retries and has disabled it. "
          "Fix the receiver, then enable the endpoint again and replay the deliveries you need from its "
          "delivery log.", url=url)))
    title, body = notice.shared_text()
    session.add(Notification(org_id=endpoint.org_id, user_id=None if endpoint.org_id else endpoint.user_id,
                             event=DISABLED_EVENT, title=title, body=body, data={"endpoint_id": endpoint.id}))
    return notice
