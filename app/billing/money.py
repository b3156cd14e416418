"""The one module that moves money.

Every balance change is an UPDATE of ``wallets.balance`` and a ``ledger_entries`` row
in the same database transaction, so ``wallet.balance == sum(completed ledger amounts)``
always holds. Functions here flush but never commit: the caller commits once, at the
request or job boundary. The UPDATE is a single atomic statement guarded by
``balance + amount >= 0``, so concurrent debits on PostgreSQL can neither lose an update
nor overdraw a wallet.
"""
from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import LedgerEntry, TxStatus, TxType, Wallet, utcnow

# Types that add credits bought or given, and count towards "all-time credits".
_ADDED_TYPES = {TxType.credit_topup, TxType.credit_gift, TxType.admin_credit}


class MoneyError(ValueError):
    pass


class InsufficientFunds(MoneyError):
    pass


@dataclass
class Posting:
    wallet_id: int
    amount: int
    type: TxType
    actor_id: int | None = None
    comment: str | None = None
    external_id: str | None = None
    details: dict | None = None


def post(session: Session, posting: Posting, *, allow_negative: bool = False) -> LedgerEntry:
    """Apply one completed balance change with its ledger row; idempotent on ``external_id``.

    Debits are refused (``InsufficientFunds``) rather than taking the wallet below zero,
    unless ``allow_negative`` (only usage settlement, whose cost was already reserved).
    """
    _check(posting)
    if posting.external_id:
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == posting.external_id))
        if existing is not None:
            return existing
    try:
        with session.begin_nested():
            balance = _apply(session, posting.wallet_id, posting.amount, posting.type, allow_negative)
            entry = _entry(posting, TxStatus.completed, balance)
            session.add(entry)
            session.flush()
    except IntegrityError:
        # Another transaction recorded the same external id first: that one stands.
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == posting.external_id))
        if existing is None:
            raise
        return existing
    _touch(session, posting.wallet_id)
    return entry


def post_pending(session: Session, posting: Posting) -> LedgerEntry:
    """Record a change that has not happened yet (a top-up awaiting payment). Balance untouched."""
    _check(posting)
    if posting.external_id:
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == posting.external_id))
        if existing is not None:
            return existing
    entry = _entry(posting, TxStatus.pending, None)
    session.add(entry)
    session.flush()
    return entry


def complete_pending(session: Session, entry_id: int) -> LedgerEntry:
    """Apply a pending entry to its wallet. Completing twice is a no-op."""
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id).with_for_update())
    if entry is None:
        raise MoneyError(f"ledger entry {entry_id} does not exist")
    if entry.status == TxStatus.completed:
        return entry
    if entry.status == TxStatus.failed:
        raise MoneyError(f"ledger entry {entry_id} has failed and cannot be completed")
    entry.balance_after = _apply(session, entry.wallet_id, entry.amount, entry.type, False)
    entry.status = TxStatus.completed
    entry.completed_at = utcnow()
    session.flush()
    _touch(session, entry.wallet_id)
    return entry


def fail_pending(session: Session, entry_id: int, reason: str | None = None) -> LedgerEntry:
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id).with_for_update())
    if entry is None:
        raise MoneyError(f"ledger entry {entry_id} does not exist")
    if entry.status == TxStatus.pending:
        entry.status = TxStatus.failed
        entry.completed_at = utcnow()
        if reason:
            entry.comment = f"{entry.comment or ''}\n{reason}".strip()
        session.flush()
    return entry


def wallet_for_update(session: Session, wallet_id: int) -> Wallet:
    return session.scalar(select(Wallet).where(Wallet.id == wallet_id).with_for_update())


def _check(posting: Posting) -> None:
    if not isinstance(posting.amount, int) or isinstance(posting.amount, bool):
        raise MoneyError(f"amount must be an integer number of credits, got {posting.amount!r}")
    if posting.amount == 0:
        raise MoneyError("amount must not be zero")
    if posting.type in _ADDED_TYPES and posting.amount < 0:
        raise MoneyError(f"{posting.type.value} must add credits (amount > 0)")
    if posting.type in (TxType.admin_debit, TxType.usage) and posting.amount > 0:
        raise MoneyError(f"{posting.type.value} must remove credits (amount < 0)")


def _apply(session: Session, wallet_id: int, amount: int, tx_type: TxType, allow_negative: bool) -> int:
    values = {"balance": Wallet.balance + amount}
    if tx_type in _ADDED_TYPES:
        values["lifetime_added"] = Wallet.lifetime_added + amount
    if tx_type == TxType.credit_topup:
        values["lifetime_topup"] = Wallet.lifetime_topup + amount
    if tx_type == TxType.usage:
        values["lifetime_spent"] = Wallet.lifetime_spent - amount
    stmt = update(Wallet).where(Wallet.id == wallet_id)
    if amount < 0 and not allow_negative:
        stmt = stmt.where(Wallet.balance + amount >= 0)
    balance = session.execute(
        stmt.values(**values).returning(Wallet.balance).execution_options(synchronize_session=False)
    ).scalar()
    if balance is None:
        exists = session.scalar(select(Wallet.id).where(Wallet.id == wallet_id))
        if exists is None:
            raise MoneyError(f"wallet {wallet_id} does not exist")
        raise InsufficientFunds(f"wallet {wallet_id} cannot cover {-amount} credits")
    return balance


def _entry(posting: Posting, status: TxStatus, balance_after: int | None) -> LedgerEntry:
    now = utcnow()
    return LedgerEntry(
        wallet_id=posting.wallet_id,
        type=posting.type,
        status=status,
        amount=posting.amount,
        balance_after=balance_after,
        actor_id=posting.actor_id,
        comment=posting.comment,
        external_id=posting.external_id,
        details=posting.details,
        created_at=now,
        completed_at=now if status == TxStatus.completed else None,
    )


# After a commit that changed balances, the gateway's Redis mirror of those balances is
# dropped so the next request reloads it from the database.
def _touch(session: Session, wallet_id: int) -> None:
    session.info.setdefault("tollgate_wallets_touched", set()).add(wallet_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    touched = session.info.pop("tollgate_wallets_touched", None)
    if touched:
        from . import mirror

        mirror.invalidate_wallets(touched)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("tollgate_wallets_touched", None)
