"""Guarantees that only show against a misbehaving provider, a real client socket, or
settlement running in the background: the per-request cap's own cut, a client that hangs
up mid-stream, the lifetime quota counting spend not yet written, and lifetime spend."""
import http.client
import json
import time
from decimal import Decimal
from urllib.parse import urlsplit

import requests

from app.billing import mirror, settlement
from app.extensions import db
from app.gateway import catalog, pricing
from app.models import ApiKey, Wallet
from tests.admin.conftest import admin_client, admin_user  # noqa: F401 - fixtures
from tests.factories import make_key

from .helpers import balance, chat, knobs, usage_charges, usage_rows


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_per_request_cap_ends_a_stream_the_provider_does_not_end(client, world, mock_upstream):
    _, secret = make_key(world.owner, world.org, per_request_cap=40)
    with knobs(mock_upstream, completion_tokens=200, ignore_max_tokens=True):
        resp = chat(client, {"Authorization": f"Bearer {secret}"}, stream=True)
        body = resp.get_data(as_text=True)
        forwarded = mock_upstream.last("chat_completions")
    events = [json.loads(e[6:]) for e in body.split("\n\n") if e.startswith("data: {")]
    pieces = [e["choices"][0]["delta"].get("content") for e in events if e.get("choices")]
    text = "".join(p for p in pieces if p)
    limit = forwarded["max_tokens"]
    assert limit < 200  # the cap lowered max_tokens; the provider went on regardless
    assert events[-1]["choices"][0]["finish_reason"] == "length"
    assert events[-1]["id"] == resp.headers["X-Request-Id"]  # the gateway's own closing chunk
    assert (len(text) + 3) // 4 <= limit + 1  # cut within one chunk of the limit, not at 200 tokens
    row = usage_rows()[-1]
    assert row.completion_tokens <= limit + 1
    assert 0 < -usage_charges()[0] <= 40


def test_client_that_hangs_up_mid_stream_pays_for_what_it_received(world, mock_upstream, live_tollgate):
    url = urlsplit(live_tollgate.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = {"model": "gpt-test", "stream": True, "max_tokens": 500,
            "messages": [{"role": "user", "content": "Hello there"}]}
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=500, chunk_delay_ms=10):
        conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                     headers={**world.headers, "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        received = resp.read(2000)
        assert b"tok" in received
        # Hang up: the gateway finds out at its next write and must settle then.
        resp.close()
        conn.close()
        _wait_for(lambda: usage_charges() != [])
    row = usage_rows()[-1]
    assert row.stream is True and row.usage_estimated is True
    assert row.request_id == resp.headers["X-Request-Id"]
    assert 0 < row.completion_tokens < 500  # what was produced before the hang-up, not the hold
    # The provider reports usage only at the end, so the input is the local estimate too.
    assert row.prompt_tokens > 0
    assert row.total_cost == row.prompt_tokens + 2 * row.completion_tokens
    assert balance(world.org.wallet.id) == 10_000_000 - row.total_cost


def test_lifetime_quota_counts_settled_spend_not_yet_written(app, world, mock_upstream, live_tollgate):
    model = catalog.current().models["gpt-test"]
    messages = [{"role": "user", "content": "Hello there"}]
    hold = pricing.hold_amount(model, Decimal(1), pricing.prompt_bound(messages), 50)
    cost = 10 + 2 * 16
    # Room for one hold, then for the charge plus one credit less than a second hold.
    key, secret = make_key(world.owner, world.org, quota=cost + hold - 1)
    headers = {"Authorization": f"Bearer {secret}"}
    queue = app.extensions["tollgate_redis"].client

    def ask():
        return requests.post(f"{live_tollgate.url}/v1/chat/completions", headers=headers, timeout=10,
                             json={"model": "gpt-test", "max_tokens": 50, "messages": messages})

    app.config["GATEWAY_SYNC_SETTLE"] = False
    try:
        with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
            assert ask().status_code == 200
            _wait_for(lambda: queue.llen(mirror.USAGE_QUEUE) == 1)
            db.session.expire_all()
            assert db.session.get(ApiKey, key.id).spent == 0  # settled in Redis, not yet in PostgreSQL
            second = ask()
    finally:
        app.config["GATEWAY_SYNC_SETTLE"] = True
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "quota_exhausted"
    settlement.flush_all(app)
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).spent == cost


def test_lifetime_spent_grows_by_each_flushed_charge(client, world, mock_upstream, admin_client):  # noqa: F811
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        assert chat(client, world.headers).status_code == 200
        assert chat(client, world.headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(Wallet, world.org.wallet.id).lifetime_spent == 84
    account = client.get("/api/v1/me/account", headers=world.headers).json
    assert account["balance"]["lifetime_spent_usd"] == 0.000084
    page = admin_client.get(f"/admin/orgs/{world.org.id}/").get_data(as_text=True)
    # Shown to the cent, with the exact credits on hover.
    assert "Total spent: <span title='84 credits'>$0.00</span>" in " ".join(page.split())
