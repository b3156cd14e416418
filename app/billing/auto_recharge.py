"""Auto-recharge: an org wallet below its threshold is topped up by its amount on the card saved at Checkout.

On when the org has both ``auto_recharge_threshold`` and ``auto_recharge_amount``. A run locks
the org's row, then checks that no automatic top-up of its wallet is still pending before
writing one: however many runs start at once, one charge is in flight per wallet. The
charge is an off-session PaymentIntent on the customer's default payment method; a decline
fails the top-up, turns auto-recharge off and tells the owner (``system.payment.failed``).
"""
import logging

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import LedgerEntry, Organization, Topup, TxStatus, TxType, Wallet
from . import money, payments
from .stripe_api import PaymentsUnavailable, cents, client
from .topups import Quote, ladder_bps
from .units import usd_text

log = logging.getLogger(__name__)
AUTO = "auto_recharge"


def ensure_customer(session: Session, org: Organization) -> str:
    """The org's Stripe customer, created once; its card is saved by the next Checkout."""
    if org.stripe_customer_id:
        return org.stripe_customer_id
    try:
        customer = client().v1.customers.create(params={"name": org.name, "email": org.billing_email or "",
                                                        "metadata": {"org_id": str(org.id)}},
                                                options={"idempotency_key": f"tollgate-org-{org.id}-customer"})
    except stripe.StripeError as exc:
        raise PaymentsUnavailable(f"Stripe refused or did not answer: {exc.user_message or exc}") from None
    org.stripe_customer_id = customer.id
    session.flush()
    return customer.id


def due(session: Session) -> list[int]:
    """Orgs whose wallet is below their auto-recharge threshold."""
    return list(session.scalars(
        select(Organization.id).join(Wallet, Wallet.org_id == Organization.id)
        .where(Organization.auto_recharge_threshold.is_not(None), Organization.auto_recharge_amount.is_not(None),
               Organization.stripe_customer_id.is_not(None), Wallet.balance < Organization.auto_recharge_threshold)))


def recharge(engine, org_id: int) -> str:
    """Charge the org's saved card if its wallet is below the threshold; returns what happened."""
    with Session(engine) as session:
        org = session.scalar(select(Organization).where(Organization.id == org_id).with_for_update(of=Organization))
        wallet = session.scalar(select(Wallet).where(Wallet.org_id == org_id))
        if org is None or not (org.auto_recharge_threshold and org.auto_recharge_amount and org.stripe_customer_id):
            return "off"
        if wallet.balance >= org.auto_recharge_threshold:
            return "not due"
        if in_flight(session, wallet.id):
            return "in flight"
        topup = _pending(session, org, wallet)
        topup_id, price, customer = topup.id, topup.price, org.stripe_customer_id
        session.commit()  # the pending row now keeps any other run away from this wallet
    try:
        intent = client().v1.payment_intents.create(
            params={"amount": cents(price), "currency": "usd", "customer": customer, "off_session": True,
                    "confirm": True, "metadata": {"topup_id": str(topup_id), AUTO: "1"}},
            options={"idempotency_key": f"tollgate-auto-recharge-{topup_id}"})
    except stripe.CardError as exc:
        reason = f"the saved card was declined ({exc.user_message}); auto-recharge is now off"
        return _settle(engine, topup_id, lambda s, t: payments.fail(s, t, reason))
    except stripe.StripeError as exc:
        # Nothing is known to be charged: fail it; should Stripe have charged after all, its
        # payment_intent.succeeded (metadata topup_id) completes this top-up anyway.
        reason = f"Stripe did not answer: {exc.user_message or exc}"
        return _settle(engine, topup_id, lambda s, t: payments.fail(s, t, reason, keep_auto_recharge=True))
    return _settle(engine, topup_id, lambda s, t: payments.complete(s, t, intent.amount_received, intent.currency,
                                                                    intent.id)
                   if intent.status == "succeeded" else payments.Outcome("ignored", intent.status))


def in_flight(session: Session, wallet_id: int) -> bool:
    return session.scalar(select(LedgerEntry.id).join(Topup, Topup.ledger_entry_id == LedgerEntry.id).where(
        Topup.wallet_id == wallet_id, LedgerEntry.status == TxStatus.pending,
        LedgerEntry.details[AUTO].as_boolean().is_(True)).limit(1)) is not None


def _pending(session: Session, org: Organization, wallet: Wallet) -> Topup:
    q = Quote(face_amount=org.auto_recharge_amount, discount=0, ladder_bps=ladder_bps(session, org.auto_recharge_amount),
              plan_bps=org.plan.topup_bonus_bps)
    entry = money.post_pending(session, money.Posting(
        wallet_id=wallet.id, amount=q.credits, type=TxType.credit_topup,
        comment=f"Auto-recharge of {usd_text(q.face_amount)}" + (f" + {usd_text(q.bonus)} bonus" if q.bonus else ""),
        details={"price": q.price, "bonus": q.bonus, AUTO: True}))
    topup = Topup(wallet_id=wallet.id, ledger_entry_id=entry.id, face_amount=q.face_amount, price=q.price,
                  bonus=q.bonus, ladder_bps=q.ladder_bps, plan_bps=q.plan_bps)
    session.add(topup)
    session.flush()
    return topup


def _settle(engine, topup_id: int, apply) -> str:
    with Session(engine) as session:
        outcome = apply(session, session.get(Topup, topup_id))
        session.commit()
    log.info("auto-recharge top-up %s: %s", topup_id, outcome.detail)
    return outcome.detail

