"""The numbers console pages show: month-to-date usage, a daily cost series, recent calls, ledger pages.

Month figures read the daily rollup (``usage_daily``, what the back office's Usage screen
reads) for the days already over, and the raw calls of today only: today's rollup is still
being rebuilt every few minutes, and a call just made must show at once. So a month costs one
rollup range scan plus one day of ``usage_logs`` however many calls the month holds. Every
query is bounded by an indexed (owner, day or created_at) prefix.
"""
import datetime as dt

from sqlalchemy import func, select

from ..call_log import UsageScope
from ..extensions import db
from ..models import LedgerEntry, Organization, TollgateUser, TxStatus, UsageDaily, UsageLog, Wallet
from ..platform_settings import platform_default

LEDGER_PAGE_SIZE = 50
RECENT_CALLS = 10


def month_start(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, today.month, 1)


def _days_before_today(scope: UsageScope, today: dt.date, *columns, group_by=None):
    query = select(*columns).where(*scope.criteria(UsageDaily), UsageDaily.day >= month_start(today).date(),
                                   UsageDaily.day < today)
    return db.session.execute(query.group_by(group_by) if group_by is not None else query)


def _today(scope: UsageScope, today: dt.date, *columns):
    start = dt.datetime.combine(today, dt.time())
    return db.session.execute(select(*columns).where(*scope.criteria(), UsageLog.created_at >= start,
                                                     UsageLog.created_at < start + dt.timedelta(days=1)))


def month_totals(scope: UsageScope, today: dt.date) -> dict:
    past = _days_before_today(scope, today, func.coalesce(func.sum(UsageDaily.requests), 0),
                              func.coalesce(func.sum(UsageDaily.prompt_tokens + UsageDaily.completion_tokens), 0),
                              func.coalesce(func.sum(UsageDaily.total_cost), 0)).one()
    live = _today(scope, today, func.count(),
                  func.coalesce(func.sum(UsageLog.prompt_tokens + UsageLog.completion_tokens), 0),
                  func.coalesce(func.sum(UsageLog.total_cost), 0)).one()
    return {"requests": int(past[0] + live[0]), "tokens": int(past[1] + live[1]), "cost": int(past[2] + live[2])}


def daily_costs(scope: UsageScope, today: dt.date) -> list[tuple[str, int]]:
    """Cost per day of this month so far, days without calls included as 0."""
    found = {str(d): int(c) for d, c in _days_before_today(scope, today, UsageDaily.day,
                                                            func.sum(UsageDaily.total_cost),
                                                            group_by=UsageDaily.day)}
    found[today.isoformat()] = int(_today(scope, today, func.coalesce(func.sum(UsageLog.total_cost), 0)).scalar())
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
