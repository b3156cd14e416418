"""The event bus: rows in the change's transaction, delivery after commit, the sweep when Redis was away."""
import redis
from rq import Queue
from sqlalchemy import select

from app.accounts import revoke_keys
from app.events import emitters
from app.extensions import db
from app.jobs.events import sweep_events
from app.models import ApiKey, Event
from tests.factories import make_key, make_org, make_user
from tests.webhooks.conftest import run_worker
from tests.webhooks.helpers import create_endpoint, org_owner


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_event_raised_while_redis_is_unreachable_is_sent_by_the_sweep(app, client, receiver, queues, monkeypatch):
    org, auth = org_owner()
    create_endpoint(client, auth, receiver.url, events=["member.invited"])
    down = redis.Redis(port=_closed_port(), socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "tollgate_queues", {"webhooks": Queue("webhooks", connection=down)})

    emitters.member_invited(db.session, org.id, "new@example.test", "member", invited_by=None)
    db.session.commit()  # the enqueue fails; the change and its event are committed all the same

    [event] = db.session.scalars(select(Event).where(Event.type == "member.invited")).all()
    assert event.dispatched_at is None
    app.extensions["tollgate_queues"].clear()  # Redis is back
    monkeypatch.setitem(app.config, "EVENTS_SWEEP_AFTER_S", 0)
    assert sweep_events() == (1, 0)
    run_worker(app)

    assert receiver.event_ids() == [event.id]
    assert receiver.requests[0]["json"]["data"]["email"] == "new@example.test"
    assert sweep_events() == (0, 0)


def test_rolled_back_change_raises_no_event(app, client, receiver, queues):
    org, auth = org_owner()
    create_endpoint(client, auth, receiver.url)
    emitters.member_invited(db.session, org.id, "gone@example.test", "member", invited_by=None)
    db.session.rollback()
    run_worker(app)
    assert db.session.scalars(select(Event).where(Event.type == "member.invited")).all() == []
    assert receiver.requests == []


def test_key_and_member_changes_raise_their_events(db):
    owner = make_user()
    org = make_org(owner=owner)
    key, _ = make_key(owner, org)
    revoke_keys(ApiKey.id == key.id)
    db.session.commit()
    events = db.session.scalars(select(Event).order_by(Event.created_at)).all()
    assert [e.type for e in events] == ["member.joined", "key.created", "key.revoked"]
    assert events[0].data == {"org_id": org.id, "user_id": owner.id, "role": "owner"}
    assert events[2].data["key_id"] == key.id and events[2].org_id == org.id
    assert all(e.dispatched_at is not None for e in events)  # inline queue: dispatched at commit


def test_helpers_for_changes_made_elsewhere_raise_events_for_the_right_owner(db):
    owner = make_user()
    org = make_org(owner=owner)
    key, _ = make_key(owner, org)
    solo = make_user()
    emitters.key_cap_reached(db.session, key, "1d")
    emitters.payment_received(db.session, org.wallet.id, 5_000_000, org_id=org.id, user_id=owner.id, reference="pi_1")
    emitters.payment_failed(db.session, 7, 1_000_000, "card_declined", org_id=None, user_id=solo.id)
    emitters.subscription_updated(db.session, org.id, "max", "pro")
    db.session.commit()

    rows = {e.type: e for e in db.session.scalars(select(Event))}
    assert (rows["key.cap_reached"].org_id, rows["key.cap_reached"].data["cap"]) == (org.id, "1d")
    received = rows["system.payment.received"]
    assert (received.org_id, received.user_id, received.data["amount_credits"]) == (org.id, None, 5_000_000)
    failed = rows["system.payment.failed"]
    assert (failed.org_id, failed.user_id, failed.data["reason"]) == (None, solo.id, "card_declined")
    assert rows["subscription.updated"].data == {"org_id": org.id, "plan": "max", "previous_plan": "pro"}
