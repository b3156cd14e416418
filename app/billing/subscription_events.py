"""What Stripe's subscription events do: each handler brings the org to Stripe's current state
through app/billing/subscriptions.py (the only place a subscription step moves credits).

Events arrive late, twice or out of order. So the handlers of ``customer.subscription.*``
read the subscription back from Stripe and apply what it says now, not what the event said
when it was sent: whichever order they come in, the last one processed leaves the org as
Stripe has it. A subscription first seen in any event is started from Stripe's object (its
``metadata.org_id`` and its price's plan); its first period's bundle is keyed on the
subscription id, each renewal's on the invoice id, so nothing is granted twice.
"""
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Organization, Plan
from . import subscriptions
from .outcome import Outcome
from .stripe_api import client

# Stripe's statuses: a subscription not yet paid for (incomplete) is not started here.
LIVE = {"active", "trialing", "past_due"}
OVER = {"canceled", "unpaid", "incomplete_expired"}


def retrieve(sub_id: str) -> dict:
    """Stripe's subscription as it is now (a Stripe error raises: the job is retried)."""
    return client().v1.subscriptions.retrieve(sub_id).to_dict()


def sync(session: Session, obj: dict, external_id: str) -> Outcome:
    """Apply Stripe's subscription ``obj`` to its org: start, plan, cancellation, past due, end."""
    sub_id, status = obj["id"], obj.get("status")
    org_id = org_for(session, obj)
    if org_id is not None:
        # Two events of a new subscription processed at once: the second waits here, then finds it.
        session.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())
    sub = subscriptions.find(session, sub_id)
    plan = plan_for(session, obj)
    if sub is None:
        if status not in LIVE and status != "canceled":
            return Outcome("ignored", f"subscription {sub_id} is {status}: nothing to start")
        if org_id is None or plan is None:
            return Outcome("rejected", f"subscription {sub_id}: no org (metadata.org_id or customer) "
                                       f"or no plan for its price")
        sub = subscriptions.start(session, org_id, plan.code, stripe_subscription_id=sub_id,
                                  period_end=period_end(obj), external_id=sub_id)
    elif plan is not None and plan.id != sub.plan_id:
        subscriptions.change_plan(session, sub_id, plan.code)
    if status in OVER:
        subscriptions.end(session, sub_id, external_id=sub_id)
        return Outcome("applied", f"subscription {sub_id} ended")
    subscriptions.cancel_at_period_end(session, sub_id, external_id=external_id,
                                       cancel=bool(obj.get("cancel_at_period_end")))
    if status == "past_due":
        subscriptions.renewal_failed(session, sub_id)
    return Outcome("applied", f"subscription {sub_id}: {sub.plan.code}, {status}"
                              + (", cancels at period end" if obj.get("cancel_at_period_end") else ""))


def subscription_changed(session: Session, obj: dict) -> Outcome:
    """customer.subscription.created / updated: Stripe's current state wins over the event's."""
    current = retrieve(obj["id"])
    # One cancellation per period: a cancel, undo and cancel again in one period is one row.
    return sync(session, current, f"{obj['id']}:{(current.get('current_period_end') or '')}")


def subscription_deleted(session: Session, obj: dict) -> Outcome:
    # Final: no later state can differ, so the event's object is enough.
    return sync(session, obj, obj["id"])


def checkout_completed(session: Session, obj: dict) -> Outcome:
    """A paid subscription-mode Checkout: start it now if its own events are late."""
    if not obj.get("subscription"):
        return Outcome("ignored", f"subscription checkout {obj['id']} has no subscription yet")
    return sync(session, retrieve(obj["subscription"]), obj["subscription"])


def invoice_paid(session: Session, obj: dict) -> Outcome:
    """A paid period: its bundled credits, once per invoice. The first invoice's come with ``start``."""
    sub_id = invoice_subscription(obj)
    if sub_id is None:
        return Outcome("ignored", f"invoice {obj['id']} is not a subscription's")
    if subscriptions.find(session, sub_id) is None:
        started = sync(session, retrieve(sub_id), sub_id)
        if subscriptions.find(session, sub_id) is None:
            return started
    if obj.get("billing_reason") in ("subscription_create", "subscription_update"):
        return Outcome("ignored", f"invoice {obj['id']} ({obj.get('billing_reason')}) bundles nothing more")
    sub = subscriptions.renew(session, sub_id, period_end=invoice_period_end(obj), external_id=obj["id"])
    return Outcome("applied", f"invoice {obj['id']} renewed subscription {sub_id} ({sub.plan.code})")


def invoice_failed(session: Session, obj: dict) -> Outcome:
    sub_id = invoice_subscription(obj)
    if sub_id is None or subscriptions.find(session, sub_id) is None:
        return Outcome("ignored", f"invoice {obj['id']}: no started subscription to put past due")
    sub = subscriptions.renewal_failed(session, sub_id)
    return Outcome("applied", f"invoice {obj['id']} failed: subscription {sub_id} is {sub.status}")


# -- Reading Stripe's objects --------------------------------------------------------------------

def plan_for(session: Session, obj: dict) -> Plan | None:
    items = (obj.get("items") or {}).get("data") or []
    price = ((items[0].get("price") or {}).get("id")) if items else None
    return session.scalar(select(Plan).where(Plan.stripe_price_id == price)) if price else None


def org_for(session: Session, obj: dict) -> int | None:
    raw = (obj.get("metadata") or {}).get("org_id")
    if raw and str(raw).isdigit() and session.get(Organization, int(raw)) is not None:
        return int(raw)
    return session.scalar(select(Organization.id).where(Organization.stripe_customer_id == obj.get("customer")))


def period_end(obj: dict) -> dt.datetime | None:
    # Newer API versions moved the period onto the subscription's items.
    stamp = obj.get("current_period_end")
    if stamp is None:
        items = (obj.get("items") or {}).get("data") or [{}]
        stamp = items[0].get("current_period_end")
    return _time(stamp)


def invoice_subscription(obj: dict) -> str | None:
    parent = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return obj.get("subscription") or parent


def invoice_period_end(obj: dict) -> dt.datetime | None:
    lines = (obj.get("lines") or {}).get("data") or []
    return _time(lines[0]["period"]["end"] if lines else obj.get("period_end"))


def _time(stamp) -> dt.datetime | None:
    return None if stamp is None else dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc).replace(tzinfo=None)


HANDLERS = {
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_deleted,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_failed,
}
