"""The one module that moves money.

Every balance change is an UPDATE of ``wallets.balance`` and a ``ledger_entries`` row
in the same database transaction, so ``wallet.balance == sum(completed ledger amounts)``
always holds. Functions here flush but never commit: the caller commits once, at the
request or job boundary. The UPDATE is a single atomic statement guarded by
``balance + amount >= 0``, so concurrent debits on PostgreSQL can neither lose an update
nor overdraw a wallet.
"""
from collections import defaultdict
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import LedgerEntry, TxStatus, TxType, Wallet, utcnow
from . import mirror

# Types that add credits bought or given, and count towards "all-time credits".
_ADDED_TYPES = {TxType.credit_topup, TxType.credit_gift, TxType.admin_credit, TxType.subscription_start,
                TxType.subscription_renew}
# Subscription steps are recorded in the ledger even when they move no credits (a plan
# without bundled credits, a cancellation, an end): those rows carry amount 0.
_STEP_TYPES = {TxType.subscription_start, TxType.subscription_renew, TxType.subscription_cancel,
               TxType.subscription_end, TxType.dev_plan_start, TxType.dev_plan_upgrade, TxType.dev_plan_downgrade,
               TxType.dev_plan_cancel, TxType.dev_plan_end, TxType.dev_plan_renewal}


class MoneyError(ValueError):
    pass


class InsufficientFunds(MoneyError):
    pass


class RefundTooLarge(MoneyError):
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
    return _post(session, posting, allow_negative)[0]


def post_once(session: Session, posting: Posting) -> LedgerEntry | None:
    """Like ``post`` with a required ``external_id``; None when that id was already applied.

    For forms: a double submit of one confirm step finds its own earlier posting and says so.
    """
    if not posting.external_id:
        raise MoneyError("post_once needs an external_id")
    entry, created = _post(session, posting, False)
    return entry if created else None


def _post(session: Session, posting: Posting, allow_negative: bool) -> tuple[LedgerEntry, bool]:
    _check(posting)
    if posting.external_id:
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == posting.external_id))
        if existing is not None:
            return existing, False
    try:
        with session.begin_nested():
            balance = _apply(session, posting.wallet_id, posting.amount, posting.type, allow_negative)
            entry = _entry(posting, TxStatus.completed, balance)
            session.add(entry)
            session.flush()
    except IntegrityError:
        if posting.external_id is None:
            raise  # not a duplicate posting: some other constraint refused the row
        # Another transaction recorded the same external id first: that one stands.
        existing = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == posting.external_id))
        if existing is None:
            raise
        return existing, False
    _touch(session, posting.wallet_id)
    return entry, True


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


def complete_pending(session: Session, entry_id: int, *, revive_failed: bool = False) -> LedgerEntry:
    """Apply a pending entry to its wallet. Completing twice is a no-op.

    ``revive_failed``: a failed entry may complete too, when the payment processor reports
    the payment succeeded after all (its events can arrive out of order).
    """
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id).with_for_update())
    if entry is None:
        raise MoneyError(f"ledger entry {entry_id} does not exist")
    if entry.status == TxStatus.completed:
        return entry
    if entry.status == TxStatus.failed and not revive_failed:
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


def refund(session: Session, topup_id: int, amount: int, *, actor_id: int | None, comment: str,
           external_id: str, details: dict | None = None, allow_negative: bool = False) -> LedgerEntry | None:
    """Take ``amount`` credits of a completed top-up back out as a ``credit_refund``.

    The top-up's ledger row is locked before its earlier refunds are summed, so concurrent
    refunds of one top-up run one after the other and together never exceed it. Returns
    None when ``external_id`` (the refund form's token, or Stripe's refund id) was already
    applied. ``allow_negative``: the money is already back on the card (a refund made in
    Stripe's dashboard), so the ledger records it even if the wallet goes below zero.
    """
    topup = session.scalar(select(LedgerEntry).where(LedgerEntry.id == topup_id).with_for_update())
    if topup is None or topup.type != TxType.credit_topup or topup.status != TxStatus.completed:
        raise MoneyError("only completed top-ups can be refunded")
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.external_id == external_id)) is not None:
        return None
    left = topup.amount - refunded(session, topup_id)
    if amount > left:
        raise RefundTooLarge(f"top-up {topup_id} has {left} credits left to refund, {amount} asked")
    entry, created = _post(session, Posting(wallet_id=topup.wallet_id, amount=-amount, type=TxType.credit_refund,
                                            actor_id=actor_id, comment=comment, external_id=external_id,
                                            details={**(details or {}), "refund_of": topup_id}), allow_negative)
    return entry if created else None


def refunded(session: Session, topup_id: int) -> int:
    """Credits already refunded from one top-up (a positive number)."""
    return -session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.type == TxType.credit_refund, LedgerEntry.details["refund_of"].as_integer() == topup_id))


@dataclass(frozen=True)
class UsageCharge:
    """One settled request's cost, reserved beforehand by a hold."""

    wallet_id: int
    request_id: str
    cost: int  # credits charged, > 0
    details: dict | None = None


def post_usage_batch(session: Session, charges: list[UsageCharge]) -> set[str]:
    """Debit a batch of settled requests: one UPDATE per wallet, one ledger row per request.

    Idempotent on ``"usage:" + request_id``: requests already in the ledger are skipped.
    Returns the request ids applied now. Balances may go below zero, because each cost was
    reserved by a hold when the request was admitted. Does not drop the Redis mirror: the
    settlement flusher moves these costs from its "unflushed" to its snapshot itself.
    """
    for charge in charges:
        if not isinstance(charge.cost, int) or isinstance(charge.cost, bool) or charge.cost <= 0:
            raise MoneyError(f"usage cost must be a positive integer number of credits, got {charge.cost!r}")
    by_id = {f"usage:{c.request_id}": c for c in charges}
    if not by_id:
        return set()
    done = set(session.scalars(select(LedgerEntry.external_id).where(LedgerEntry.external_id.in_(list(by_id)))))
    by_wallet: dict[int, list[UsageCharge]] = defaultdict(list)
    for external_id, charge in by_id.items():
        if external_id not in done:
            by_wallet[charge.wallet_id].append(charge)
    now, rows = utcnow(), []
    for wallet_id in sorted(by_wallet):  # one lock order across flushers: no deadlocks
        batch = by_wallet[wallet_id]
        total = sum(c.cost for c in batch)
        balance = session.execute(
            update(Wallet).where(Wallet.id == wallet_id)
            .values(balance=Wallet.balance - total, lifetime_spent=Wallet.lifetime_spent + total)
            .returning(Wallet.balance).execution_options(synchronize_session=False)
        ).scalar()
        if balance is None:
            raise MoneyError(f"wallet {wallet_id} does not exist")
        running = balance + total
        for charge in batch:
            running -= charge.cost
            rows.append({"wallet_id": wallet_id, "type": TxType.usage, "status": TxStatus.completed,
                         "amount": -charge.cost, "balance_after": running, "external_id": f"usage:{charge.request_id}",
                         "details": charge.details, "created_at": now, "completed_at": now})
    if rows:
        session.execute(insert(LedgerEntry), rows)
    return {c.request_id for batch in by_wallet.values() for c in batch}


def wallet_for_update(session: Session, wallet_id: int) -> Wallet:
    return session.scalar(select(Wallet).where(Wallet.id == wallet_id).with_for_update())


def _check(posting: Posting) -> None:
    if not isinstance(posting.amount, int) or isinstance(posting.amount, bool):
        raise MoneyError(f"amount must be an integer number of credits, got {posting.amount!r}")
    if posting.amount == 0 and posting.type not in _STEP_TYPES:
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
        # Open holds and queued usage are already promised: a debit may not take them.
        stmt = stmt.where(Wallet.balance + amount - _reserved(wallet_id) >= 0)
    balance = session.execute(
        stmt.values(**values).returning(Wallet.balance).execution_options(synchronize_session=False)
    ).scalar()
    if balance is None:
        exists = session.scalar(select(Wallet.id).where(Wallet.id == wallet_id))
        if exists is None:
            raise MoneyError(f"wallet {wallet_id} does not exist")
        raise InsufficientFunds(f"wallet {wallet_id} cannot cover {-amount} credits beside its open holds")
    return balance


def _reserved(wallet_id: int) -> int:
    try:
        return mirror.wallet_reserved(wallet_id)
    except RedisError as exc:
        raise MoneyError(f"cannot check wallet {wallet_id}'s open holds (Redis unreachable: {exc}); "
                         "debits wait until it is back") from None


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
        mirror.invalidate_wallets(touched)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("tollgate_wallets_touched", None)


def available(session: Session, wallet_id: int) -> int:
    """What a debit may take now: the balance less open holds and queued usage (a read, no lock)."""
    return session.scalar(select(Wallet.balance).where(Wallet.id == wallet_id)) - _reserved(wallet_id)
