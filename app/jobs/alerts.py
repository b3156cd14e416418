"""Low-balance alerts: one ``system.balance.notify.dispatched`` event each time a wallet drops to
its threshold; the event bus turns it into a notification, an email and webhook deliveries.

A wallet is "low" when its balance is at or below its threshold: the org's own, else the
platform default, for org wallets; the user's own for personal wallets. ``wallets.
low_balance_alerted_at`` remembers that the current drop was announced; it is cleared once
the balance is back above the threshold, which arms the next alert.
"""
from flask import current_app
from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select, update

from ..billing.units import usd_to_credits
from ..events import emitters
from ..extensions import db
from ..models import Organization, OrgStatus, PlatformSetting, TollgateUser, Wallet, utcnow
from ..platform_settings import LOW_BALANCE_KEY
from . import app_context

CHECK_EVERY_S = 300
LOW_BALANCE_EVENT = emitters.LOW_BALANCE


def check_low_balances() -> int:
    """Announce every wallet that went low since the last run; returns how many were announced."""
    with app_context():
        session = db.session
        alerts = _claim_alerts(session)
        session.commit()  # the flags and their events together; delivery starts after commit
        return len(alerts)


def _claim_alerts(session) -> list:
    """Flip the alerted flag of wallets whose state changed and raise one event per new drop."""
    rows = session.execute(_changed_wallets()).mappings().all()
    rearm = sorted(r["wallet_id"] for r in rows if not r["low"])
    low = {r["wallet_id"]: r for r in rows if r["low"]}
    if rearm:
        session.execute(update(Wallet).where(Wallet.id.in_(rearm)).values(low_balance_alerted_at=None))
    claimed = []
    if low:
        # Only the run that sets the flag announces the drop, should two runs overlap.
        claimed = session.scalars(
            update(Wallet)
            .where(Wallet.id.in_(sorted(low)), Wallet.low_balance_alerted_at.is_(None))
            .values(low_balance_alerted_at=utcnow())
            .returning(Wallet.id)
        ).all()
    return [emitters.balance_low(session, wallet_id, low[wallet_id]["balance"], low[wallet_id]["threshold"],
                                 org_id=low[wallet_id]["org_id"], user_id=low[wallet_id]["user_id"])
            for wallet_id in sorted(claimed)]


def _changed_wallets():
    """Wallets whose low state disagrees with their flag: newly low, or back above the threshold."""
    # A saved platform default wins, even when it was saved empty (no default alert).
    configured = usd_to_credits(current_app.config.get("LOW_BALANCE_DEFAULT_USD", "50"))
    platform = case((PlatformSetting.key.is_(None), literal(configured, BigInteger)),
                    else_=cast(PlatformSetting.value["threshold"].as_string(), BigInteger))
    is_org = Wallet.org_id.is_not(None)
    threshold = case((is_org, func.coalesce(Organization.low_balance_threshold, platform)),
                     else_=TollgateUser.low_balance_threshold)
    watched = case((is_org, Organization.status != OrgStatus.deleted), else_=TollgateUser.active.is_(True))
    low = and_(watched, threshold.is_not(None), Wallet.balance <= threshold)
    alerted = Wallet.low_balance_alerted_at.is_not(None)
    return (
        select(
            Wallet.id.label("wallet_id"), Wallet.org_id, Wallet.user_id, Wallet.balance,
            threshold.label("threshold"), low.label("low"),
        )
        .select_from(Wallet)
        .outerjoin(Organization, Organization.id == Wallet.org_id)
        .outerjoin(TollgateUser, TollgateUser.id == Wallet.user_id)
        .outerjoin(PlatformSetting, PlatformSetting.key == LOW_BALANCE_KEY)
        .where(or_(and_(low, ~alerted), and_(~low, alerted)))
    )

