"""Provider capacity in reserve.lua: a provider's RPM limit counted over all callers, with a
share of it kept for priority plans."""
from dataclasses import replace

from app.billing import holds
from app.extensions import redis_conn
from tests.billing.conftest import T0

MINUTE = 60_000
OTHER = (8, 8, 10)  # a non-priority caller may count 8 of the provider's 10 per minute
PRIORITY = (8, 10, 10)


def _admit(meter, *routes, now=T0):
    return holds.reserve(meter.hold(1000, routes=tuple(routes)), now_ms=now)


def _counted(provider_id) -> int:
    return redis_conn.client.zcard(f"tg:pr:{provider_id}")


def test_non_priority_callers_stop_short_of_the_share_kept_for_priority_plans(meter):
    for _ in range(8):
        assert _admit(meter, OTHER).ok
    refused = _admit(meter, OTHER, now=T0 + 20_000)
    assert (refused.error, refused.limit, refused.used, refused.retry_after) == ("provider_priority", 10, 8, 40)
    assert _admit(meter, PRIORITY).ok and _admit(meter, PRIORITY).ok
    full = _admit(meter, PRIORITY)
    assert (full.error, full.limit, full.used) == ("provider_rpm", 10, 10)
    assert _counted(8) == 10
    assert _admit(meter, OTHER, now=T0 + MINUTE).ok  # the minute has moved on


def test_a_full_provider_sends_the_request_to_the_next_route(meter):
    second = (9, None, None)  # a provider without a limit
    for _ in range(8):
        assert _admit(meter, OTHER, second).route == 0
    result = _admit(meter, OTHER, second)
    assert result.ok and result.route == 1
    assert _counted(8) == 8


def test_a_replayed_reserve_answers_the_same_route(meter):
    for _ in range(8):
        assert _admit(meter, OTHER).ok
    req = meter.hold(1000, routes=(OTHER, (9, 5, 5)))
    first = holds.reserve(req, now_ms=T0)
    again = holds.reserve(req, now_ms=T0)
    assert first.route == again.route == 1 and _counted(9) == 1


def test_a_refusal_for_the_provider_counts_nothing_else(meter):
    for _ in range(8):
        assert _admit(meter, OTHER).ok
    before = holds.balances(meter.wallet_id, meter.key_id, None)
    refused = holds.reserve(replace(meter.hold(1000, routes=(OTHER,)), rpm_limit=100, concurrency=5,
                                    messages_per_12h=100), now_ms=T0)
    assert refused.error == "provider_priority"
    assert holds.balances(meter.wallet_id, meter.key_id, None) == before
    assert redis_conn.client.scard(f"tg:cc:{meter.wallet_id}") == 0
    assert redis_conn.client.zcard(f"tg:rl:{meter.key_id}") == 0
    assert _counted(8) == 8


def test_a_fallback_takes_a_slot_only_when_there_is_room(meter):
    assert holds.take_provider_slot("req_a", 7, 1, now_ms=T0)
    assert not holds.take_provider_slot("req_b", 7, 1, now_ms=T0)
    assert holds.take_provider_slot("req_c", 7, 1, now_ms=T0 + MINUTE)
