"""POST /webhooks/stripe: Stripe's events, verified with the SDK, stored, then processed on the billing queue.

The answer is 200 as soon as the event is stored: Stripe retries anything else for days,
and a stored event is processed even if its job is lost (the sweep). A bad, missing or
stale signature is 400 and nothing is stored.
"""
import json
import logging

import stripe
from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from ..billing import stripe_api
from ..extensions import db
from ..jobs import payments as payment_jobs
from ..models import StripeEvent, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("stripe_webhook", __name__)


@bp.post("/webhooks/stripe")
def receive():
    if not current_app.config.get("STRIPE_WEBHOOK_SECRET"):
        return _error(503, "Stripe webhooks are not configured here (STRIPE_WEBHOOK_SECRET)")
    payload = request.get_data(cache=False)
    try:
        event = stripe_api.verify(payload, request.headers.get("Stripe-Signature"))
    except stripe.SignatureVerificationError as exc:
        log.warning("stripe webhook refused: %s", exc.user_message or exc)
        return _error(400, f"signature: {exc.user_message or exc}")
    except ValueError:
        return _error(400, "body: not a JSON Stripe event")
    stored = store(event.id, event.type, json.loads(payload))
    if stored:
        try:
            payment_jobs.enqueue(event.id)
        except RedisError as exc:  # stored: the sweep enqueues it once Redis answers
            log.warning("stripe event %s not enqueued, the sweep will: %s", event.id, exc)
    return jsonify({"received": True, "duplicate": not stored})


def store(event_id: str, event_type: str, payload: dict) -> bool:
    """Insert the event row; False if Stripe had delivered it already."""
    try:
        db.session.add(StripeEvent(id=event_id, type=event_type, payload=payload, received_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _error(status: int, message: str):
    return jsonify({"error": {"type": "invalid_request_error", "message": message}}), status
