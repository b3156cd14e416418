"""One function per event type, called where its change happens, in that change's transaction.

Each takes the session of the change and ids or plain values, and returns the event row.
"""
from sqlalchemy.orm import Session

from ..models import ApiKey, Event, Membership
from .bus import emit

LOW_BALANCE = "system.balance.notify.dispatched"
PAYMENT_RECEIVED = "system.payment.received"
PAYMENT_FAILED = "system.payment.failed"


def _key_data(key: ApiKey) -> dict:
    return {"key_id": key.id, "prefix": key.prefix, "name": key.name, "user_id": key.user_id,
            "org_id": key.org_id}


def key_created(session: Session, key: ApiKey) -> Event:
    return emit(session, "key.created", _key_data(key), org_id=key.org_id, user_id=key.user_id)


def key_revoked(session: Session, key: ApiKey) -> Event:
    return emit(session, "key.revoked", _key_data(key), org_id=key.org_id, user_id=key.user_id)


def key_expired(session: Session, key: ApiKey) -> Event:
    data = {**_key_data(key), "expires_at": key.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return emit(session, "key.expired", data, org_id=key.org_id, user_id=key.user_id)


def key_cap_reached(session: Session, key: ApiKey, cap: str) -> Event:
    """``cap``: "quota", "5h", "1d", "7d" or "model:<id>"."""
    return emit(session, "key.cap_reached", {**_key_data(key), "cap": cap}, org_id=key.org_id,
                user_id=key.user_id)


def balance_low(session: Session, wallet_id: int, balance: int, threshold: int, *,
                org_id: int | None, user_id: int | None) -> Event:
    data = {"wallet_id": wallet_id, "balance_credits": balance, "threshold_credits": threshold}
    return emit(session, LOW_BALANCE, data, org_id=org_id, user_id=None if org_id else user_id)


def member_invited(session: Session, org_id: int, email: str, role: str, invited_by: int | None) -> Event:
    return emit(session, "member.invited", {"org_id": org_id, "email": email, "role": role,
                                            "invited_by": invited_by}, org_id=org_id)


def member_joined(session: Session, membership: Membership) -> Event:
    role = getattr(membership.role, "value", membership.role)
    return emit(session, "member.joined", {"org_id": membership.org_id, "user_id": membership.user_id,
                                           "role": role}, org_id=membership.org_id)


def payment_received(session: Session, wallet_id: int, amount: int, *, org_id: int | None,
                     user_id: int | None, reference: str | None = None) -> Event:
    return emit(session, PAYMENT_RECEIVED, {"wallet_id": wallet_id, "amount_credits": amount,
                                                     "reference": reference},
                org_id=org_id, user_id=None if org_id else user_id)


def payment_failed(session: Session, wallet_id: int, amount: int, reason: str, *, org_id: int | None,
                   user_id: int | None, reference: str | None = None) -> Event:
    return emit(session, PAYMENT_FAILED, {"wallet_id": wallet_id, "amount_credits": amount,
                                                   "reason": reason, "reference": reference},
                org_id=org_id, user_id=None if org_id else user_id)


SUBSCRIPTION_UPDATED = "subscription.updated"


def subscription_updated(session: Session, org_id: int, plan_code: str, previous: str | None,
                         reason: str | None = None, **details) -> Event:
    """``reason`` says why (app/billing/subscriptions.py); ``details`` such as ``grace_until`` go in the data."""
    data = {"org_id": org_id, "plan": plan_code, "previous_plan": previous}
    if reason:
        data["reason"] = reason
    return emit(session, SUBSCRIPTION_UPDATED, {**data, **details}, org_id=org_id)
