"""The plan side of subscriptions: what each step of a subscription's life does to its org.

Called by the payment provider's webhook handler (or an admin tool) with the provider's ids;
nothing here talks to the provider. Each function takes the caller's session, flushes and
never commits, like ``money``. Steps that move or record credits are ledger rows of the
seed's types (``subscription_start/renew/cancel/end``) keyed on the caller's
``external_id`` (an event or invoice id), so a step delivered twice is applied once.
Steps that arrive after the subscription ended change nothing (events can come out of order).
Every step that changes something raises one ``subscription.updated`` event (its ``reason``
names the step), in the step's transaction.

Life of a subscription:
- ``start``: the org moves to the plan; the first period's bundled credits are granted.
- ``renew``: a paid period; its bundled credits are granted, a past-due state is cleared.
- ``change_plan``: the org moves to another plan at once; credits follow at the next renewal.
- ``cancel_at_period_end``: the plan stays until ``end`` (or is kept, when undone).
- ``renewal_failed``: past due; the grace period (``SUBSCRIPTION_GRACE_DAYS``) starts.
- ``end`` / ``end_lapsed``: the org returns to the Free plan, told so when payments failed.

Dev plans (none / lite / pro / max) are a tier on the org beside its plan: ``set_dev_plan``
records each move as ``dev_plan_start/upgrade/downgrade/end``, ``renew_dev_plan`` and
``cancel_dev_plan`` their own types; these rows move no credits.
"""
import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..events import emitters
from ..gateway import keycache
from ..models import DevPlan, Organization, Plan, Subscription, TxType, utcnow
from . import money

log = logging.getLogger(__name__)

ACTIVE, PAST_DUE, ENDED = "active", "past_due", "ended"
FREE = "free"


class SubscriptionError(ValueError):
    """Unknown org, plan or subscription: the caller's data is wrong, nothing was changed."""


def start(session: Session, org_id: int, plan_code: str, *, stripe_subscription_id: str,
          period_end: dt.datetime, external_id: str, cycle: str = "monthly") -> Subscription:
    """A new paid subscription; a second delivery of the same one returns it unchanged."""
    sub = _find(session, stripe_subscription_id, missing_ok=True)
    if sub is not None:
        return sub
    org = _org(session, org_id)
    plan = _plan(session, plan_code)
    previous = org.plan.code if org.plan else None
    sub = Subscription(org_id=org.id, plan_id=plan.id, stripe_subscription_id=stripe_subscription_id,
                       cycle=cycle, status=ACTIVE, cancel_at_period_end=False, current_period_end=period_end)
    session.add(sub)
    session.flush()
    _post(session, org, TxType.subscription_start, plan.bundled_credits, external_id, sub,
          f"{plan.name} subscription started")
    _move(session, org, plan)
    _tell(session, sub, "subscription_started", previous)
    return sub


def renew(session: Session, stripe_subscription_id: str, *, period_end: dt.datetime,
          external_id: str) -> Subscription:
    """A paid period (the invoice's id as ``external_id``): bundled credits once per invoice."""
    sub = _find(session, stripe_subscription_id)
    if sub.status == ENDED:
        log.warning("renewal %s of ended subscription %s ignored", external_id, stripe_subscription_id)
        return sub
    sub.status, sub.past_due_since = ACTIVE, None
    if sub.current_period_end is None or period_end > sub.current_period_end:
        sub.current_period_end = period_end
    if _post(session, sub.org, TxType.subscription_renew, sub.plan.bundled_credits, external_id, sub,
             f"{sub.plan.name} subscription renewed"):
        _tell(session, sub, "renewed")
    session.flush()
    return sub


def change_plan(session: Session, stripe_subscription_id: str, plan_code: str) -> Subscription:
    sub = _find(session, stripe_subscription_id)
    plan = _plan(session, plan_code)
    if sub.status == ENDED or sub.plan_id == plan.id:
        return sub
    previous = sub.org.plan.code
    sub.plan_id = plan.id
    session.flush()
    session.refresh(sub, ["plan"])
    _move(session, sub.org, plan)
    _tell(session, sub, "plan_changed", previous)
    return sub


def cancel_at_period_end(session: Session, stripe_subscription_id: str, *, external_id: str,
                         cancel: bool = True) -> Subscription:
    """Stop renewing (``cancel=False`` undoes it); the org keeps its plan until ``end``."""
    sub = _find(session, stripe_subscription_id)
    if sub.status == ENDED or sub.cancel_at_period_end == cancel:
        return sub
    sub.cancel_at_period_end = cancel
    if cancel:
        _post(session, sub.org, TxType.subscription_cancel, 0, external_id, sub,
              f"{sub.plan.name} subscription cancelled at the end of its period")
    session.flush()
    _tell(session, sub, "cancel_at_period_end" if cancel else "cancel_undone")
    return sub


def renewal_failed(session: Session, stripe_subscription_id: str, now: dt.datetime | None = None) -> Subscription:
    """A renewal payment failed: the org keeps its plan through the grace period, and is told."""
    sub = _find(session, stripe_subscription_id)
    if sub.status == ENDED:
        return sub
    first = sub.past_due_since is None
    sub.status = PAST_DUE
    if first:
        sub.past_due_since = now or utcnow()
        _tell(session, sub, "renewal_failed", grace_until=iso(grace_ends(sub)))
    session.flush()
    return sub


def end(session: Session, stripe_subscription_id: str, *, external_id: str,
        reason: str = "subscription_ended") -> Subscription:
    """The subscription is over: the org returns to the Free plan."""
    sub = _find(session, stripe_subscription_id)
    if sub.status == ENDED:
        return sub
    sub.status = ENDED
    previous = sub.org.plan.code
    _post(session, sub.org, TxType.subscription_end, 0, external_id, sub, f"{sub.plan.name} subscription ended")
    _move(session, sub.org, _plan(session, FREE))
    _tell(session, sub, reason, previous)
    return sub


def end_lapsed(session: Session, now: dt.datetime | None = None) -> int:
    """End every subscription whose grace period has run out; returns how many (a periodic job)."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=grace_days())
    lapsed = session.scalars(select(Subscription.stripe_subscription_id).where(
        Subscription.status == PAST_DUE, Subscription.past_due_since <= cutoff)).all()
    for stripe_id in lapsed:
        end(session, stripe_id, external_id=f"lapsed:{stripe_id}", reason="renewal_failed_downgraded")
    return len(lapsed)


_DEV_ORDER = [DevPlan.none, DevPlan.lite, DevPlan.pro, DevPlan.max]


def set_dev_plan(session: Session, org_id: int, tier: str, *, external_id: str) -> Organization:
    """Move the org to dev plan ``tier``; the ledger row says start, upgrade, downgrade or end."""
    org = _org(session, org_id)
    try:
        new = DevPlan(tier)
    except ValueError:
        raise SubscriptionError(f"dev plan {tier!r} does not exist") from None
    old = DevPlan(org.dev_plan)
    if new == old:
        return org
    if old == DevPlan.none:
        step = TxType.dev_plan_start
    elif new == DevPlan.none:
        step = TxType.dev_plan_end
    else:
        step = TxType.dev_plan_upgrade if _DEV_ORDER.index(new) > _DEV_ORDER.index(old) else TxType.dev_plan_downgrade
    org.dev_plan = new
    _note(session, org, step, external_id, {"dev_plan": new.value, "previous": old.value})
    return org


def renew_dev_plan(session: Session, org_id: int, *, external_id: str) -> Organization:
    org = _org(session, org_id)
    if DevPlan(org.dev_plan) != DevPlan.none:
        _note(session, org, TxType.dev_plan_renewal, external_id, {"dev_plan": DevPlan(org.dev_plan).value})
    return org


def cancel_dev_plan(session: Session, org_id: int, *, external_id: str) -> Organization:
    """Renewal stopped: the tier stays until ``set_dev_plan(..., "none")`` ends it."""
    org = _org(session, org_id)
    if DevPlan(org.dev_plan) != DevPlan.none:
        _note(session, org, TxType.dev_plan_cancel, external_id, {"dev_plan": DevPlan(org.dev_plan).value})
    return org


def grace_days() -> int:
    return int(current_app.config["SUBSCRIPTION_GRACE_DAYS"])


def grace_ends(sub: Subscription) -> dt.datetime | None:
    return None if sub.past_due_since is None else sub.past_due_since + dt.timedelta(days=grace_days())


def find(session: Session, stripe_subscription_id: str) -> Subscription | None:
    """The subscription, locked for this transaction; None if no step of it was applied yet."""
    return _find(session, stripe_subscription_id, missing_ok=True)


def current(session: Session, org_id: int) -> Subscription | None:
    """The org's subscription that has not ended (the newest, should Stripe hold two)."""
    return session.scalar(select(Subscription).where(Subscription.org_id == org_id, Subscription.status != ENDED)
                          .order_by(Subscription.id.desc()).limit(1))


def _find(session: Session, stripe_subscription_id: str, missing_ok: bool = False) -> Subscription | None:
    # Locked: two deliveries of steps of one subscription apply one after the other.
    sub = session.scalar(select(Subscription).where(Subscription.stripe_subscription_id == stripe_subscription_id)
                         .with_for_update())
    if sub is None and not missing_ok:
        raise SubscriptionError(f"subscription {stripe_subscription_id!r} is not known")
    return sub


def _org(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise SubscriptionError(f"organization {org_id} does not exist")
    return org


def _note(session: Session, org: Organization, tx_type: TxType, external_id: str, details: dict,
          credits: int = 0, comment: str | None = None) -> bool:
    """The step's ledger row, once per ``external_id`` (a redelivered step finds it and adds nothing)."""
    posted = money.post_once(session, money.Posting(wallet_id=org.wallet.id, amount=int(credits), type=tx_type,
                                           comment=comment, external_id=f"{tx_type.value}:{external_id}",
                                           details=details))
    session.flush()
    return posted is not None


def _plan(session: Session, code: str) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        raise SubscriptionError(f"plan {code!r} does not exist")
    return plan


def _post(session: Session, org: Organization, tx_type: TxType, credits: int, external_id: str,
          sub: Subscription, comment: str) -> bool:
    return _note(session, org, tx_type, external_id, {"subscription": sub.stripe_subscription_id,
                                                "plan": sub.plan.code if sub.plan else None}, credits, comment)


def _move(session: Session, org: Organization, plan: Plan) -> None:
    if org.plan is not None and org.plan.code == plan.code:
        return
    org.plan = plan
    session.flush()
    # Concurrency, priority and the message window come with the key cache: reload it everywhere.
    keycache.announce_revocation(session)


def _tell(session: Session, sub: Subscription, reason: str, previous: str | None = None, **details) -> None:
    plan = sub.org.plan.code
    emitters.subscription_updated(session, sub.org_id, plan, previous or plan, reason=reason,
                                  subscription=sub.stripe_subscription_id, status=sub.status,
                                  cancel_at_period_end=bool(sub.cancel_at_period_end),
                                  current_period_end=iso(sub.current_period_end), **details)


def iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
