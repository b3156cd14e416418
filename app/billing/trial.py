"""The Free plan's trial allowance: credits a new account receives once.

A person gets it at most once for their own account and once for an org they create, however
often they delete and recreate either. The person is their email address (lower-cased, any
``+tag`` dropped), hashed into the ledger row's external id, so the money module's
idempotency on that id is the "never again": a second grant finds the first and adds nothing.
An org created without a person (by an admin) is known by its billing email, else its id.
"""
import hashlib

from flask import current_app

from ..models import LedgerEntry, TxType
from . import money
from .units import usd_to_credits

TRIAL_COMMENT = "trial allowance"


def person_key(email: str) -> str:
    local, _, domain = email.strip().lower().partition("@")
    return hashlib.sha256(f"{local.split('+', 1)[0]}@{domain}".encode()).hexdigest()[:40]


def amount() -> int:
    return usd_to_credits(str(current_app.config["TRIAL_CREDITS_USD"]))


def grant_to_person(session, wallet_id: int, email: str, actor_id: int | None = None) -> LedgerEntry | None:
    """The trial on a person's own wallet; None when they had it already (or trials are off)."""
    return _grant(session, wallet_id, f"trial:user:{person_key(email)}", actor_id)


def grant_to_org(session, org, creator_email: str | None, actor_id: int | None = None) -> LedgerEntry | None:
    """The trial on a new org's wallet, once per creating person; None when they had one for an org already."""
    email = creator_email or org.billing_email
    owner = f"trial:org:{person_key(email)}" if email else f"trial:org-id:{org.id}"
    return _grant(session, org.wallet.id, owner, actor_id)


def _grant(session, wallet_id: int, external_id: str, actor_id: int | None) -> LedgerEntry | None:
    credits = amount()
    if credits <= 0:
        return None
    return money.post_once(session, money.Posting(wallet_id=wallet_id, amount=credits, type=TxType.credit_gift,
                                                  actor_id=actor_id, comment=TRIAL_COMMENT,
                                                  external_id=external_id, details={"trial": True}))
