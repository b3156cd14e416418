"""RPM and TPM hold over any trailing 60 s; every Retry-After names a time at which the request passes."""
from app.billing import holds
from tests.billing.conftest import T0

SECOND = 1_000
MINUTE = 60_000
BOUNDARY = T0 + MINUTE  # T0 is minute-aligned: a fixed-minute counter would reset here


def _passes_at_retry_after_and_not_a_second_before(make, now):
    refused = holds.reserve(make(), now_ms=now)
    assert not refused.ok and refused.retry_after
    later = now + refused.retry_after * SECOND
    assert not holds.reserve(make(), now_ms=later - SECOND).ok
    assert holds.reserve(make(), now_ms=later).ok
    return refused


def test_rpm_counts_any_trailing_60_s_across_a_minute_boundary(meter):
    for _ in range(3):
        assert holds.reserve(meter.hold(1, rpm_limit=3), now_ms=BOUNDARY - 100).ok  # at 59.9 s
    refused = holds.reserve(meter.hold(1, rpm_limit=3), now_ms=BOUNDARY + 100)  # at 60.1 s
    assert (refused.error, refused.limit, refused.used) == ("rpm", 3, 3)
    assert refused.retry_after == 60  # the first of the three leaves the window at 119.9 s
    assert holds.reserve(meter.hold(1, rpm_limit=3), now_ms=BOUNDARY + MINUTE - 101).error == "rpm"
    assert holds.reserve(meter.hold(1, rpm_limit=3), now_ms=BOUNDARY + MINUTE - 100).ok


def test_rpm_retry_after_waits_for_enough_requests_to_leave(meter):
    for offset in (0, 10, 20, 30):
        assert holds.reserve(meter.hold(1, rpm_limit=4), now_ms=T0 + offset * SECOND).ok
    refused = _passes_at_retry_after_and_not_a_second_before(
        lambda: meter.hold(1, rpm_limit=4), T0 + 45 * SECOND)
    assert refused.retry_after == 15


def test_tpm_counts_the_bound_of_requests_in_flight_and_actual_tokens_once_settled(meter):
    first = meter.hold(1, tpm_limit=1_000, est_tokens=600)  # prompt bound + max output
    assert holds.reserve(first, now_ms=BOUNDARY - 100).ok
    assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=500), now_ms=BOUNDARY + 100).error == "tpm"
    holds.settle(first.request_id, 1, 200, meter.record(first.request_id, 1), now_ms=BOUNDARY + 200)
    # The 200 actual tokens stay in the trailing minute, across the minute boundary.
    assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=801), now_ms=BOUNDARY + 300).error == "tpm"
    assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=800), now_ms=BOUNDARY + 300).ok


def test_tpm_never_counts_more_than_the_bound_a_request_was_admitted_with(meter):
    first = meter.hold(1, tpm_limit=1_000, est_tokens=300)
    assert holds.reserve(first, now_ms=T0).ok
    holds.settle(first.request_id, 1, 5_000, meter.record(first.request_id, 1), now_ms=T0)
    assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=700), now_ms=T0).ok


def test_tpm_gives_back_the_tokens_of_released_and_swept_holds(app, meter, monkeypatch):
    released = meter.hold(1, tpm_limit=1_000, est_tokens=600)
    assert holds.reserve(released, now_ms=T0).ok
    holds.release(released.request_id, meter.record(released.request_id), now_ms=T0 + SECOND)
    monkeypatch.setitem(app.config, "GATEWAY_HOLD_TTL_S", 10)
    abandoned = meter.hold(1, tpm_limit=1_000, est_tokens=1_000)
    assert holds.reserve(abandoned, now_ms=T0 + SECOND).ok
    assert holds.sweep_expired(now_ms=T0 + 12 * SECOND) == 1
    assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=1_000), now_ms=T0 + 12 * SECOND).ok


def test_tpm_retry_after_waits_for_enough_tokens_to_leave(meter):
    for offset in (0, 10, 20):
        assert holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=300), now_ms=T0 + offset * SECOND).ok
    refused = _passes_at_retry_after_and_not_a_second_before(
        lambda: meter.hold(1, tpm_limit=1_000, est_tokens=500), T0 + 30 * SECOND)
    assert (refused.error, refused.used, refused.retry_after) == ("tpm", 900, 40)  # two must leave: at 70 s


def test_a_request_above_the_tpm_limit_gets_no_retry_after(meter):
    refused = holds.reserve(meter.hold(1, tpm_limit=1_000, est_tokens=1_001), now_ms=T0)
    assert (refused.error, refused.retry_after) == ("tpm", None)
    assert (holds.reserve(meter.hold(1, rpm_limit=0), now_ms=T0).error,
            holds.reserve(meter.hold(1, rpm_limit=0), now_ms=T0).retry_after) == ("rpm", None)


def test_rolling_cap_retry_after_waits_until_enough_spend_has_left(meter):
    for at, cost in ((T0, 400), (T0 + 3_600_000, 400)):
        req = meter.hold(cost, cap_5h=1_000)
        assert holds.reserve(req, now_ms=at).ok
        holds.settle(req.request_id, cost, 10, meter.record(req.request_id, cost), now_ms=at)
    # 800 settled; 800 more needs both charges gone: the second leaves with its 5-minute bucket.
    refused = _passes_at_retry_after_and_not_a_second_before(
        lambda: meter.hold(800, cap_5h=1_000), T0 + 2 * 3_600_000)
    assert refused.retry_after == (3_600_000 + 5 * 3_600_000 + 5 * MINUTE - 2 * 3_600_000) // SECOND


def test_retry_after_is_the_latest_of_all_failing_limits(meter):
    req = meter.hold(600, rpm_limit=1, cap_5h=1_000)
    assert holds.reserve(req, now_ms=T0).ok
    holds.settle(req.request_id, 600, 10, meter.record(req.request_id, 600), now_ms=T0)
    # RPM alone would pass again in 59 s; the 5-hour cap only once the 600 has left it.
    refused = _passes_at_retry_after_and_not_a_second_before(
        lambda: meter.hold(600, rpm_limit=1, cap_5h=1_000), T0 + SECOND)
    assert refused.error == "rpm" and refused.retry_after > 5 * 3600


def test_open_holds_that_block_a_cap_name_no_retry_after(meter):
    assert holds.reserve(meter.hold(600, cap_5h=1_000), now_ms=T0).ok  # in flight: no time frees it
    refused = holds.reserve(meter.hold(600, cap_5h=1_000), now_ms=T0)
    assert (refused.error, refused.retry_after) == ("cap_5h", None)
