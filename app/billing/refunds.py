"""Refunds of top-ups: money back on the card through Stripe, credits out of the wallet through money.py.

A refund of P dollars out of a top-up that cost C and delivered K credits removes
K x P / C credits (its share of the bonus too), counted so that refunds adding up to C
remove exactly K. Each refund is booked once, under Stripe's refund id, whether it was
made here or in Stripe's dashboard (``charge.refunded``).
"""
import stripe
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import LedgerEntry, Topup, TxType
from . import money
from .stripe_api import PaymentsUnavailable, cents, client


class RefundRefused(ValueError):
    """The refund would exceed what was paid or what the wallet still holds; names the bound."""


def refunded_price(session: Session, topup: Topup) -> int:
    """Credits' worth of the price already refunded (1 USD = 1,000,000)."""
    return session.scalar(select(func.coalesce(func.sum(LedgerEntry.details["refund_price"].as_integer()), 0)).where(
        LedgerEntry.type == TxType.credit_refund,
        LedgerEntry.details["refund_of"].as_integer() == topup.ledger_entry_id))


def credits_for(topup: Topup, before: int, amount: int) -> int:
    """Credits that refunding ``amount`` of the price removes, after ``before`` was refunded."""
    total = topup.credits
    return total * (before + amount) // topup.price - total * before // topup.price


def book(session: Session, topup: Topup, refund_id: str, amount_cents: int, *, actor_id: int | None,
         comment: str, allow_negative: bool) -> LedgerEntry | None:
    """Record one Stripe refund in the ledger; None if it already is."""
    external_id = f"stripe_refund:{refund_id}"
    # Lock the top-up's entry first: concurrent bookings of one top-up then sum their shares in turn.
    session.scalar(select(LedgerEntry.id).where(LedgerEntry.id == topup.ledger_entry_id).with_for_update())
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.external_id == external_id)):
        return None
    amount = amount_cents * 10_000
    before = refunded_price(session, topup)
    amount = min(amount, topup.price - before)  # Stripe never refunds more than was paid
    if amount <= 0:
        return None
    return money.refund(session, topup.ledger_entry_id, credits_for(topup, before, amount), actor_id=actor_id,
                        comment=comment, external_id=external_id, allow_negative=allow_negative,
                        details={"refund_price": amount, "stripe_refund_id": refund_id})


def refund_topup(session: Session, topup: Topup, amount: int, *, actor_id: int, comment: str,
                 idempotency_key: str) -> LedgerEntry:
    """An admin's refund of ``amount`` (credits' worth of the price) through Stripe's Refund API.

    Refused before Stripe is called if it exceeds what is left of the price or what the
    wallet still holds; the caller commits. ``idempotency_key`` (the form's token) makes a
    resubmitted form return Stripe's first refund rather than a second one.
    """
    if not topup.stripe_payment_intent_id:
        raise RefundRefused("this top-up has no Stripe payment to refund")
    if amount <= 0 or amount % 10_000:
        raise RefundRefused("the amount must be above zero, in whole cents")
    session.scalar(select(LedgerEntry.id).where(LedgerEntry.id == topup.ledger_entry_id).with_for_update())
    before = refunded_price(session, topup)
    if amount > topup.price - before:
        raise RefundRefused(f"at most {(topup.price - before) / 1_000_000:,.2f} USD of this top-up is left to refund")
    credits = credits_for(topup, before, amount)
    held = money.available(session, topup.wallet_id)
    if credits > held:
        raise RefundRefused(f"the refund would remove {credits:,} credits and the wallet holds {max(held, 0):,}")
    try:
        refund = client().v1.refunds.create(
            params={"payment_intent": topup.stripe_payment_intent_id, "amount": cents(amount),
                    "metadata": {"topup_id": str(topup.id)}},
            options={"idempotency_key": f"tollgate-refund-{idempotency_key}"})
    except stripe.StripeError as exc:
        raise PaymentsUnavailable(f"Stripe refused the refund: {exc.user_message or exc}") from None
    # The money is back on the card: the wallet is debited even if usage took it lower meanwhile.
    entry = book(session, topup, refund.id, refund.amount, actor_id=actor_id, comment=comment, allow_negative=True)
    if entry is None:  # a resubmitted form: Stripe answered with the refund already booked
        entry = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == f"stripe_refund:{refund.id}"))
    return entry
