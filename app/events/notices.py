"""What people are told about an event: the notification's title and body, and who is emailed.

Only events a person must act on are announced this way; every event still reaches webhooks.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..billing.units import usd_text
from ..mail import Render
from ..models import Event, Organization, TollgateUser
from . import emitters


@dataclass(frozen=True)
class Notice:
    recipient: str | None
    # (title, body) in the current locale: the facts are gathered once, the words are written
    # once for the notification and again in the language of the one who is emailed.
    render: Render

    def shared_text(self) -> tuple[str, str]:
        """The notification's words: every member reads the same row, so the platform's default language."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            return self.render()


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
    data = event.data
    if data["reason"] == "renewal_failed":
        return Notice(recipient, lambda: (
            _("Subscription renewal payment failed"),
            _("The renewal payment of %(owner)s's %(plan)s plan failed. The plan stays until %(until)s; "
              "update the payment method before then to keep it.", owner=owner, plan=data["plan"],
              until=data.get("grace_until") or _("the end of the grace period"))))
    return Notice(recipient, lambda: (
        _("Your plan was moved to Free"),
        _("The renewal of %(owner)s's %(plan)s plan was not paid within the grace period, so the "
          "organization is now on the Free plan. Its credits stay in its wallet; subscribe again to get "
          "the plan back.", owner=owner, plan=data["previous_plan"])))


def _payment(session: Session, event: Event) -> Notice:
    """A top-up's outcome, told to the wallet's billing address: credits in, or why not."""
    owner, recipient = owner_and_email(session, event.org_id, event.user_id)
    credits = usd_text(event.data["amount_credits"])
    # The page is named as the console's menu names it, in the same language.
    if event.type == emitters.PAYMENT_RECEIVED:
        return Notice(recipient, lambda: (
            _("Payment received: %(credits)s of credits added", credits=credits),
            _("%(credits)s of credits were added to the Tollgate wallet of %(owner)s. The receipt is on "
              "the console's %(page)s page.", credits=credits, owner=owner, page=_("Wallet"))))
    reason = event.data["reason"]
    return Notice(recipient, lambda: (
        _("Top-up failed: %(credits)s not added", credits=credits),
        _("A top-up of %(credits)s for the Tollgate wallet of %(owner)s did not go through (%(reason)s). "
          "Nothing was charged; you can try again from the console's %(page)s page.",
          credits=credits, owner=owner, reason=reason, page=_("Wallet"))))


def _low_balance(session: Session, event: Event) -> Notice:
    owner, recipient = owner_and_email(session, event.org_id, event.user_id, alert_email=True)
    balance, threshold = usd_text(event.data["balance_credits"]), usd_text(event.data["threshold_credits"])
    return Notice(recipient, lambda: (
        _("Low balance: %(balance)s left", balance=balance),
        _("The Tollgate wallet of %(owner)s holds %(balance)s, at or below its alert threshold of "
          "%(threshold)s. Add credits on the console's %(page)s page to keep API calls going; you will "
          "not be alerted again until the balance has been back above %(threshold)s.",
          owner=owner, balance=balance, threshold=threshold, page=_("Wallet"))))


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
