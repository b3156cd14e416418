"""The numbers console pages show: month-to-date usage, a daily cost series, recent calls, ledger pages.

Every query is bounded by an indexed (owner, created_at) prefix: usage by
(org_id, created_at) or (user_id, created_at), the ledger by (wallet_id, created_at).
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import LedgerEntry, Organization, TollgateUser, TxStatus, UsageLog, Wallet
from ..platform_settings import platform_default

LEDGER_PAGE_SIZE = 50
RECENT_CALLS = 10


@dataclass(frozen=True)
class UsageScope:
    """Whose calls a page counts: an org's (all members or one), or a user's personal calls."""
    org_id: int | None
    user_id: int | None

    def criteria(self) -> list:
        if self.org_id is None:
            return [UsageLog.user_id == self.user_id, UsageLog.org_id.is_(None)]
        rows = [UsageLog.org_id == self.org_id]
        if self.user_id is not None:
            rows.append(UsageLog.user_id == self.user_id)
        return rows


def month_start(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, today.month, 1)


def month_totals(scope: UsageScope, today: dt.date) -> dict:
    row = db.session.execute(
        select(func.count(), func.coalesce(func.sum(UsageLog.prompt_tokens + UsageLog.completion_tokens), 0),
               func.coalesce(func.sum(UsageLog.total_cost), 0))
        .where(*scope.criteria(), UsageLog.created_at >= month_start(today))).one()
    return {"requests": row[0], "tokens": int(row[1]), "cost": int(row[2])}


def daily_costs(scope: UsageScope, today: dt.date) -> list[tuple[str, int]]:
    """Cost per day of this month so far, days without calls included as 0."""
    day = func.date(UsageLog.created_at)
    found = {str(d): int(c) for d, c in db.session.execute(
        select(day, func.sum(UsageLog.total_cost))
        .where(*scope.criteria(), UsageLog.created_at >= month_start(today)).group_by(day))}
    days = [month_start(today).date() + dt.timedelta(days=n) for n in range(today.day)]
    return [(d.isoformat(), found.get(d.isoformat(), 0)) for d in days]


def recent_calls(scope: UsageScope) -> list[UsageLog]:
    return list(db.session.scalars(select(UsageLog).where(*scope.criteria())
                                   .order_by(UsageLog.created_at.desc()).limit(RECENT_CALLS)))


def org_wallet(org: Organization) -> Wallet:
    return db.session.scalar(select(Wallet).where(Wallet.org_id == org.id))


def user_wallet(user: TollgateUser) -> Wallet | None:
    return db.session.scalar(select(Wallet).where(Wallet.user_id == user.id))


def low_balance(wallet: Wallet, org: Organization | None, user: TollgateUser) -> tuple[int | None, bool]:
    """(threshold, flagged): the same rule as the alerts, flagged at or below the threshold."""
    if org is not None:
        threshold = org.low_balance_threshold
        if threshold is None:
            threshold = platform_default()["threshold"]
    else:
        threshold = user.low_balance_threshold
    return threshold, threshold is not None and wallet.balance <= threshold


def ledger_page(wallet: Wallet, page: int) -> tuple[list[LedgerEntry], bool]:
    """One page of the wallet's ledger, newest first, and whether another page follows."""
    rows = list(db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.wallet_id == wallet.id, LedgerEntry.status != TxStatus.failed)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .offset((page - 1) * LEDGER_PAGE_SIZE).limit(LEDGER_PAGE_SIZE + 1)))
    return rows[:LEDGER_PAGE_SIZE], len(rows) > LEDGER_PAGE_SIZE
