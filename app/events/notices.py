"""What people are told about an event: the notification's title and body, and who is emailed.

Only events a person must act on are announced this way; every event still reaches webhooks.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..billing.units import usd_text
from ..models import Event, Organization, TollgateUser
from . import emitters


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    recipient: str | None


def compose(session: Session, event: Event) -> Notice | None:
    if event.type == emitters.LOW_BALANCE:
        return _low_balance(session, event)
    if event.type in (emitters.PAYMENT_RECEIVED, emitters.PAYMENT_FAILED):
        return _payment(session, event)
    if event.type == emitters.SUBSCRIPTION_UPDATED and event.data.get("reason") in _PAYMENT_REASONS:
        return _subscription_payment(session, event)
    return None


# Subscription changes the org's owner must hear about: the others are their own doing.
_PAYMENT_REASONS = ("renewal_failed", "renewal_failed_downgraded")


def _subscription_payment(session: Session, event: Event) -> Notice:
    owner, recipient = owner_and_email(session, event.org_id, event.user_id)
    if event.data["reason"] == "renewal_failed":
        return Notice(
            title="Subscription renewal payment failed",
            body=(f"The renewal payment of {owner}'s {event.data['plan']} plan failed. The plan stays "
                  f"until {event.data.get('grace_until') or 'the end of the grace period'}; update the "
                  f"payment method before then to keep it."),
            recipient=recipient)
    return Notice(
        title="Your plan was moved to Free",
        body=(f"The renewal of {owner}'s {event.data['previous_plan']} plan was not paid within the grace "
              f"period, so the organization is now on the Free plan. Its credits stay in its wallet; "
              f"subscribe again to get the plan back."),
        recipient=recipient)


def _payment(session: Session, event: Event) -> Notice:
    """A top-up's outcome, told to the wallet's billing address: credits in, or why not."""
    owner, recipient = owner_and_email(session, event.org_id, event.user_id)
    credits = usd_text(event.data["amount_credits"])
    if event.type == emitters.PAYMENT_RECEIVED:
        return Notice(title=f"Payment received: {credits} of credits added",
                      body=f"{credits} of credits were added to the Tollgate wallet of {owner}. The receipt is "
                           "on the console's Wallet page.", recipient=recipient)
    return Notice(title=f"Top-up failed: {credits} not added",
                  body=f"A top-up of {credits} for the Tollgate wallet of {owner} did not go through "
                       f"({event.data['reason']}). Nothing was charged; you can try again from the console's "
                       "Wallet page.", recipient=recipient)


def _low_balance(session: Session, event: Event) -> Notice:
    owner, recipient = owner_and_email(session, event.org_id, event.user_id, alert_email=True)
    balance, threshold = usd_text(event.data["balance_credits"]), usd_text(event.data["threshold_credits"])
    return Notice(
        title=f"Low balance: {balance} left",
        body=(f"The Tollgate wallet of {owner} holds {balance}, at or below its alert "
              f"threshold of {threshold}. Add credits to keep API calls going; you will not be "
              f"alerted again until the balance has been back above {threshold}."),
        recipient=recipient,
    )


def owner_and_email(session: Session, org_id: int | None, user_id: int | None,
                    alert_email: bool = False) -> tuple[str, str | None]:
    """The org's name and billing email (its alert email first, if asked), or the user's."""
    if org_id is not None:
        email = Organization.billing_email
        if alert_email:
            email = func.coalesce(func.nullif(Organization.low_balance_email, ""), Organization.billing_email)
        return tuple(session.execute(select(Organization.name, email).where(Organization.id == org_id)).one())
    return tuple(session.execute(select(TollgateUser.username, TollgateUser.email)
                                 .where(TollgateUser.id == user_id)).one())
