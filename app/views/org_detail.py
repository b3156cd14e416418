"""Everything the organization detail page shows, gathered in bounded queries."""
from flask import request
from sqlalchemy import select

from ..extensions import db
from ..models import ApiKey, LedgerEntry, Membership, Organization, Project, Subscription, TxType, UsageLog
from ..reporting import ledger, live, metrics

PAGE = 25


def _page(name: str) -> int:
    try:
        return max(int(request.args.get(name, 0)), 0)
    except ValueError:
        return 0


def detail_context(org: Organization) -> dict:
    window = request.args.get("window", metrics.DEFAULT_WINDOW)
    if window not in metrics.WINDOWS:
        window = metrics.DEFAULT_WINDOW
    tx_type = request.args.get("tx_type") or None
    if tx_type not in {t.value for t in TxType}:
        tx_type = None
    tx_page, log_page = _page("tx_page"), _page("log_page")

    every_row = ledger.wants_every_row(request.args)
    tx_query = select(LedgerEntry).where(LedgerEntry.wallet_id == org.wallet.id)
    if tx_type:
        tx_query = tx_query.where(LedgerEntry.type == TxType(tx_type))
    elif not every_row:
        tx_query = tx_query.where(LedgerEntry.type != TxType.usage)
    transactions = db.session.scalars(
        tx_query.order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).offset(tx_page * PAGE).limit(PAGE)
    ).all()
    logs = db.session.scalars(
        select(UsageLog).where(UsageLog.org_id == org.id)
        .order_by(UsageLog.created_at.desc()).offset(log_page * PAGE).limit(PAGE)
    ).all()
    projects = db.session.scalars(select(Project).where(Project.org_id == org.id).order_by(Project.name)).all()
    keys = db.session.scalars(select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.created_at.desc())).all()
    members = db.session.scalars(
        select(Membership).where(Membership.org_id == org.id).order_by(Membership.role, Membership.id)
    ).all()
    subscription = db.session.scalars(
        select(Subscription).where(Subscription.org_id == org.id).order_by(Subscription.created_at.desc()).limit(1)
    ).first()
    figures = metrics.org_metrics(org.id, window)
    return {
        "org": org, "window": window, "windows": list(metrics.WINDOWS),
        "totals": figures["totals"], "top_models": figures["top_models"],
        "project_metrics": figures["projects"], "projects": projects,
        "keys_by_project": _group(keys), "transactions": transactions, "tx_type": tx_type, "tx_page": tx_page,
        "tx_types": [t.value for t in TxType], "logs": logs, "log_page": log_page, "page_size": PAGE,
        "members": members, "subscription": subscription, "fresh": live.freshness(), "every_row": every_row,
        "usage_days": [] if every_row else ledger.usage_per_day(org.wallet.id), "summary_days": ledger.SUMMARY_DAYS,
    }


def _group(keys) -> dict:
    grouped: dict = {}
    for key in keys:
        grouped.setdefault(key.project_id, []).append(key)
    return grouped
