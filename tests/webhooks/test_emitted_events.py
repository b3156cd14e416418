"""Events raised where their change happens reach a subscribed endpoint: subscription steps, console
invitations, and a key refused by its quota or a rolling cap (once per cap and window)."""
import datetime as dt

from app.billing import subscriptions
from app.extensions import db, redis_conn
from app.models import Event
from tests.console.conftest import _fresh_login, inbox, login, verified_user  # noqa: F401
from tests.factories import make_key, make_org
from tests.gateway.conftest import _fresh_gateway_caches, mock_upstream, world  # noqa: F401
from tests.webhooks.conftest import run_worker
from tests.webhooks.helpers import create_endpoint, org_owner, verify

CHAT = {"model": "gpt-test", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}


def test_each_subscription_step_reaches_the_endpoint(app, client, receiver, queues):
    org, auth = org_owner(plan="free")
    endpoint = create_endpoint(client, auth, receiver.url, events=["subscription.updated"])
    subscriptions.start(db.session, org.id, "pro", stripe_subscription_id="sub_hook", external_id="sub_hook",
                        period_end=dt.datetime(2027, 2, 1))
    db.session.commit()
    subscriptions.cancel_at_period_end(db.session, "sub_hook", external_id="sub_hook:1")
    db.session.commit()
    run_worker(app)
    sent = sorted((r["json"]["data"]["reason"], r["json"]["data"]["plan"]) for r in receiver.requests)
    assert sent == [("cancel_at_period_end", "pro"), ("subscription_started", "pro")]
    assert all(verify(endpoint["secret"], r["headers"], r["body"]) for r in receiver.requests)
    assert {r["json"]["type"] for r in receiver.requests} == {"subscription.updated"}


def test_an_invitation_from_the_console_reaches_the_endpoint(app, client, receiver, queues, inbox):
    owner = verified_user("inviter")
    org = make_org(owner=owner)
    _, secret = make_key(owner, org)
    run_worker(app)
    create_endpoint(client, {"Authorization": f"Bearer {secret}"}, receiver.url, events=["member.invited"])
    console = login(app, owner.username)
    answer = console.post(f"/console/orgs/{org.id}/members/invite", data={"email": "dev@example.com",
                                                                          "role": "admin"})
    assert answer.status_code == 302
    run_worker(app)
    [request] = receiver.requests
    assert request["json"]["type"] == "member.invited"
    assert request["json"]["data"] == {"org_id": org.id, "email": "dev@example.com", "role": "admin",
                                       "invited_by": owner.id}


def test_a_key_refused_by_its_caps_raises_one_event_per_cap_and_window(app, client, receiver, queues, world):
    create_endpoint(client, world.headers, receiver.url, events=["key.cap_reached"])
    quota_key, quota_secret = make_key(world.owner, world.org, name="quota key", quota=1)
    daily_key, daily_secret = make_key(world.owner, world.org, name="daily key", cap_1d=1)
    for secret, code in ((quota_secret, "quota_exhausted"), (daily_secret, "cap_1d_exhausted")):
        for _ in range(3):
            answer = client.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {secret}"})
            assert answer.status_code == 429 and answer.json["error"]["code"] == code
    run_worker(app)
    sent = sorted((r["json"]["data"]["key_id"], r["json"]["data"]["cap"]) for r in receiver.requests)
    assert sent == sorted([(quota_key.id, "quota"), (daily_key.id, "1d")])
    assert db.session.query(Event).filter(Event.type == "key.cap_reached").count() == 2
    assert 86_000 < redis_conn.client.ttl(f"tg:capnote:{daily_key.id}:1d") <= 86_400

    redis_conn.client.delete(f"tg:capnote:{daily_key.id}:1d")  # the window has passed
    client.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {daily_secret}"})
    run_worker(app)
    assert len(receiver.requests) == 3
