"""Low-balance alerts: one notification and one email each time a wallet drops to its threshold.

A wallet is "low" when its balance is at or below its threshold: the org's own, else the
platform default, for org wallets; the user's own for personal wallets. ``wallets.
low_balance_alerted_at`` remembers that the current drop was announced; it is cleared once
the balance is back above the threshold, which arms the next alert.
"""
import logging
import smtplib

from flask import current_app
from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select, update

from ..billing.units import usd_to_credits
from ..extensions import db
from ..mail import send_mail
from ..models import Notification, Organization, OrgStatus, PlatformSetting, TollgateUser, Wallet, utcnow
from ..views.base import usd
from ..views.settings import LOW_BALANCE_KEY
from . import app_context

log = logging.getLogger(__name__)

CHECK_EVERY_S = 300
LOW_BALANCE_EVENT = "system.balance.notify.dispatched"


def check_low_balances() -> int:
    """Announce every wallet that went low since the last run; returns how many were announced."""
    with app_context():
        session = db.session
        alerts = _claim_alerts(session)
        session.commit()  # notifications and flags are kept even if every email below fails
        for alert in alerts:
            _email(alert)
        return len(alerts)


def _claim_alerts(session) -> list[dict]:
    """Flip the alerted flag of wallets whose state changed and write one notification per new drop."""
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
    alerts = [_alert(low[wallet_id]) for wallet_id in sorted(claimed)]
    session.add_all(Notification(org_id=a["org_id"], user_id=a["user_id"], event=LOW_BALANCE_EVENT,
                                 title=a["title"], body=a["body"], data=a["data"]) for a in alerts)
    return alerts


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
            case((is_org, Organization.name), else_=TollgateUser.username).label("owner"),
            case((is_org, func.coalesce(func.nullif(Organization.low_balance_email, ""),
                                        Organization.billing_email)),
                 else_=TollgateUser.email).label("recipient"),
        )
        .select_from(Wallet)
        .outerjoin(Organization, Organization.id == Wallet.org_id)
        .outerjoin(TollgateUser, TollgateUser.id == Wallet.user_id)
        .outerjoin(PlatformSetting, PlatformSetting.key == LOW_BALANCE_KEY)
        .where(or_(and_(low, ~alerted), and_(~low, alerted)))
    )


def _alert(row) -> dict:
    balance, threshold = usd(row["balance"]), usd(row["threshold"])
    return {
        "org_id": row["org_id"], "user_id": row["user_id"], "recipient": row["recipient"],
        "title": f"Low balance: {balance} left",
        "body": (f"The Tollgate wallet of {row['owner']} holds {balance}, at or below its alert "
                 f"threshold of {threshold}. Add credits to keep API calls going; you will not be "
                 f"alerted again until the balance has been back above {threshold}."),
        "data": {"wallet_id": row["wallet_id"], "balance_credits": row["balance"],
                 "threshold_credits": row["threshold"]},
    }


def _email(alert: dict) -> None:
    if not alert["recipient"]:
        log.info("low-balance alert for wallet %s has no recipient email", alert["data"]["wallet_id"])
        return
    try:
        send_mail(alert["recipient"], alert["title"], alert["body"])
    except (OSError, smtplib.SMTPException) as exc:
        # The notification is already committed; the next drop below the threshold emails again.
        log.warning("low-balance email to %s failed: %s", alert["recipient"], exc)
