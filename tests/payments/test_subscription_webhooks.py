"""Subscriptions end to end: the /me API asks the Stripe stand-in (through the real SDK), whose
signed webhooks move the org's plan and grant bundled credits through app/billing/subscriptions.py."""
import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.billing import subscriptions
from app.extensions import db
from app.models import LedgerEntry, Notification, Organization, StripeEvent, Subscription, Wallet, utcnow
from tests.console.conftest import _fresh_login  # noqa: F401 - two signed-in clients in one test
from tests.factories import make_key, make_org, make_user
from tests.payments.conftest import deliver_at_once

SUBSCRIPTION = "/api/v1/me/billing/subscription"
PRO, MAX = 20_000_000, 200_000_000


@pytest.fixture
def subscriber(db, priced_plans):
    owner = make_user()
    org = make_org(plan="free", owner=owner, billing_email="billing@subscriber.test")
    _, secret = make_key(owner, org)
    return SimpleNamespace(org=org, owner=owner, headers={"Authorization": f"Bearer {secret}"})


def subscribe(client, who, standin, plan="pro", deliver=True) -> tuple[str, list[dict]]:
    answer = client.post(SUBSCRIPTION, json={"plan": plan}, headers=who.headers)
    assert answer.status_code == 201, answer.json
    assert answer.json["checkout_url"].startswith(f"{standin.url}/pay/cs_test_")
    session_id = answer.json["checkout_url"].rsplit("/", 1)[1]
    events = standin.pay(session_id, deliver)
    return events[1]["data"]["object"]["id"], events


def state(who) -> tuple[str, int, list[str]]:
    db.session.expire_all()
    org = db.session.get(Organization, who.org.id)
    types = db.session.scalars(select(LedgerEntry.type).join(Wallet).where(Wallet.org_id == org.id)
                               .order_by(LedgerEntry.id)).all()
    return org.plan.code, org.wallet.balance, [t.value for t in types]


def deliver(client, standin, event_id: str):
    body, signature = standin.signed(event_id)
    return client.post("/webhooks/stripe", data=body,
                       headers={"Content-Type": "application/json", "Stripe-Signature": signature})


def wait(standin):
    standin.app.extensions["stripe_standin"]["sender"].wait()


def test_paying_the_checkout_starts_the_plan_with_its_bundle_and_the_api_shows_it(client, subscriber, standin):
    sub_id, events = subscribe(client, subscriber, standin)
    assert [e["type"] for e in events] == ["checkout.session.completed", "customer.subscription.created",
                                           "invoice.paid"]
    assert state(subscriber) == ("pro", PRO, ["subscription_start"])
    assert sorted(db.session.scalars(select(StripeEvent.outcome))) == ["applied", "applied", "ignored"]
    shown = client.get(SUBSCRIPTION, headers=subscriber.headers).json
    assert shown["plan"] == "pro" and shown["subscription"]["id"] == sub_id
    assert shown["subscription"]["status"] == "active" and shown["subscription"]["renews_at"].endswith("Z")
    again = client.post(SUBSCRIPTION, json={"plan": "max"}, headers=subscriber.headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "subscription_conflict"


def test_a_renewal_grants_the_bundle_once_even_delivered_twice(client, subscriber, standin):
    sub_id, _ = subscribe(client, subscriber, standin)
    paid = standin.control(f"subscriptions/{sub_id}/renew")["events"][0]
    assert paid["type"] == "invoice.paid"
    assert deliver(client, standin, paid["id"]).json == {"received": True, "duplicate": True}
    assert state(subscriber) == ("pro", 2 * PRO, ["subscription_start", "subscription_renew"])
    db.session.expire_all()
    assert db.session.scalar(select(Subscription.current_period_end)) > utcnow() + dt.timedelta(days=45)


def test_events_delivered_in_reverse_order_end_the_same(client, subscriber, standin):
    _, events = subscribe(client, subscriber, standin, deliver=False)
    for event in reversed(events):
        assert deliver(client, standin, event["id"]).status_code == 200
    for event in events:  # and each once more
        assert deliver(client, standin, event["id"]).json["duplicate"] is True
    assert state(subscriber) == ("pro", PRO, ["subscription_start"])


def test_change_plan_cancel_and_end_through_the_sdk(client, subscriber, standin):
    sub_id, _ = subscribe(client, subscriber, standin)
    changed = client.patch(SUBSCRIPTION, json={"plan": "max"}, headers=subscriber.headers)
    assert changed.status_code == 202 and changed.json["requested"] == {"plan": "max"}
    wait(standin)
    assert state(subscriber)[0] == "max"
    assert client.delete(SUBSCRIPTION, headers=subscriber.headers).status_code == 202
    wait(standin)
    shown = client.get(SUBSCRIPTION, headers=subscriber.headers).json["subscription"]
    assert shown["cancel_at_period_end"] is True and shown["renews_at"] is None
    standin.control(f"subscriptions/{sub_id}/end")
    assert state(subscriber) == ("free", PRO, ["subscription_start", "subscription_cancel", "subscription_end"])
    calls = [(c["method"], c["path"].split("/")[2]) for c in standin.requests()]
    assert ("POST", "subscriptions") in calls and ("POST", "checkout") in calls


def test_a_deletion_arriving_before_the_creation_leaves_the_org_on_free(client, subscriber, standin):
    sub_id, events = subscribe(client, subscriber, standin, deliver=False)
    deleted = standin.control(f"subscriptions/{sub_id}/end", deliver=False)["events"][0]
    for event in [deleted, *reversed(events)]:
        assert deliver(client, standin, event["id"]).status_code == 200
    assert state(subscriber) == ("free", PRO, ["subscription_start", "subscription_end"])


def test_a_failed_renewal_keeps_the_plan_through_grace_then_the_job_downgrades(client, subscriber, standin):
    sub_id, _ = subscribe(client, subscriber, standin)
    failed = standin.control(f"subscriptions/{sub_id}/renew", fail=True)["events"]
    assert [e["type"] for e in failed] == ["invoice.payment_failed", "customer.subscription.updated"]
    db.session.expire_all()
    sub = db.session.scalar(select(Subscription))
    assert sub.status == "past_due" and state(subscriber)[0] == "pro"
    assert client.get(SUBSCRIPTION, headers=subscriber.headers).json["subscription"]["grace_until"]
    subscriptions.end_lapsed(db.session, now=sub.past_due_since + dt.timedelta(days=30))
    db.session.commit()
    assert state(subscriber) == ("free", PRO, ["subscription_start", "subscription_end"])
    titles = db.session.scalars(select(Notification.title).where(Notification.org_id == subscriber.org.id)).all()
    assert "Your plan was moved to Free" in titles


def test_bad_requests_name_the_field_and_reach_no_stripe(client, subscriber, standin):
    cases = [({"plan": "enterprise"}, "plan"), ({"plan": ""}, "plan"), ({"plan": "pro", "seats": 2}, "seats")]
    for body, field in cases:
        answer = client.post(SUBSCRIPTION, json=body, headers=subscriber.headers)
        assert answer.status_code == 400 and answer.json["error"]["param"] == field, answer.json
    answer = client.patch(SUBSCRIPTION, json={"cancel_at_period_end": "yes"}, headers=subscriber.headers)
    assert answer.status_code == 400 and answer.json["error"]["param"] == "cancel_at_period_end"
    assert client.delete(SUBSCRIPTION, headers=subscriber.headers).status_code == 409
    assert standin.requests() == []


def test_an_admin_cancels_an_orgs_subscription_from_its_page(app, client, subscriber, standin):
    from app.models import AuditLog
    from tests.admin.conftest import _role_client

    subscribe(client, subscriber, standin)
    finance = _role_client(app, "Finance")  # sees the org page, cannot cancel
    assert 'id="cancel-subscription"' not in finance.get(f"/admin/orgs/{subscriber.org.id}/").get_data(as_text=True)
    finance.post(f"/admin/orgs/{subscriber.org.id}/subscription/cancel")
    admin = _role_client(app, "Admin")
    page = admin.get(f"/admin/orgs/{subscriber.org.id}/").get_data(as_text=True)
    assert 'id="cancel-subscription"' in page
    assert admin.post(f"/admin/orgs/{subscriber.org.id}/subscription/cancel").status_code == 302
    wait(standin)
    assert state(subscriber) == ("pro", PRO, ["subscription_start", "subscription_cancel"])
    assert len([c for c in standin.requests() if c["method"] == "POST" and "/subscriptions/" in c["path"]]) == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "org.subscription_cancel"))
    assert 'id="cancel-subscription"' not in admin.get(f"/admin/orgs/{subscriber.org.id}/").get_data(as_text=True)


def test_concurrent_deliveries_of_a_new_subscriptions_events_start_it_once(client, subscriber, standin, live_app):
    _, events = subscribe(client, subscriber, standin, deliver=False)
    signed = [standin.signed(e["id"]) for e in events for _ in range(3)]
    assert deliver_at_once(live_app.url, signed) == [200] * len(signed)
    assert state(subscriber) == ("pro", PRO, ["subscription_start"])
    db.session.expire_all()
    processed = db.session.scalars(select(StripeEvent.processed_at)).all()
    assert len(processed) == 3 and all(processed)  # none failed on the other's insert and waits for the sweep
