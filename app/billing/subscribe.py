"""Asking Stripe for a subscription, a plan change or a cancellation; what the org is subscribed to.

Nothing here changes the org's plan or wallet: Stripe answers, then sends its events, and
their handlers (app/billing/subscription_events.py) apply the step. So the API and the
console say "requested" and show the new state once the webhook has arrived.
"""
import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..inputs import InputError
from ..models import Organization, Plan, Subscription
from . import subscriptions
from .auto_recharge import ensure_customer
from .stripe_api import PaymentsUnavailable, client

FIELD = "plan"


class SubscriptionConflict(Exception):
    """The org's subscription state does not allow this request (409): e.g. already subscribed."""


def plans_for_sale(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).where(Plan.stripe_price_id.is_not(None)).order_by(Plan.sort_order)))


def plan_for_sale(session: Session, raw) -> Plan:
    """The plan named by ``raw`` (its code), if it can be subscribed to."""
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(FIELD, "plan is required: the code of a plan, such as \"pro\"")
    plan = session.scalar(select(Plan).where(Plan.code == raw.strip().lower()))
    if plan is None or not plan.stripe_price_id:
        names = ", ".join(p.code for p in plans_for_sale(session)) or "none"
        raise InputError(FIELD, f"plan {raw!r} cannot be subscribed to; plans on sale: {names}")
    return plan


def checkout(session: Session, org: Organization, plan: Plan, *, success_url: str, cancel_url: str) -> str:
    """A Checkout Session in subscription mode; returns the URL to send the payer to. The caller commits."""
    if subscriptions.current(session, org.id) is not None:
        raise SubscriptionConflict("this organization already has a subscription: change its plan instead")
    customer = ensure_customer(session, org)
    metadata = {"org_id": str(org.id), "plan": plan.code}
    params = {"mode": "subscription", "customer": customer, "client_reference_id": f"org-{org.id}",
              "line_items": [{"price": plan.stripe_price_id, "quantity": 1}], "metadata": metadata,
              "subscription_data": {"metadata": metadata}, "success_url": success_url, "cancel_url": cancel_url}
    return _call(lambda: client().v1.checkout.sessions.create(params=params)).url


def change_plan(session: Session, org: Organization, plan: Plan) -> Subscription:
    sub = _live(session, org)
    if sub.plan_id == plan.id:
        raise InputError(FIELD, f"the subscription is already on the {plan.name} plan")
    current = _call(lambda: client().v1.subscriptions.retrieve(sub.stripe_subscription_id))
    item = current["items"]["data"][0]["id"]
    _call(lambda: client().v1.subscriptions.update(sub.stripe_subscription_id, params={
        "items": [{"id": item, "price": plan.stripe_price_id}], "proration_behavior": "create_prorations",
        "metadata": {"org_id": str(org.id), "plan": plan.code}}))
    return sub


def set_cancel_at_period_end(session: Session, org: Organization, cancel: bool) -> Subscription:
    """Stop renewing at the end of the period (or renew again, ``cancel=False``)."""
    sub = _live(session, org)
    _call(lambda: client().v1.subscriptions.update(sub.stripe_subscription_id,
                                                   params={"cancel_at_period_end": cancel}))
    return sub


def describe(session: Session, org: Organization) -> dict:
    """The org's plan and subscription as the API and the Wallet page show them."""
    sub = subscriptions.current(session, org.id)
    body = {"plan": org.plan.code, "plan_name": org.plan.name, "subscription": None,
            "plans": [{"plan": p.code, "name": p.name, "bundled_credits": p.bundled_credits}
                      for p in plans_for_sale(session)]}
    if sub is not None:
        grace = subscriptions.grace_ends(sub)
        body["subscription"] = {
            "id": sub.stripe_subscription_id, "plan": sub.plan.code, "status": sub.status, "cycle": sub.cycle,
            "cancel_at_period_end": bool(sub.cancel_at_period_end),
            "current_period_end": subscriptions.iso(sub.current_period_end),
            "renews_at": None if sub.cancel_at_period_end else subscriptions.iso(sub.current_period_end),
            "grace_until": subscriptions.iso(grace)}
    return body


def _live(session: Session, org: Organization) -> Subscription:
    sub = subscriptions.current(session, org.id)
    if sub is None or not sub.stripe_subscription_id:
        raise SubscriptionConflict("this organization has no subscription to change")
    return sub


def _call(request):
    try:
        return request()
    except stripe.StripeError as exc:
        raise PaymentsUnavailable(f"Stripe refused or did not answer: {exc.user_message or exc}") from None
