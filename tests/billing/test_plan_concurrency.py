"""The plan's concurrency in reserve.lua: slots taken atomically at admission and given back by
settle, release and the expiry sweep, whichever ends the hold."""
import threading
from dataclasses import replace

from app.billing import holds
from app.extensions import redis_conn
from tests.billing.conftest import T0
from tests.factories import make_key, make_org, make_user

TTL_MS = 900_000  # the test config's GATEWAY_HOLD_TTL_S


def _in_flight(meter) -> int:
    return redis_conn.client.scard(f"tg:cc:{meter.wallet_id}")


def _fill(meter, n, limit=2):
    reqs = [meter.hold(1000, concurrency=limit) for _ in range(n)]
    assert all(holds.reserve(r, now_ms=T0).ok for r in reqs)
    return reqs


def test_refuses_the_request_past_the_plans_concurrency_without_retry_after(meter):
    _fill(meter, 2)
    refused = holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0)
    assert (refused.ok, refused.error, refused.limit, refused.used, refused.retry_after) == \
        (False, "concurrency", 2, 2, None)
    assert _in_flight(meter) == 2
    assert holds.balances(meter.wallet_id, meter.key_id, None)[0] == 10_000_000 - 2000  # no third hold


def test_settle_gives_the_slot_back(meter):
    first, _ = _fill(meter, 2)
    holds.settle(first.request_id, 300, 10, meter.record(first.request_id, 300), now_ms=T0)
    assert _in_flight(meter) == 1
    assert holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0).ok


def test_release_of_a_failed_request_gives_the_slot_back(meter):
    first, _ = _fill(meter, 2)
    holds.release(first.request_id, meter.record(first.request_id, status="error"), now_ms=T0)
    assert _in_flight(meter) == 1
    assert holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0).ok


def test_a_replayed_reserve_takes_one_slot(meter):
    req = meter.hold(1000, concurrency=2)
    assert holds.reserve(req, now_ms=T0).ok
    assert holds.reserve(req, now_ms=T0).ok  # redis-py resending the script
    assert _in_flight(meter) == 1
    assert holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0).ok


def test_sweep_of_a_hold_whose_gateway_died_gives_the_slot_back(meter):
    _fill(meter, 2)  # their process was killed: nobody settles them
    assert holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0).error == "concurrency"
    assert holds.sweep_expired(now_ms=T0 + TTL_MS + 1) == 2
    assert _in_flight(meter) == 0
    assert holds.reserve(meter.hold(1000, concurrency=2), now_ms=T0 + TTL_MS + 2).ok


def test_sweep_of_a_checkpointed_stream_gives_the_slot_back_once_it_is_charged(meter):
    stream, _ = _fill(meter, 2)
    assert holds.heartbeat(stream.request_id, (400, 20, meter.record(stream.request_id, 400)), now_ms=T0)
    assert holds.sweep_expired(now_ms=T0 + TTL_MS + 1) == 2
    assert _in_flight(meter) == 0
    # Its own late settle is a duplicate and changes nothing.
    assert holds.settle(stream.request_id, 900, 30, meter.record(stream.request_id, 900)).error == "duplicate"
    assert _in_flight(meter) == 0


def test_a_refusal_for_another_reason_takes_no_slot(meter):
    assert holds.reserve(meter.hold(100_000_000, concurrency=2), now_ms=T0).error == "insufficient_funds"
    assert holds.reserve(meter.hold(1000, concurrency=2, rpm_limit=0), now_ms=T0).error == "rpm"
    assert _in_flight(meter) == 0


def test_each_org_has_its_own_slots(meter):
    _fill(meter, 2)
    user = make_user()
    other = make_org(balance_usd="1", owner=user)
    key, _ = make_key(user, org=other)
    req = replace(meter.hold(1000, concurrency=2), wallet_id=other.wallet.id, key_id=key.id, org_id=other.id)
    assert holds.reserve(req, now_ms=T0).ok


def test_a_plan_without_a_limit_counts_nothing(meter):
    for _ in range(5):
        assert holds.reserve(meter.hold(1000), now_ms=T0).ok
    assert _in_flight(meter) == 0


def test_concurrent_admissions_never_pass_the_limit(app, meter):
    admitted, barrier = [], threading.Barrier(12)

    def admit():
        with app.app_context():
            barrier.wait()
            for _ in range(5):
                if holds.reserve(meter.hold(1000, concurrency=3), now_ms=T0).ok:
                    admitted.append(1)

    threads = [threading.Thread(target=admit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 3 and _in_flight(meter) == 3
