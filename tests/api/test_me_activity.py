"""/api/v1/me/usage (the call log with cursor pages and filters) and /api/v1/me/notifications."""
import datetime as dt
import itertools

import pytest

from app.extensions import db
from app.models import Notification, OrgRole, UsageLog
from tests.factories import make_key, make_org

_ids = itertools.count(1)
T0 = dt.datetime(2026, 11, 1, 12, 0, 0)


def log(key, minutes=0, model="gpt-test", status="success", cost=1000):
    row = UsageLog(request_id=f"req-{next(_ids)}", created_at=T0 + dt.timedelta(minutes=minutes), org_id=key.org_id,
                   user_id=key.user_id, api_key_id=key.id, wallet_id=key.wallet_id, model=model, endpoint="chat",
                   prompt_tokens=10, completion_tokens=5, total_cost=cost, input_cost=cost, status=status,
                   http_status=200 if status == "success" else 502)
    db.session.add(row)
    db.session.commit()
    return row


def usage(client, hdrs, **args):
    return client.get("/api/v1/me/usage", query_string=args, headers=hdrs)


def test_usage_pages_newest_first_with_a_cursor_until_the_last_page(client, world):
    rows = [log(world.key, minutes=i) for i in range(5)]
    log(world.key, minutes=2)  # same minute as another: the id breaks the tie
    seen, cursor = [], None
    while True:
        body = usage(client, world.headers, limit=2, **({"cursor": cursor} if cursor else {})).json
        seen += [r["id"] for r in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert seen[0] == rows[4].id and seen[-1] == rows[0].id
    first = usage(client, world.headers, limit=1).json["data"][0]
    assert first["cost_usd"] == 0.001 and first["key_id"] == world.key.id and first["prompt_tokens"] == 10


def test_usage_filters_by_model_key_status_and_window(client, world):
    other, _ = make_key(world.owner, world.org, name="other")
    log(world.key, 0, "gpt-test")
    log(world.key, 10, "claude-test", status="error")
    log(other, 20, "gpt-test")
    ids = lambda **f: [r["model"] + "@" + str(r["key_id"]) for r in usage(client, world.headers, **f).json["data"]]  # noqa: E731
    assert ids(model="claude-test") == [f"claude-test@{world.key.id}"]
    assert ids(key=other.id) == [f"gpt-test@{other.id}"]
    assert ids(status="error") == [f"claude-test@{world.key.id}"]
    assert ids(**{"from": "2026-11-01T12:05:00Z", "to": "2026-11-01T12:15:00Z"}) == [f"claude-test@{world.key.id}"]
    assert ids(model="' OR 1=1 --") == []


@pytest.mark.parametrize("args, field", [
    ({"status": "fine"}, "status"), ({"key": "abc"}, "key"), ({"key": "-1"}, "key"),
    ({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"), ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"), ({"cursor": "!!garbage"}, "cursor"), ({"sort": "id"}, "sort"),
    ({"from": "2026-11-02", "to": "2026-11-01"}, "from"),
])
def test_bad_usage_filters_are_400_naming_the_field(client, world, args, field):
    resp = usage(client, world.headers, **args)
    assert resp.status_code == 400 and resp.json["error"]["param"] == field


def test_members_see_their_own_calls_and_admins_the_orgs(client, world, join):
    member, member_headers = join(OrgRole.member)
    member_key = db.session.query(type(world.key)).filter_by(user_id=member.id).one()
    log(world.key, 0)
    log(member_key, 1)
    outsider_org = make_org("Elsewhere", owner=world.owner)
    elsewhere, _ = make_key(world.owner, outsider_org)
    log(elsewhere, 2)
    assert [r["user_id"] for r in usage(client, member_headers).json["data"]] == [member.id]
    _, admin = join(OrgRole.admin)
    assert len(usage(client, admin).json["data"]) == 2
    # The owner's Acme key never shows the calls made in their other org.
    assert {r["key_id"] for r in usage(client, world.headers).json["data"]} == {world.key.id, member_key.id}


def notify(**fields):
    notice = Notification(event="system.balance.notify.dispatched", title="Balance low", **fields)
    db.session.add(notice)
    db.session.commit()
    return notice


def test_notifications_list_and_mark_read(client, world, join):
    member, member_headers = join(OrgRole.member)
    own = notify(user_id=world.owner.id, org_id=world.org.id)
    org_wide = notify(org_id=world.org.id)
    theirs = notify(user_id=member.id, org_id=world.org.id)
    body = client.get("/api/v1/me/notifications", headers=world.headers).json
    assert [n["id"] for n in body["data"]] == [org_wide.id, own.id]
    resp = client.post(f"/api/v1/me/notifications/{own.id}/read", headers=world.headers)
    assert resp.status_code == 200 and resp.json["read_at"]
    unread = client.get("/api/v1/me/notifications?unread=true", headers=world.headers).json["data"]
    assert [n["id"] for n in unread] == [org_wide.id]
    assert client.post(f"/api/v1/me/notifications/{theirs.id}/read", headers=world.headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    assert [n["id"] for n in client.get("/api/v1/me/notifications", headers=member_headers).json["data"]] == \
        [theirs.id, org_wide.id]
    assert client.get("/api/v1/me/notifications?unread=yes", headers=world.headers).json["error"]["param"] == "unread"
