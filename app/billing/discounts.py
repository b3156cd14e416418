"""Discount codes on top-ups: they lower the price paid, never the credits delivered.

A code is claimed when its top-up's Checkout Session is created (one guarded UPDATE counts
the redemption, a unique row per wallet keeps it to once per org or person) and given back
if that top-up fails, so a declined card does not use a code up.
"""
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..inputs import InputError
from ..models import DiscountCode, DiscountRedemption, utcnow

FIELD = "discount_code"
_CENT = 10_000  # credits


def find(session: Session, raw, wallet_id: int) -> DiscountCode:
    """The usable code named ``raw``; InputError with the reason otherwise."""
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(FIELD, "discount_code must be a non-empty string")
    code = session.scalar(select(DiscountCode).where(func.lower(DiscountCode.code) == raw.strip().lower()))
    if code is None or not code.active:
        raise InputError(FIELD, f"discount code {raw.strip()!r} does not exist or is not active")
    if code.expires_at is not None and code.expires_at <= utcnow():
        raise InputError(FIELD, f"discount code {code.code!r} has expired")
    if code.usage_limit is not None and code.redemption_count >= code.usage_limit:
        raise InputError(FIELD, f"discount code {code.code!r} has been used up")
    used = session.scalar(select(DiscountRedemption.id).where(DiscountRedemption.code_id == code.id,
                                                              DiscountRedemption.wallet_id == wallet_id))
    if used is not None:
        raise InputError(FIELD, f"discount code {code.code!r} was already used by this account")
    return code


def amount_off(code: DiscountCode, face: int) -> int:
    """Credits taken off a top-up of ``face`` credits, rounded down to a whole cent."""
    off = face * code.percent_bps // 10_000 if code.kind == "percent" else (code.amount or 0)
    return min(off, face) // _CENT * _CENT


def claim(session: Session, code: DiscountCode, wallet_id: int, ledger_entry_id: int, off: int) -> None:
    """Count the redemption; InputError if the last use or this wallet's use was taken meanwhile."""
    now = utcnow()
    counted = session.execute(
        update(DiscountCode).where(
            DiscountCode.id == code.id, DiscountCode.active.is_(True),
            or_(DiscountCode.usage_limit.is_(None), DiscountCode.redemption_count < DiscountCode.usage_limit),
            or_(DiscountCode.expires_at.is_(None), DiscountCode.expires_at > now))
        .values(redemption_count=DiscountCode.redemption_count + 1).returning(DiscountCode.id)
        .execution_options(synchronize_session=False)).scalar()
    if counted is None:
        raise InputError(FIELD, f"discount code {code.code!r} has been used up")
    try:
        with session.begin_nested():
            session.add(DiscountRedemption(code_id=code.id, wallet_id=wallet_id, ledger_entry_id=ledger_entry_id,
                                           amount=off, created_at=now))
            session.flush()
    except IntegrityError:
        raise InputError(FIELD, f"discount code {code.code!r} was already used by this account") from None


def release(session: Session, ledger_entry_id: int) -> None:
    """Give back the code a failed top-up had claimed."""
    code_id = session.execute(delete(DiscountRedemption).where(DiscountRedemption.ledger_entry_id == ledger_entry_id)
                              .returning(DiscountRedemption.code_id)).scalar()
    if code_id is not None:
        session.execute(update(DiscountCode).where(DiscountCode.id == code_id)
                        .values(redemption_count=DiscountCode.redemption_count - 1))


def reclaim(session: Session, code_id: int, wallet_id: int, ledger_entry_id: int, off: int) -> None:
    """A failed top-up paid after all (Stripe said so later): its redemption counts again, limit or not."""
    if session.scalar(select(DiscountRedemption.id).where(DiscountRedemption.ledger_entry_id == ledger_entry_id)):
        return
    try:
        with session.begin_nested():
            session.add(DiscountRedemption(code_id=code_id, wallet_id=wallet_id, ledger_entry_id=ledger_entry_id,
                                           amount=off, created_at=utcnow()))
            session.flush()
    except IntegrityError:
        return  # this wallet redeemed it again meanwhile: one redemption row is all it keeps
    session.execute(update(DiscountCode).where(DiscountCode.id == code_id)
                    .values(redemption_count=DiscountCode.redemption_count + 1))
