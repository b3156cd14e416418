"""Gifts of credits with limits per role and four-eyes approval above them.

A giver whose roles all carry limits (Support) gifts directly up to the per-action limit and
the per-day total; above either, the gift becomes a pending GiftRequest. An Admin or Finance
user other than the requester approves it (the credits move then, through the money module,
once) or rejects it. Every step is audited; callers commit.
"""
import datetime as dt

from sqlalchemy import func, select

from . import audit
from .billing import money
from .billing.units import usd_text
from .extensions import db
from .models import GiftRequest, GiftStatus, LedgerEntry, Organization, TollgateUser, TxType, utcnow
from .platform_settings import gift_limits


class GiftError(ValueError):
    """A decision that cannot be taken; the message names the reason."""


def limits_for(user: TollgateUser) -> dict | None:
    """The most generous limits among the user's roles; None when one of them has none."""
    table = gift_limits()
    roles = [r.name for r in user.roles]
    if not roles or any(role not in table for role in roles):
        return None
    per_action = [table[r].get("per_action") for r in roles]
    per_day = [table[r].get("per_day") for r in roles]
    return {"per_action": None if None in per_action else max(per_action),
            "per_day": None if None in per_day else max(per_day)}


def given_today(user_id: int, now: dt.datetime | None = None) -> int:
    """Credits this user gifted directly since midnight UTC."""
    start = dt.datetime.combine((now or utcnow()).date(), dt.time())
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.type == TxType.credit_gift, LedgerEntry.actor_id == user_id, LedgerEntry.created_at >= start)))


def over_limit(user: TollgateUser, amount: int) -> str | None:
    """Why this gift needs approval, or None when the giver may post it now."""
    limits = limits_for(user)
    if limits is None:
        return None
    if limits["per_action"] is not None and amount > limits["per_action"]:
        return f"above the per-gift limit of {usd_text(limits['per_action'])}"
    if limits["per_day"] is not None and given_today(user.id) + amount > limits["per_day"]:
        return f"above the daily limit of {usd_text(limits['per_day'])}"
    return None


def request_gift(org: Organization, amount: int, comment: str | None, reason: str,
                 requester: TollgateUser, form_token: str) -> GiftRequest | None:
    """Files a pending request; None if this form's token already filed one."""
    if db.session.scalar(select(GiftRequest.id).where(GiftRequest.form_token == form_token)) is not None:
        return None
    gift = GiftRequest(org_id=org.id, amount=amount, comment=comment, reason=reason, requested_by_id=requester.id,
                       form_token=form_token)
    db.session.add(gift)
    db.session.flush()
    audit.record("gift.request", org, {"gift_request_id": gift.id, "amount": amount, "amount_usd": usd_text(amount),
                                       "reason": reason, "comment": comment})
    return gift


def _pending(gift_id: int, decider: TollgateUser) -> GiftRequest:
    gift = db.session.scalar(select(GiftRequest).where(GiftRequest.id == gift_id).with_for_update())
    if gift is None:
        raise GiftError("Gift request: not found")
    if gift.status != GiftStatus.pending:
        raise GiftError(f"Gift request: already {gift.status.value}")
    if gift.requested_by_id == decider.id:
        raise GiftError("Gift request: a second person must decide on it (four eyes)")
    return gift


def approve(gift_id: int, decider: TollgateUser, comment: str | None = None) -> GiftRequest:
    """Posts the gift (once: the ledger external_id is the request's) and marks the request approved."""
    gift = _pending(gift_id, decider)
    entry = money.post_once(db.session, money.Posting(
        wallet_id=gift.org.wallet.id, amount=gift.amount, type=TxType.credit_gift, actor_id=decider.id,
        comment=gift.comment, external_id=f"gift-request:{gift.id}",
        details={"gift_request_id": gift.id, "requested_by_id": gift.requested_by_id}))
    if entry is None:
        raise GiftError("Gift request: already posted")
    _decide(gift, GiftStatus.approved, decider, comment)
    gift.ledger_entry_id = entry.id
    audit.record("gift.approve", gift.org, {"gift_request_id": gift.id, "amount": gift.amount,
                                            "amount_usd": usd_text(gift.amount), "requested_by_id": gift.requested_by_id,
                                            "ledger_entry_id": entry.id, "balance_after": entry.balance_after,
                                            "comment": comment})
    return gift


def reject(gift_id: int, decider: TollgateUser, comment: str | None = None) -> GiftRequest:
    gift = _pending(gift_id, decider)
    _decide(gift, GiftStatus.rejected, decider, comment)
    audit.record("gift.reject", gift.org, {"gift_request_id": gift.id, "amount": gift.amount,
                                           "amount_usd": usd_text(gift.amount), "requested_by_id": gift.requested_by_id,
                                           "comment": comment})
    return gift


def _decide(gift: GiftRequest, status: GiftStatus, decider: TollgateUser, comment: str | None) -> None:
    gift.status, gift.decided_by_id, gift.decided_at, gift.decision_comment = status, decider.id, utcnow(), comment
