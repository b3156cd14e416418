"""Queries behind Overview, Platform metrics and Usage: rollups and small tables only."""
import datetime as dt

from sqlalchemy import Date, func, select

from ..extensions import db
from .live import usage_source
from ..models import (ApiKey, LedgerDaily, Organization, Subscription, TollgateUser, TxType, UsageDailyOrgModel,
                      Wallet)

REVENUE_TYPES = [TxType.credit_topup.value, TxType.subscription_start.value, TxType.subscription_renew.value,
                 TxType.dev_plan_start.value, TxType.dev_plan_renewal.value, TxType.dev_plan_upgrade.value]
REFUND_TYPES = [TxType.credit_refund.value]


def today_totals(today: dt.date) -> dict:
    src = usage_source(dt.datetime.combine(today, dt.time()))
    row = db.session.execute(select(
        func.coalesce(func.sum(src.c.requests), 0).label("requests"),
        func.coalesce(func.sum(src.c.prompt_tokens + src.c.completion_tokens), 0).label("tokens"),
        func.coalesce(func.sum(src.c.total_cost), 0).label("cost"),
        func.count(func.distinct(src.c.user_id)).label("active_users"),
    )).one()
    return {k: int(v) for k, v in row._mapping.items()}


def tier_breakdown(today: dt.date) -> list[dict]:
    """Requests per user tier today; requests with no user (org keys) get their own row, tier None,
    so the rows add up to today's total."""
    src = usage_source(dt.datetime.combine(today, dt.time()))
    rows = db.session.execute(
        select(TollgateUser.tier, func.sum(src.c.requests), func.sum(src.c.total_cost),
               func.count(func.distinct(src.c.user_id)))
        .select_from(src).outerjoin(TollgateUser, TollgateUser.id == src.c.user_id)
        .group_by(TollgateUser.tier).order_by(TollgateUser.tier.nulls_last())
    ).all()
    return [{"tier": t.value if t is not None else None, "requests": int(r), "cost": int(c), "users": u}
            for t, r, c, u in rows]


def balance_trend(days: int, today: dt.date) -> list[tuple[str, int]]:
    """Credits held in all wallets at the end of each day: today's total minus later movements."""
    since = today - dt.timedelta(days=days - 1)
    current = db.session.scalar(select(func.coalesce(func.sum(Wallet.balance), 0)))
    moves = dict(db.session.execute(
        select(LedgerDaily.day, func.sum(LedgerDaily.amount)).where(LedgerDaily.day > since)
        .group_by(LedgerDaily.day)).all())
    points, balance = [], int(current)
    for offset in range(days):
        day = today - dt.timedelta(days=offset)
        points.append((day.isoformat(), balance))
        balance -= int(moves.get(day, 0))
    return list(reversed(points))


def platform_totals() -> dict:
    return {
        "orgs": db.session.scalar(select(func.count(Organization.id))),
        "users": db.session.scalar(select(func.count(TollgateUser.id))),
        "credits": db.session.scalar(select(func.coalesce(func.sum(Wallet.balance), 0))),
        "revenue": db.session.scalar(select(func.coalesce(func.sum(LedgerDaily.amount), 0))
                                     .where(LedgerDaily.type.in_(REVENUE_TYPES))),
        "refunds": db.session.scalar(select(func.coalesce(func.sum(LedgerDaily.amount), 0))
                                     .where(LedgerDaily.type.in_(REFUND_TYPES))),
        "subscriptions": db.session.scalar(select(func.count(Subscription.id)).where(Subscription.status == "active")),
        "active_keys": db.session.scalar(select(func.count(ApiKey.id)).where(ApiKey.status == "active")),
        # Usage the upstreams reported beyond the holds that capped the charges (usage_logs.unbilled_cost).
        "losses": db.session.scalar(select(func.coalesce(func.sum(UsageDailyOrgModel.unbilled_cost), 0))),
    }


def daily_series(since: dt.date) -> dict[str, list]:
    """Signups, revenue, tokens and cost per day since ``since``, zero-filled."""
    # date() is a function on PostgreSQL and SQLite alike; CAST(... AS DATE) is a number on SQLite.
    signup_day = func.date(TollgateUser.created_on, type_=Date)
    signups = dict(db.session.execute(
        select(signup_day, func.count()).where(TollgateUser.created_on >= since).group_by(signup_day)).all())
    revenue = dict(db.session.execute(
        select(LedgerDaily.day, func.sum(LedgerDaily.amount)).where(
            LedgerDaily.day >= since, LedgerDaily.type.in_(REVENUE_TYPES)).group_by(LedgerDaily.day)).all())
    usage = {d: (t, c) for d, t, c in db.session.execute(
        select(UsageDailyOrgModel.day, func.sum(UsageDailyOrgModel.prompt_tokens + UsageDailyOrgModel.completion_tokens),
               func.sum(UsageDailyOrgModel.total_cost)).where(UsageDailyOrgModel.day >= since)
        .group_by(UsageDailyOrgModel.day)).all()}
    days = [since + dt.timedelta(days=i) for i in range((dt.date.today() - since).days + 1)]
    return {
        "labels": [d.isoformat() for d in days],
        "signups": [int(signups.get(d, 0)) for d in days],
        "revenue_usd": [int(revenue.get(d, 0)) / 1_000_000 for d in days],
        "tokens": [int(usage.get(d, (0, 0))[0] or 0) for d in days],
        "cost_usd": [int(usage.get(d, (0, 0))[1] or 0) / 1_000_000 for d in days],
    }
