"""reserve.lua: each check, its order, and that a refusal changes no counter."""
import threading
import time

import pytest

from app.billing import holds, mirror
from app.extensions import redis_conn
from tests.billing.conftest import T0

MINUTE = 60_000


def _counters(meter) -> dict:
    client = redis_conn.client
    read = {b"string": client.get, b"hash": client.hgetall, b"zset": lambda k: client.zrange(k, 0, -1, withscores=True)}
    return {key.decode(): read[client.type(key)](key) for key in sorted(client.keys("tg:*"))}


def test_reserve_holds_amount_and_reports_balances(meter):
    result = holds.reserve(meter.hold(1_000_000, quota=5_000_000), now_ms=T0)
    assert result.ok
    assert result.wallet_available == 9_000_000
    assert result.key_remaining == 4_000_000
    assert holds.balances(meter.wallet_id, meter.key_id, 5_000_000) == (9_000_000, 4_000_000)


def test_key_without_quota_reports_unlimited(meter):
    result = holds.reserve(meter.hold(1), now_ms=T0)
    assert result.ok and result.key_remaining is None


def test_rpm_refuses_the_next_request_within_60_s_with_retry_after(meter):
    now = T0 + 15_000  # 45 s before the next minute: the window slides past it
    assert holds.reserve(meter.hold(1, rpm_limit=2), now_ms=now).ok
    assert holds.reserve(meter.hold(1, rpm_limit=2), now_ms=now).ok
    refused = holds.reserve(meter.hold(1, rpm_limit=2), now_ms=now)
    assert (refused.ok, refused.error, refused.limit, refused.used, refused.retry_after) == (False, "rpm", 2, 2, 60)
    assert holds.reserve(meter.hold(1, rpm_limit=2), now_ms=now + 45_000).error == "rpm"
    assert holds.reserve(meter.hold(1, rpm_limit=2), now_ms=now + MINUTE).ok


def test_tpm_counts_estimated_tokens_and_is_corrected_at_settle(meter):
    first = meter.hold(1, tpm_limit=1000, est_tokens=600)
    assert holds.reserve(first, now_ms=T0).ok
    assert holds.reserve(meter.hold(1, tpm_limit=1000, est_tokens=600), now_ms=T0).error == "tpm"
    holds.settle(first.request_id, 1, 200, meter.record(first.request_id, 1), now_ms=T0)  # actually used 200
    assert holds.reserve(meter.hold(1, tpm_limit=1000, est_tokens=600), now_ms=T0).ok


def test_plan_window_refuses_past_the_12h_allowance(meter):
    assert holds.reserve(meter.hold(1, messages_per_12h=1), now_ms=T0).ok
    refused = holds.reserve(meter.hold(1, messages_per_12h=1), now_ms=T0)
    assert (refused.error, refused.limit, refused.used) == ("plan_window", 1, 1)
    assert refused.retry_after == (43_200_000 - T0 % 43_200_000) // 1000
    assert holds.reserve(meter.hold(1, messages_per_12h=1), now_ms=T0 + 43_200_000).ok


@pytest.mark.parametrize("cap", ["cap_5h", "cap_1d", "cap_7d"])
def test_rolling_cap_counts_open_holds(meter, cap):
    assert holds.reserve(meter.hold(600, **{cap: 1000}), now_ms=T0).ok
    refused = holds.reserve(meter.hold(600, **{cap: 1000}), now_ms=T0)
    assert (refused.error, refused.limit, refused.used) == (cap, 1000, 600)


def test_quota_and_model_cap_and_wallet_refuse_with_their_own_error(meter):
    assert holds.reserve(meter.hold(600, quota=1000), now_ms=T0).error is None
    assert holds.reserve(meter.hold(600, quota=1000), now_ms=T0).error == "quota"
    assert holds.reserve(meter.hold(600, model_cap=1000, model="m2"), now_ms=T0).ok
    assert holds.reserve(meter.hold(600, model_cap=1000, model="m2"), now_ms=T0).error == "model_cap"
    assert holds.reserve(meter.hold(600, model_cap=1000, model="m3"), now_ms=T0).ok  # another model's cap
    refused = holds.reserve(meter.hold(10_000_000), now_ms=T0)
    assert (refused.error, refused.limit, refused.used) == ("insufficient_funds", 10_000_000, 10_000_000 - 1800)


def test_checks_run_in_the_documented_order(meter):
    # Every limit is exhausted at once; each refusal names the first failing check.
    big = dict(amount=20_000_000)
    limits = dict(rpm_limit=0, tpm_limit=0, messages_per_12h=0, cap_5h=1, cap_1d=1, cap_7d=1, quota=1, model_cap=1)
    order = ["rpm", "tpm", "plan_window", "cap_5h", "cap_1d", "cap_7d", "quota", "model_cap", "insufficient_funds"]
    names = ["rpm_limit", "tpm_limit", "messages_per_12h", "cap_5h", "cap_1d", "cap_7d", "quota", "model_cap", None]
    for expected, name in zip(order, names):
        assert holds.reserve(meter.hold(big["amount"], **limits), now_ms=T0).error == expected
        if name:
            limits.pop(name)


def test_a_refused_request_changes_no_counter(meter):
    assert holds.reserve(meter.hold(1000, rpm_limit=5, tpm_limit=10_000, messages_per_12h=5), now_ms=T0).ok
    before = _counters(meter)
    for limits in (dict(rpm_limit=1), dict(tpm_limit=100), dict(messages_per_12h=1), dict(cap_1d=1500),
                   dict(quota=1500), dict(model_cap=1500)):
        assert not holds.reserve(meter.hold(1000, **limits), now_ms=T0).ok
    assert not holds.reserve(meter.hold(100_000_000), now_ms=T0).ok
    after = _counters(meter)
    # Loading the key and key-model snapshots for the quota checks is the only change.
    assert {k: v for k, v in after.items() if not k.startswith("tg:s:")} == \
        {k: v for k, v in before.items() if not k.startswith("tg:s:")}


def test_redis_down_raises_meter_unavailable(meter, app, monkeypatch):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    broken = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(redis_conn, "client", broken)
    monkeypatch.setitem(app.extensions, "tollgate_redis", redis_conn)
    with pytest.raises(holds.MeterUnavailable):
        holds.reserve(meter.hold(1), now_ms=T0)


def test_a_wallet_flushed_faster_than_it_loads_is_still_admitted(app, meter):
    # Flushes of a busy wallet each bump its generation; a snapshot load that straddles one is
    # refused and retried. A burst of them must not turn the request into a 503.
    account = mirror.account_key(mirror.wallet_account(meter.wallet_id))
    client = redis_conn.client
    until = time.monotonic() + 0.15
    bumping = threading.Thread(target=lambda: [client.hincrby(account, "gen", 1) or time.sleep(0.001)
                                               for _ in iter(lambda: time.monotonic() < until, False)])
    bumping.start()
    try:
        assert holds.reserve(meter.hold(1_000), now_ms=T0).ok
    finally:
        bumping.join()
