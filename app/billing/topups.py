"""Buying credits: the quote (ladder, plan bonus, discount) and the Checkout Session that collects it.

A top-up of F dollars at face value delivers F plus a bonus of F x (ladder % + plan %),
rounded down to the credit; a discount code lowers the price charged, never the credits.
The ``credit_topup`` ledger entry is written ``pending`` with the session; Stripe's webhook
completes or fails it (app/billing/payments.py).
"""
from dataclasses import dataclass
from decimal import Decimal

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..inputs import InputError
from ..models import BonusTier, DiscountCode, Plan, Topup, TxType
from . import discounts, money
from .stripe_api import PaymentsUnavailable, cents, client
from .units import usd_json, usd_text, usd_to_credits

FIELD = "amount_usd"


@dataclass(frozen=True)
class Quote:
    face_amount: int  # credits bought at face value
    discount: int  # credits taken off the price
    ladder_bps: int
    plan_bps: int
    code: DiscountCode | None = None

    @property
    def price(self) -> int:
        return self.face_amount - self.discount

    @property
    def bonus(self) -> int:
        return self.face_amount * (self.ladder_bps + self.plan_bps) // 10_000

    @property
    def credits(self) -> int:
        return self.face_amount + self.bonus


def parse_amount(raw) -> int:
    """A top-up amount in USD (a JSON number or a string, whole cents) within the configured bounds."""
    if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise InputError(FIELD, "amount_usd is required: a USD amount such as 20 or \"99.99\"")
    try:
        face = usd_to_credits(raw)
    except ValueError:
        raise InputError(FIELD, f"amount_usd must be a USD amount, got {raw!r}") from None
    if face % 10_000:
        raise InputError(FIELD, "amount_usd must be in whole cents (at most 2 decimal places)")
    low, high = bounds()
    if face < low:
        raise InputError(FIELD, f"amount_usd must be at least the minimum top-up of {usd_text(low)}")
    if face > high:
        raise InputError(FIELD, f"amount_usd must be at most the maximum top-up of {usd_text(high)}")
    return face


def bounds() -> tuple[int, int]:
    cfg = current_app.config
    return usd_to_credits(cfg["TOPUP_MIN_USD"]), usd_to_credits(cfg["TOPUP_MAX_USD"])


def ladder_bps(session: Session, face: int) -> int:
    return session.scalar(select(BonusTier.bonus_bps).where(BonusTier.min_amount <= face)
                          .order_by(BonusTier.min_amount.desc()).limit(1)) or 0


def quote(session: Session, wallet_id: int, plan_id: int | None, raw_amount, raw_code=None) -> Quote:
    face = parse_amount(raw_amount)
    plan_bps = (session.scalar(select(Plan.topup_bonus_bps).where(Plan.id == plan_id)) or 0) if plan_id else 0
    code, off = None, 0
    if raw_code not in (None, ""):
        code = discounts.find(session, raw_code, wallet_id)
        off = discounts.amount_off(code, face)
        if face - off < 500_000:
            raise InputError(discounts.FIELD, f"discount code {code.code!r} would leave less than the $0.50 "
                                              "a card payment needs; choose a larger amount")
    return Quote(face_amount=face, discount=off, ladder_bps=ladder_bps(session, face), plan_bps=plan_bps, code=code)


def describe(q: Quote) -> dict:
    """The quote as the API shows it before paying."""
    return {"amount_usd": usd_json(q.face_amount), "price_usd": usd_json(q.price), "discount_usd": usd_json(q.discount),
            "discount_code": q.code.code if q.code else None, "bonus_percent": _percent(q.ladder_bps + q.plan_bps),
            "ladder_bonus_percent": _percent(q.ladder_bps), "plan_bonus_percent": _percent(q.plan_bps),
            "bonus_credits": q.bonus, "credits": q.credits, "credits_usd": usd_json(q.credits)}


def start(session: Session, q: Quote, *, wallet_id: int, user_id: int | None, email: str | None,
          success_url: str, cancel_url: str, customer: str | None = None) -> tuple[Topup, str]:
    """Write the pending top-up and create its Checkout Session; returns it and the URL to send
    the payer to (Stripe's page, reached once, so not stored). The caller commits.

    A Stripe error raises PaymentsUnavailable: the caller rolls back, nothing is left pending.
    """
    entry = money.post_pending(session, money.Posting(
        wallet_id=wallet_id, amount=q.credits, type=TxType.credit_topup, actor_id=user_id,
        comment=f"Top-up of {usd_text(q.face_amount)}" + (f" + {usd_text(q.bonus)} bonus" if q.bonus else ""),
        details={"price": q.price, "bonus": q.bonus}))
    topup = Topup(wallet_id=wallet_id, ledger_entry_id=entry.id, user_id=user_id, face_amount=q.face_amount,
                  price=q.price, bonus=q.bonus, ladder_bps=q.ladder_bps, plan_bps=q.plan_bps,
                  discount_code_id=q.code.id if q.code else None)
    session.add(topup)
    session.flush()
    if q.code is not None:
        discounts.claim(session, q.code, wallet_id, entry.id, q.discount)
    metadata = {"topup_id": str(topup.id), "wallet_id": str(wallet_id)}
    params = {
        "mode": "payment", "client_reference_id": str(topup.id), "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "payment_method_types": current_app.config["STRIPE_PAYMENT_METHODS"],
        "success_url": success_url, "cancel_url": cancel_url,
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": cents(q.price),
            "product_data": {"name": f"Tollgate credits: {usd_text(q.credits)}"}}}],
    }
    if customer:
        params["customer"] = customer
        params["payment_intent_data"]["setup_future_usage"] = "off_session"
    elif email:
        params["customer_email"] = email
    try:
        checkout = client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as exc:
        raise PaymentsUnavailable(f"Stripe refused or did not answer: {exc.user_message or exc}") from None
    topup.stripe_session_id = checkout.id
    session.flush()
    return topup, checkout.url


def _percent(bps: int) -> str:
    return f"{Decimal(bps) / 100:g}"
