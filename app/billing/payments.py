"""What Stripe's events do to top-ups: complete, fail, refund. Each handler runs in the job's transaction.

Every handler locks the top-up's ledger entry before it looks at its status, so the same
event delivered twice, or two events of one payment processed at once, change it once.
Success wins over failure whatever their order: a failed top-up that Stripe later reports
paid is credited; a failure reported after the credit changes nothing.

``HANDLERS`` maps an event type to its handler; subscriptions' (``invoice.*``,
``customer.subscription.*``) come from app/billing/subscription_events.py.
"""
import logging
from dataclasses import dataclass

import stripe
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..events import emitters
from ..models import LedgerEntry, Organization, Topup, TxStatus, Wallet
from . import discounts, money, refunds, subscription_events
from .outcome import Outcome
from .stripe_api import client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    charge_id: str | None
    receipt_url: str | None


def handle(session: Session, event_type: str, obj: dict) -> Outcome:
    handler = HANDLERS.get(event_type)
    if handler is None:
        return Outcome("ignored", f"Tollgate does not act on {event_type}")
    return handler(session, obj)


# -- Finding the top-up ------------------------------------------------------------------------

def topup_for_session(session: Session, obj: dict) -> Topup | None:
    return session.scalar(select(Topup).where(Topup.stripe_session_id == obj["id"]))


def topup_for_intent(session: Session, obj: dict) -> Topup | None:
    topup_id = (obj.get("metadata") or {}).get("topup_id")
    condition = Topup.stripe_payment_intent_id == obj["id"]
    if topup_id and topup_id.isdigit():
        condition = or_(condition, Topup.id == int(topup_id))
    return session.scalar(select(Topup).where(condition).limit(1))


def topup_for_charge(session: Session, obj: dict) -> Topup | None:
    return session.scalar(select(Topup).where(or_(Topup.stripe_payment_intent_id == obj.get("payment_intent"),
                                                  Topup.stripe_charge_id == obj["id"])).limit(1))


def _unknown(kind: str, obj: dict) -> Outcome:
    log.warning("stripe: no top-up for %s %s", kind, obj.get("id"))
    return Outcome("rejected", f"no top-up for {kind} {obj.get('id')}")


# -- Completing and failing --------------------------------------------------------------------

def complete(session: Session, topup: Topup, paid_cents: int, currency: str, intent_id: str | None) -> Outcome:
    entry = _lock(session, topup)
    if entry.status == TxStatus.completed:
        _note(topup, intent_id)
        return Outcome("ignored", f"top-up {topup.id} was already credited")
    if (currency or "").lower() != "usd" or paid_cents != topup.price_cents:
        log.error("stripe: top-up %s was priced %s cents USD, Stripe reports %s %s: not credited",
                  topup.id, topup.price_cents, paid_cents, currency)
        return Outcome("rejected", f"amount {paid_cents} {currency} differs from the top-up's "
                                   f"{topup.price_cents} usd")
    revived = entry.status == TxStatus.failed
    money.complete_pending(session, entry.id, revive_failed=True)
    if revived and topup.discount_code_id:
        discounts.reclaim(session, topup.discount_code_id, topup.wallet_id, entry.id, topup.face_amount - topup.price)
    _note(topup, intent_id)
    wallet = session.get(Wallet, topup.wallet_id)
    emitters.payment_received(session, wallet.id, entry.amount, org_id=wallet.org_id, user_id=wallet.user_id,
                              reference=f"topup:{topup.id}")
    return Outcome("applied", f"top-up {topup.id} credited {entry.amount} credits")


def fail(session: Session, topup: Topup, reason: str, intent_id: str | None = None, *,
         keep_auto_recharge: bool = False) -> Outcome:
    """The top-up failed; an automatic one also turns auto-recharge off (a declined card), unless
    ``keep_auto_recharge`` (Stripe did not answer: the card may be fine, the next run tries again)."""
    entry = _lock(session, topup)
    _note(topup, intent_id)
    if entry.status != TxStatus.pending:
        return Outcome("ignored", f"top-up {topup.id} is already {entry.status.value}")
    money.fail_pending(session, entry.id, reason)
    discounts.release(session, entry.id)
    if (entry.details or {}).get("auto_recharge") and not keep_auto_recharge:
        _turn_off_auto_recharge(session, topup.wallet_id)
    wallet = session.get(Wallet, topup.wallet_id)
    emitters.payment_failed(session, wallet.id, entry.amount, reason, org_id=wallet.org_id, user_id=wallet.user_id,
                            reference=f"topup:{topup.id}")
    return Outcome("applied", f"top-up {topup.id} failed: {reason}")


def _turn_off_auto_recharge(session: Session, wallet_id: int) -> None:
    """A declined automatic charge: no further tries until the owner sets auto-recharge again."""
    org_id = session.scalar(select(Wallet.org_id).where(Wallet.id == wallet_id))
    if org_id is not None:
        session.get(Organization, org_id).auto_recharge_threshold = None


def _lock(session: Session, topup: Topup) -> LedgerEntry:
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.id == topup.ledger_entry_id).with_for_update())
    session.refresh(topup)
    return entry


def _note(topup: Topup, intent_id: str | None) -> None:
    if intent_id and not topup.stripe_payment_intent_id:
        topup.stripe_payment_intent_id = intent_id


def fetch_receipt(intent_id: str | None) -> Receipt | None:
    """The charge and Stripe's receipt URL of a PaymentIntent; None if Stripe cannot say now."""
    if not intent_id:
        return None
    try:
        intent = client().v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
    except stripe.StripeError as exc:
        log.warning("stripe: receipt of %s not fetched: %s", intent_id, exc)
        return None
    charge = intent.latest_charge
    if charge is None or isinstance(charge, str):
        return Receipt(charge, None)
    return Receipt(charge.id, charge.receipt_url)


def store_receipt(topup: Topup, receipt: Receipt | None) -> None:
    if receipt is not None:
        topup.stripe_charge_id = topup.stripe_charge_id or receipt.charge_id
        topup.receipt_url = topup.receipt_url or receipt.receipt_url


# -- Handlers ---------------------------------------------------------------------------------

def session_completed(session: Session, obj: dict) -> Outcome:
    if obj.get("mode") == "subscription":
        return subscription_events.checkout_completed(session, obj)
    topup = topup_for_session(session, obj)
    if topup is None:
        return _unknown("checkout session", obj)
    if obj.get("payment_status") != "paid":
        # A delayed method: async_payment_succeeded or _failed follows.
        _note(topup, obj.get("payment_intent"))
        return Outcome("ignored", f"top-up {topup.id} awaits its delayed payment")
    return complete(session, topup, obj["amount_total"], obj["currency"], obj.get("payment_intent"))


def session_async_succeeded(session: Session, obj: dict) -> Outcome:
    topup = topup_for_session(session, obj)
    if topup is None:
        return _unknown("checkout session", obj)
    return complete(session, topup, obj["amount_total"], obj["currency"], obj.get("payment_intent"))


def session_failed(session: Session, obj: dict) -> Outcome:
    topup = topup_for_session(session, obj)
    if topup is None:
        return _unknown("checkout session", obj)
    reason = "the payment failed" if obj.get("status") != "expired" else "the checkout session expired unpaid"
    return fail(session, topup, reason, obj.get("payment_intent"))


def intent_succeeded(session: Session, obj: dict) -> Outcome:
    topup = topup_for_intent(session, obj)
    if topup is None:
        return _unknown("payment intent", obj)
    return complete(session, topup, obj["amount_received"], obj["currency"], obj["id"])


def intent_failed(session: Session, obj: dict) -> Outcome:
    topup = topup_for_intent(session, obj)
    if topup is None:
        return _unknown("payment intent", obj)
    error = obj.get("last_payment_error") or {}
    return fail(session, topup, error.get("message") or "the payment failed", obj["id"])


def charge_refunded(session: Session, obj: dict) -> Outcome:
    topup = topup_for_charge(session, obj)
    if topup is None:
        return _unknown("charge", obj)
    listed = (obj.get("refunds") or {}).get("data")
    if listed is None:  # newer API versions leave the list out of the charge
        listed = [r.to_dict() for r in client().v1.refunds.list(params={"charge": obj["id"], "limit": 100}).data]
    # A refund still pending is booked when Stripe reports it succeeded (charge.refund.updated).
    booked = [r["id"] for r in listed if r.get("status") == "succeeded" and
              refunds.book(session, topup, r["id"], r["amount"], actor_id=None, allow_negative=True,
                           comment="Refunded in Stripe") is not None]
    if not booked:
        return Outcome("ignored", f"every refund of top-up {topup.id} was already booked, or is pending")
    return Outcome("applied", f"top-up {topup.id}: booked {', '.join(booked)}")


def refund_updated(session: Session, obj: dict) -> Outcome:
    topup = topup_for_charge(session, {"id": obj.get("charge"), "payment_intent": obj.get("payment_intent")})
    if topup is None:
        return _unknown("refund", obj)
    if obj.get("status") != "succeeded":
        return Outcome("ignored", f"refund {obj['id']} is {obj.get('status')}")
    if refunds.book(session, topup, obj["id"], obj["amount"], actor_id=None, allow_negative=True,
                    comment="Refunded in Stripe") is None:
        return Outcome("ignored", f"refund {obj['id']} was already booked")
    return Outcome("applied", f"top-up {topup.id}: booked {obj['id']}")


HANDLERS = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": session_async_succeeded,
    "checkout.session.async_payment_failed": session_failed,
    "checkout.session.expired": session_failed,
    "payment_intent.succeeded": intent_succeeded,
    "payment_intent.payment_failed": intent_failed,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": refund_updated,
    **subscription_events.HANDLERS,
}
# Success events whose PaymentIntent's receipt is fetched before the credit (outside any lock).
RECEIPT_EVENTS = {
    "checkout.session.completed": lambda obj: obj.get("payment_intent"),
    "checkout.session.async_payment_succeeded": lambda obj: obj.get("payment_intent"),
    "payment_intent.succeeded": lambda obj: obj.get("id"),
}
