"""The ledger as operators read it: money movements one by one, usage summed per wallet per day.

Usage posts one ledger row per API call; listed one by one they bury every top-up, gift
and refund. Lists show the other types by default and this summary beside them.
"""
import datetime as dt

from sqlalchemy import Date, func, select

from ..extensions import db
from ..models import LedgerEntry, Organization, TollgateUser, TxType, Wallet, utcnow

SUMMARY_DAYS = 14


def wants_every_row(args) -> bool:
    """?rows=all (or tx_rows=all on the org page) lists usage rows one by one too."""
    return args.get("rows") == "all" or args.get("tx_rows") == "all"


def usage_per_day(wallet_id: int | None = None, days: int = SUMMARY_DAYS, limit: int = 60) -> list[dict]:
    """Usage per wallet per day over the last ``days`` days, newest first, with the owner's name."""
    since = dt.datetime.combine(utcnow().date() - dt.timedelta(days=days - 1), dt.time())
    day = func.date(LedgerEntry.created_at, type_=Date)
    stmt = (select(LedgerEntry.wallet_id, day.label("day"), func.count().label("calls"),
                   func.sum(LedgerEntry.amount).label("amount"))
            .where(LedgerEntry.type == TxType.usage, LedgerEntry.created_at >= since)
            .group_by(LedgerEntry.wallet_id, day).order_by(day.desc(), func.sum(LedgerEntry.amount)).limit(limit))
    if wallet_id is not None:
        stmt = stmt.where(LedgerEntry.wallet_id == wallet_id)
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    owners = _owners({r["wallet_id"] for r in rows})
    for r in rows:
        r["owner"], r["org_id"] = owners.get(r["wallet_id"], (f"#{r['wallet_id']}", None))
    return rows


def _owners(wallet_ids: set[int]) -> dict[int, tuple[str, int | None]]:
    if not wallet_ids:
        return {}
    rows = db.session.execute(
        select(Wallet.id, Organization.name, Organization.id, TollgateUser.username)
        .outerjoin(Organization, Organization.id == Wallet.org_id)
        .outerjoin(TollgateUser, TollgateUser.id == Wallet.user_id)
        .where(Wallet.id.in_(wallet_ids))).all()
    return {w: (org_name or user_name or f"#{w}", org_id) for w, org_name, org_id, user_name in rows}
