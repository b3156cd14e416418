"""Redis lost between the answer and its settlement: the usage is kept and the reconciler books it once."""
import contextlib
import threading
import time

import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.billing import holds, reconcile
from app.extensions import db
from app.models import UnsettledUsage

from .helpers import balance, knobs, usage_charges, usage_rows


@contextlib.contextmanager
def redis_unreachable(app):
    holder = app.extensions["tollgate_redis"]
    healthy = holder.client
    holder.client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,  # nothing listens there
                                retry=Retry(NoBackoff(), 0))
    try:
        yield
    finally:
        holder.client = healthy


def test_usage_unsettled_because_redis_went_away_is_booked_once_by_the_reconciler(app, client, world, mock_upstream):
    app.config["GATEWAY_SYNC_SETTLE"] = False  # settle after the answer is sent, as in production
    try:
        with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
            # Not buffered: settlement runs when the response is closed, below.
            resp = client.post("/v1/chat/completions", headers=world.headers, buffered=False, json={
                "model": "gpt-test", "messages": [{"role": "user", "content": "Hello there"}]})
        assert resp.status_code == 200
        with redis_unreachable(app):
            resp.close()  # the answer is out; settling it now finds no Redis
    finally:
        app.config["GATEWAY_SYNC_SETTLE"] = True
    assert usage_charges() == [] and usage_rows() == []
    kept = db.session.scalar(sa.select(UnsettledUsage))
    assert (kept.request_id, kept.kind, kept.cost) == (resp.headers["X-Request-Id"], "unsettled", 42)
    assert reconcile.summary()["unsettled"] == {"count": 1, "cost": 42}

    assert reconcile.replay_all().replayed == 1
    assert reconcile.replay_all().replayed == 0
    assert usage_charges() == [-42]
    assert balance(world.org.wallet.id) == 10_000_000 - 42
    row = usage_rows()[0]
    assert (row.request_id, row.total_cost, row.prompt_tokens) == (resp.headers["X-Request-Id"], 42, 10)
    # Booking it also released the hold Redis still had: the meter agrees with the database.
    assert holds.balances(world.org.wallet.id, world.key.id, None) == (10_000_000 - 42, None)


def test_a_stream_whose_settlement_finds_no_redis_is_booked_once_by_the_reconciler(app, client, world, mock_upstream):
    with knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        resp = client.post("/v1/chat/completions", headers=world.headers, buffered=False, json={
            "model": "gpt-test", "stream": True, "messages": [{"role": "user", "content": "Hello there"}]})
        body = iter(resp.response)
        first = next(body)  # the stream has started: the hold is placed and the answer is flowing
        with redis_unreachable(app):
            rest = b"".join(body)
    assert first and b"[DONE]" in rest
    kept = db.session.scalar(sa.select(UnsettledUsage))
    assert (kept.kind, kept.request_id) == ("unsettled", resp.headers["X-Request-Id"])
    assert reconcile.replay_all().replayed == 1
    reconcile.replay_all()
    assert usage_charges() == [-kept.cost] and kept.cost > 0
    assert balance(world.org.wallet.id) == 10_000_000 - kept.cost


def test_a_failed_request_whose_release_finds_no_redis_keeps_its_row_and_its_hold_is_freed_later(
        app, client, world, mock_upstream):
    answers = []
    with knobs(mock_upstream, latency_ms=600, error="500"):
        call = threading.Thread(target=lambda: answers.append(client.post(
            "/v1/chat/completions", headers=world.headers,
            json={"model": "gpt-test", "messages": [{"role": "user", "content": "Hello there"}]})))
        call.start()
        time.sleep(0.3)  # admitted, its hold placed, waiting for the upstream
        with redis_unreachable(app):
            call.join(10)
    [resp] = answers
    assert resp.status_code == 502 and resp.json["error"]["type"]  # the upstream's failure, not a 500
    kept = db.session.scalar(sa.select(UnsettledUsage))
    assert (kept.kind, kept.request_id, kept.cost) == ("unsettled", resp.headers["X-Request-Id"], 0)

    assert reconcile.replay_all().replayed == 1
    assert usage_charges() == []
    [row] = usage_rows()
    assert (row.request_id, row.status, row.http_status) == (resp.headers["X-Request-Id"], "error", 502)
    assert holds.balances(world.org.wallet.id, world.key.id, None) == (10_000_000, None)  # hold released
