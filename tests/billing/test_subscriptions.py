"""The plan side of subscriptions, driven through app.billing.subscriptions as a webhook handler would."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.billing import subscriptions
from app.billing.subscriptions import SubscriptionError
from app.extensions import db, redis_conn
from app.gateway import keycache
from app.models import Event, LedgerEntry, Notification, Organization, Subscription, TxType, Wallet, utcnow
from app.jobs.subscriptions import end_lapsed_subscriptions
from tests.factories import make_org, make_user

PRO_BUNDLE, MAX_BUNDLE = 20_000_000, 200_000_000
PERIOD = dt.datetime(2027, 1, 1)


@pytest.fixture
def org(db):
    owner = make_user("owner")
    org = make_org("Subscriber", plan="free", owner=owner, billing_email="billing@subscriber.example")
    return org


def _started(org, plan="pro", sub_id="sub_1"):
    sub = subscriptions.start(db.session, org.id, plan, stripe_subscription_id=sub_id, period_end=PERIOD,
                              external_id="evt_start")
    db.session.commit()
    return sub


def _plan_of(org) -> str:
    db.session.expire_all()
    return db.session.get(Organization, org.id).plan.code


def _balance(org) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Wallet.balance).where(Wallet.org_id == org.id))


def _ledger(org) -> list[tuple[str, int]]:
    rows = db.session.scalars(select(LedgerEntry).join(Wallet).where(Wallet.org_id == org.id)
                              .order_by(LedgerEntry.id))
    return [(row.type.value, row.amount) for row in rows]


def test_start_moves_the_org_to_the_plan_and_grants_its_bundle_once(org):
    generation = int(redis_conn.client.get(keycache.GENERATION_KEY) or 0)
    sub = _started(org)
    again = subscriptions.start(db.session, org.id, "pro", stripe_subscription_id="sub_1", period_end=PERIOD,
                                external_id="evt_start_redelivered")
    db.session.commit()
    assert again.id == sub.id
    assert _plan_of(org) == "pro" and _balance(org) == PRO_BUNDLE
    assert _ledger(org) == [("subscription_start", PRO_BUNDLE)]
    assert int(redis_conn.client.get(keycache.GENERATION_KEY)) > generation  # gateways reload the plan
    event = db.session.scalar(select(Event).where(Event.type == "subscription.updated"))
    assert event.data == {"org_id": org.id, "plan": "pro", "previous_plan": "free", "reason": "subscription_started",
                          "subscription": "sub_1", "status": "active", "cancel_at_period_end": False,
                          "current_period_end": "2027-01-01T00:00:00Z"}


def test_renewal_grants_the_bundle_once_per_invoice(org):
    _started(org)
    for _ in range(2):  # the same invoice delivered twice
        subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
        db.session.commit()
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=59), external_id="in_3")
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD, external_id="in_late")  # an older one, late
    db.session.commit()
    assert _ledger(org) == [("subscription_start", PRO_BUNDLE)] + [("subscription_renew", PRO_BUNDLE)] * 3
    assert _balance(org) == 4 * PRO_BUNDLE
    sub = db.session.scalar(select(Subscription))
    assert sub.current_period_end == PERIOD + dt.timedelta(days=59)  # never moved back


def test_a_plan_change_moves_the_org_and_later_renewals_bundle_the_new_plan(org):
    _started(org)
    subscriptions.change_plan(db.session, "sub_1", "max")
    db.session.commit()
    assert _plan_of(org) == "max" and _balance(org) == PRO_BUNDLE
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
    db.session.commit()
    assert _balance(org) == PRO_BUNDLE + MAX_BUNDLE


def test_cancel_at_period_end_keeps_the_plan_until_the_end(org):
    _started(org)
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_cancel")
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_cancel_again")
    db.session.commit()
    assert _plan_of(org) == "pro"
    subscriptions.end(db.session, "sub_1", external_id="evt_deleted")
    subscriptions.end(db.session, "sub_1", external_id="evt_deleted_redelivered")
    db.session.commit()
    assert _plan_of(org) == "free"
    assert _ledger(org) == [("subscription_start", PRO_BUNDLE), ("subscription_cancel", 0), ("subscription_end", 0)]
    assert _balance(org) == PRO_BUNDLE  # bundled credits stay in the wallet


def test_undoing_a_cancellation_keeps_the_subscription_renewing(org):
    _started(org)
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_cancel")
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_resume", cancel=False)
    db.session.commit()
    assert db.session.scalar(select(Subscription.cancel_at_period_end)) is False


def test_steps_arriving_after_the_end_change_nothing(org):
    _started(org)
    subscriptions.end(db.session, "sub_1", external_id="evt_deleted")
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
    subscriptions.change_plan(db.session, "sub_1", "max")
    subscriptions.renewal_failed(db.session, "sub_1")
    db.session.commit()
    assert _plan_of(org) == "free" and _balance(org) == PRO_BUNDLE
    assert db.session.scalar(select(Subscription.status)) == "ended"


def test_a_failed_renewal_keeps_the_plan_through_the_grace_period_then_returns_to_free(app, org):
    _started(org)
    failed_at = utcnow() - dt.timedelta(days=3)
    subscriptions.renewal_failed(db.session, "sub_1", now=failed_at)
    subscriptions.renewal_failed(db.session, "sub_1")  # a retried charge failing again
    db.session.commit()
    assert _plan_of(org) == "pro" and end_lapsed_subscriptions() == 0
    warned = db.session.scalar(select(Notification).where(Notification.org_id == org.id))
    assert warned.title == "Subscription renewal payment failed"
    assert (failed_at + dt.timedelta(days=7)).strftime("%Y-%m-%d") in warned.body

    assert subscriptions.end_lapsed(db.session, now=failed_at + dt.timedelta(days=7, seconds=1)) == 1
    db.session.commit()
    assert _plan_of(org) == "free"
    assert _ledger(org)[-1] == ("subscription_end", 0)
    notices = db.session.scalars(select(Notification.title).where(Notification.org_id == org.id)
                                 .order_by(Notification.id)).all()
    assert notices == ["Subscription renewal payment failed", "Your plan was moved to Free"]


def test_a_renewal_paid_within_the_grace_period_keeps_the_plan(org):
    _started(org)
    failed_at = utcnow() - dt.timedelta(days=30)
    subscriptions.renewal_failed(db.session, "sub_1", now=failed_at)
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
    db.session.commit()
    assert end_lapsed_subscriptions() == 0
    assert _plan_of(org) == "pro" and db.session.scalar(select(Subscription.status)) == "active"


def test_unknown_org_plan_or_subscription_is_refused_and_changes_nothing(org):
    with pytest.raises(SubscriptionError, match="organization"):
        subscriptions.start(db.session, 999_999, "pro", stripe_subscription_id="sub_x", period_end=PERIOD,
                            external_id="e1")
    with pytest.raises(SubscriptionError, match="plan 'platinum'"):
        subscriptions.start(db.session, org.id, "platinum", stripe_subscription_id="sub_x", period_end=PERIOD,
                            external_id="e2")
    with pytest.raises(SubscriptionError, match="sub_missing"):
        subscriptions.renew(db.session, "sub_missing", period_end=PERIOD, external_id="in_1")
    db.session.rollback()
    assert _ledger(org) == [] and db.session.scalar(select(Subscription)) is None


def test_dev_plan_moves_are_recorded_with_their_own_types(org):
    for tier, event in (("lite", "e1"), ("max", "e2"), ("pro", "e3"), ("pro", "e4"), ("none", "e5")):
        subscriptions.set_dev_plan(db.session, org.id, tier, external_id=event)
    subscriptions.set_dev_plan(db.session, org.id, "lite", external_id="e6")
    subscriptions.renew_dev_plan(db.session, org.id, external_id="in_7")
    subscriptions.renew_dev_plan(db.session, org.id, external_id="in_7")  # redelivered
    subscriptions.cancel_dev_plan(db.session, org.id, external_id="e8")
    db.session.commit()
    assert _ledger(org) == [("dev_plan_start", 0), ("dev_plan_upgrade", 0), ("dev_plan_downgrade", 0),
                            ("dev_plan_end", 0), ("dev_plan_start", 0), ("dev_plan_renewal", 0),
                            ("dev_plan_cancel", 0)]
    db.session.expire_all()
    assert db.session.get(Organization, org.id).dev_plan.value == "lite"
    with pytest.raises(SubscriptionError, match="dev plan 'ultra'"):
        subscriptions.set_dev_plan(db.session, org.id, "ultra", external_id="e9")


def test_every_step_raises_one_subscription_updated_event_naming_it(org):
    _started(org)
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
    subscriptions.renew(db.session, "sub_1", period_end=PERIOD + dt.timedelta(days=31), external_id="in_2")
    subscriptions.change_plan(db.session, "sub_1", "max")
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_c")
    subscriptions.cancel_at_period_end(db.session, "sub_1", external_id="evt_c2")  # already set: no step
    subscriptions.end(db.session, "sub_1", external_id="evt_end")
    db.session.commit()
    rows = db.session.scalars(select(Event).where(Event.type == "subscription.updated")).all()
    events = {e.data["reason"]: e.data for e in rows}
    assert len(rows) == 5 and {reason: (data["previous_plan"], data["plan"]) for reason, data in events.items()} == {
        "subscription_started": ("free", "pro"), "renewed": ("pro", "pro"), "plan_changed": ("pro", "max"),
        "cancel_at_period_end": ("max", "max"), "subscription_ended": ("max", "free")}
    assert events["cancel_at_period_end"]["cancel_at_period_end"] is True
    assert events["subscription_ended"]["status"] == "ended"
