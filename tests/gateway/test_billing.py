"""Exact billing through the gateway: cost, hold, headers, fallback, streams, concurrency."""
import json
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiKey, ModelRoute, UsageLog
from tests.factories import make_key, make_org, make_provider, make_user

from .helpers import balance, chat, knobs, settled, usage_charges, usage_rows


@pytest.fixture(autouse=True, params=["sync", "background"])
def settle_mode(request, app):
    """Tests and the embedded default settle before answering; production settles in the background."""
    app.config["GATEWAY_SYNC_SETTLE"] = request.param == "sync"
    yield request.param
    settled()  # so the ledger check after the test sees every charge
    app.config["GATEWAY_SYNC_SETTLE"] = True


@pytest.mark.embedded
def test_chat_is_charged_exactly_from_reported_usage(client, world, mock_upstream):
    # gpt-test: 1 credit per input token, 2 per output token.
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        resp = chat(client, world.headers)
        forwarded = mock_upstream.last("chat_completions")
    assert resp.status_code == 200
    assert resp.json["model"] == "gpt-test"
    assert resp.json["usage"]["completion_tokens"] == 16
    assert usage_charges() == [-42]
    assert balance(world.org.wallet.id) == 10_000_000 - 42
    assert resp.headers["X-Org-Quota-Remaining-Credits"] == str(10_000_000 - 42)
    assert resp.headers["X-Quota-Remaining-Credits"] == "unlimited"
    row = usage_rows()[-1]
    assert (row.prompt_tokens, row.completion_tokens, row.total_cost) == (10, 16, 42)
    assert (row.input_cost, row.output_cost) == (10, 32)
    assert row.request_id == resp.headers["X-Request-Id"]
    assert forwarded["model"] == "gpt-upstream"


@pytest.mark.embedded
def test_group_multiplier_discounts_and_rounds_up(client, world, mock_upstream):
    world.public.multiplier = Decimal("0.8")
    db.session.commit()
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        chat(client, world.headers)
    row = usage_rows()[-1]
    assert row.total_cost == 34  # ceil(42 * 0.8 = 33.6)
    assert row.discount_savings == 8
    assert row.multiplier == Decimal("0.8")


def test_cached_prompt_tokens_are_priced_at_the_cached_rate(client, world, mock_upstream):
    with knobs(mock_upstream, prompt_tokens=1000, cached_tokens=600, completion_tokens=0):
        chat(client, world.headers)
    row = usage_rows()[-1]
    assert row.cached_tokens == 600
    assert row.total_cost == 400 + 60  # 400 fresh at 1 credit, 600 cached at 0.1


def test_lifetime_quota_header_counts_down(client, world, mock_upstream):
    key, secret = make_key(world.owner, world.org, quota=1_000_000)
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        resp = chat(client, {"Authorization": f"Bearer {secret}"})
    assert resp.headers["X-Quota-Remaining-Credits"] == str(1_000_000 - 42)
    settled()
    assert db.session.get(ApiKey, key.id).spent == 42


def test_missing_upstream_usage_is_counted_locally_and_flagged(client, world, mock_upstream):
    with knobs(mock_upstream, no_usage=True, completion_tokens=8):
        resp = chat(client, world.headers)
    assert resp.status_code == 200
    row = usage_rows()[-1]
    assert row.usage_estimated is True
    assert row.completion_tokens > 0 and row.total_cost > 0


def test_unreachable_provider_falls_back_to_the_next(client, world, mock_upstream):
    dead = make_provider("http://127.0.0.1:9/v1", name="dead", priority=-1)
    db.session.add(ModelRoute(model_id=world.gpt.id, provider_id=dead.id))
    db.session.commit()
    resp = chat(client, world.headers)
    assert resp.status_code == 200
    assert usage_rows()[-1].provider_id == world.openai_provider.id


def test_upstream_4xx_is_passed_back_in_the_callers_format_uncharged(client, world, mock_upstream):
    with knobs(mock_upstream, error="400"):
        resp = client.post("/v1/messages", json={"model": "gpt-test", "max_tokens": 10,
                                                 "messages": [{"role": "user", "content": "hi"}]},
                           headers=world.headers)
    assert resp.status_code == 400
    assert resp.json["type"] == "error"
    assert usage_charges() == []


@pytest.mark.embedded
def test_stream_relays_every_chunk_and_charges_reported_usage(client, world, mock_upstream):
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        resp = chat(client, world.headers, stream=True, stream_options={"include_usage": True})
        body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert resp.mimetype == "text/event-stream"
    events = [json.loads(e[6:]) for e in body.split("\n\n") if e.startswith("data: {")]
    assert sum(1 for e in events if e["choices"] and e["choices"][0]["delta"].get("content")) == 16
    assert events[-1]["usage"]["completion_tokens"] == 16
    assert body.rstrip().endswith("data: [DONE]")
    assert ": tollgate-remaining-credits" in body
    assert usage_charges() == [-42]
    assert usage_rows()[-1].stream is True


def test_stream_without_include_usage_hides_the_usage_chunk(client, world, mock_upstream):
    resp = chat(client, world.headers, stream=True)
    body = resp.get_data(as_text=True)
    assert '"usage"' not in body
    assert len(usage_charges()) == 1


def test_per_request_cap_ends_a_stream_with_length_and_caps_the_charge(client, world, mock_upstream):
    _, secret = make_key(world.owner, world.org, per_request_cap=40)
    with knobs(mock_upstream, completion_tokens=200):
        resp = chat(client, {"Authorization": f"Bearer {secret}"}, stream=True)
        body = resp.get_data(as_text=True)
    assert '"finish_reason":"length"' in body.replace(" ", "")
    assert -usage_charges()[0] <= 40


def test_upstream_cut_charges_input_plus_output_so_far(client, world, mock_upstream):
    with knobs(mock_upstream, completion_tokens=50, cut_after=5):
        resp = chat(client, world.headers, stream=True)
        body = resp.get_data(as_text=True)
    assert "stream_cut" in body
    row = usage_rows()[-1]
    assert row.usage_estimated is True
    assert 0 < row.total_cost < 2 * 50 + 100


def test_hundred_concurrent_requests_against_a_wallet_for_ten(app, world, mock_upstream, live_tollgate):
    """The wallet covers exactly ten worst-case holds; 100 at once never take it below zero."""
    import requests

    from app.gateway import catalog, pricing
    from tests.factories import fund

    user = make_user("tight")
    org = make_org("Tight", plan="enterprise", owner=user)  # its concurrency is above 100
    _, secret = make_key(user, org)
    # Size one request's hold and fund exactly ten of them.
    model = catalog.current().models["gpt-test"]
    bound = pricing.prompt_bound([{"role": "user", "content": "Hello there"}])
    hold_each = pricing.hold_amount(model, Decimal(1), bound, 50)
    fund(org.wallet.id, Decimal(hold_each * 10) / 1_000_000)
    statuses = []
    lock = threading.Lock()
    gate = threading.Barrier(100)

    def one():
        gate.wait()
        r = requests.post(f"{live_tollgate.url}/v1/chat/completions", timeout=30,
                          headers={"Authorization": f"Bearer {secret}"},
                          json={"model": "gpt-test", "max_tokens": 50,
                                "messages": [{"role": "user", "content": "Hello there"}]})
        with lock:
            statuses.append(r.status_code)

    with knobs(mock_upstream, latency_ms=200):
        threads = [threading.Thread(target=one) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses.count(200) >= 10
    assert set(statuses) <= {200, 402}
    final = balance(org.wallet.id)
    assert final >= 0
    charged = db.session.scalar(sa.select(sa.func.sum(UsageLog.total_cost)).where(UsageLog.wallet_id == org.wallet.id))
    assert final == hold_each * 10 - charged


def test_production_settles_after_the_response_and_headers_match_the_ledger(app, world, mock_upstream,
                                                                            live_tollgate):
    """With background settlement the charge lands after the answer; the headers already show it."""
    import requests

    from app.billing import settlement

    app.config["GATEWAY_SYNC_SETTLE"] = False
    try:
        with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
            resp = requests.post(f"{live_tollgate.url}/v1/chat/completions", headers=world.headers, timeout=10,
                                 json={"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]})
        assert resp.status_code == 200
        deadline = __import__("time").monotonic() + 5
        while not settlement.flush_all(app) and not usage_charges():
            assert __import__("time").monotonic() < deadline, "usage never reached the queue"
    finally:
        app.config["GATEWAY_SYNC_SETTLE"] = True
    assert usage_charges() == [-42]
    assert resp.headers["X-Org-Quota-Remaining-Credits"] == str(balance(world.org.wallet.id))
