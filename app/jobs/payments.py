"""Stripe's events on the ``billing`` queue, and the two periodic jobs that keep top-ups true.

``process_stripe_event`` is idempotent: a stored event is processed until its row says so,
and every handler locks the top-up it changes (app/billing/payments.py). A worker killed
mid-way leaves the row unprocessed: ``sweep_stripe_events`` enqueues it again.
"""
import datetime as dt
import logging

from flask import current_app
from rq import Retry
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..billing import payments
from ..extensions import db
from ..models import LedgerEntry, StripeEvent, Topup, TxStatus, utcnow
from . import app_context, get_queue

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 60
# An event row older than this and still unprocessed lost its job (worker killed, Redis away).
SWEEP_AFTER_S = 60
RECONCILE_EVERY_S = 60
AUTO_RECHARGE_EVERY_S = 60
RETRY = Retry(max=5, interval=[5, 30, 60, 300, 900])


def enqueue(event_id: str) -> None:
    get_queue("billing").enqueue(process_stripe_event, event_id, retry=RETRY, description=f"stripe event {event_id}")


def process_stripe_event(event_id: str) -> str | None:
    """Apply one stored Stripe event; returns its outcome (None if it was already processed)."""
    with app_context():
        with Session(db.engine) as session:
            row = session.get(StripeEvent, event_id)
            if row is None or row.processed_at is not None:
                return None
            event_type, obj = row.type, row.payload["data"]["object"]
        # Stripe is asked for the receipt before any lock is taken: a slow answer holds nothing.
        intent_id = payments.RECEIPT_EVENTS[event_type](obj) if event_type in payments.RECEIPT_EVENTS else None
        receipt = payments.fetch_receipt(intent_id)
        with Session(db.engine) as session:
            outcome = payments.handle(session, event_type, obj)
            if receipt is not None:
                topup = session.scalar(select(Topup).where(Topup.stripe_payment_intent_id == intent_id))
                if topup is not None:
                    payments.store_receipt(topup, receipt)
            session.execute(update(StripeEvent).where(StripeEvent.id == event_id)
                            .values(processed_at=utcnow(), outcome=outcome.result, detail=outcome.detail))
            session.commit()
        if outcome.result == "rejected":
            log.error("stripe event %s (%s) rejected: %s", event_id, event_type, outcome.detail)
        return outcome.result


def sweep_stripe_events() -> int:
    """Enqueue stored events whose processing never finished; returns how many."""
    with app_context():
        cutoff = utcnow() - dt.timedelta(seconds=SWEEP_AFTER_S)
        with Session(db.engine) as session:
            ids = session.scalars(select(StripeEvent.id).where(StripeEvent.processed_at.is_(None),
                                                               StripeEvent.received_at < cutoff)
                                  .order_by(StripeEvent.received_at).limit(500)).all()
        for event_id in ids:
            enqueue(event_id)
        return len(ids)


def reconcile_topups() -> int:
    """Ask Stripe about top-ups pending longer than TOPUP_RECONCILE_AFTER_S; returns how many changed."""
    with app_context():
        cutoff = utcnow() - dt.timedelta(seconds=current_app.config["TOPUP_RECONCILE_AFTER_S"])
        with Session(db.engine) as session:
            stale = session.execute(select(Topup.id, Topup.stripe_session_id)
                                    .join(LedgerEntry, LedgerEntry.id == Topup.ledger_entry_id)
                                    .where(LedgerEntry.status == TxStatus.pending, LedgerEntry.created_at < cutoff,
                                           Topup.stripe_session_id.is_not(None))
                                    .order_by(Topup.id).limit(200)).all()
        changed = 0
        for topup_id, session_id in stale:
            try:
                changed += reconcile_one(topup_id, session_id)
            except Exception:  # noqa: BLE001 - one top-up Stripe cannot answer for must not stop the rest
                log.exception("top-up %s not reconciled", topup_id)
        return changed


def reconcile_one(topup_id: int, session_id: str) -> bool:
    from ..billing.stripe_api import client

    checkout = client().v1.checkout.sessions.retrieve(session_id).to_dict()
    if checkout["payment_status"] in ("paid", "no_payment_required"):
        event_type = "checkout.session.async_payment_succeeded"
    elif checkout["status"] == "expired":
        event_type = "checkout.session.expired"
    else:
        return False  # still open, or a delayed payment still processing: Stripe has not decided
    receipt = payments.fetch_receipt(checkout.get("payment_intent"))
    with Session(db.engine) as session:
        outcome = payments.handle(session, event_type, checkout)
        payments.store_receipt(session.get(Topup, topup_id), receipt)
        session.commit()
    log.info("top-up %s reconciled with Stripe: %s", topup_id, outcome.detail)
    return outcome.result == "applied"


def auto_recharge_due() -> int:
    """Charge the saved card of every org whose wallet fell below its auto-recharge threshold."""
    from ..billing import auto_recharge

    with app_context():
        with Session(db.engine) as session:
            org_ids = auto_recharge.due(session)
        for org_id in org_ids:
            try:
                auto_recharge.recharge(db.engine, org_id)
            except Exception:  # noqa: BLE001 - one org's failure must not stop the others
                log.exception("auto-recharge of org %s failed", org_id)
        return len(org_ids)
