"""Settlement: exact charges after flush_all, idempotency, release, sweep, crash recovery."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.billing import holds, mirror, money, settlement
from app.extensions import redis_conn
from app.models import ApiKey, KeyModelSpend, LedgerEntry, TxType, UnsettledUsage, UsageLog, Wallet
from tests.billing.conftest import T0
from tests.factories import fund


def _state(db, meter) -> tuple[int, int, int, int]:
    db.session.expire_all()
    wallet = db.session.get(Wallet, meter.wallet_id)
    key = db.session.get(ApiKey, meter.key_id)
    km = db.session.get(KeyModelSpend, (meter.key_id, meter.model))
    usage = db.session.scalar(select(func.count()).select_from(UsageLog))
    return wallet.balance, key.spent, km.spent if km else 0, usage


def test_hold_then_settle_moves_exactly_the_cost(app, db, meter):
    req = meter.hold(50_000, quota=1_000_000)
    assert holds.reserve(req, now_ms=T0).ok
    result = holds.settle(req.request_id, 12_345, 150, meter.record(req.request_id, 12_345), now_ms=T0)
    assert result.ok and result.wallet_available == 10_000_000 - 12_345
    assert result.key_remaining == 1_000_000 - 12_345
    assert settlement.flush_all(app) == 1
    assert _state(db, meter) == (10_000_000 - 12_345, 12_345, 12_345, 1)
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == f"usage:{req.request_id}"))
    assert (entry.type, entry.amount, entry.balance_after) == (TxType.usage, -12_345, 10_000_000 - 12_345)
    # After the flush, the mirror moved the cost from "unflushed" into its snapshot: no reload needed.
    assert holds.balances(meter.wallet_id, meter.key_id, 1_000_000) == (10_000_000 - 12_345, 1_000_000 - 12_345)
    assert int(redis_conn.client.get(mirror.wallet_balance_key(meter.wallet_id))) == 10_000_000 - 12_345


def test_settling_twice_charges_once(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    assert holds.settle(req.request_id, 1_000, 10, meter.record(req.request_id, 1_000), now_ms=T0).ok
    again = holds.settle(req.request_id, 1_000, 10, meter.record(req.request_id, 1_000), now_ms=T0)
    assert (again.ok, again.error) == (False, "duplicate")
    settlement.flush_all(app)
    assert _state(db, meter) == (10_000_000 - 1_000, 1_000, 1_000, 1)


def test_cost_above_the_hold_is_clamped_and_flagged(app, db, meter):
    req = meter.hold(500)
    holds.reserve(req, now_ms=T0)
    assert holds.settle(req.request_id, 900, 10, meter.record(req.request_id, 900), now_ms=T0).clamped
    settlement.flush_all(app)
    assert _state(db, meter)[:3] == (10_000_000 - 500, 500, 500)
    assert db.session.scalar(select(UsageLog.error_type)) == "cost_clamped_to_hold"


def test_release_charges_nothing_but_logs_the_request(app, db, meter):
    req = meter.hold(5_000_000)
    holds.reserve(req, now_ms=T0)
    result = holds.release(req.request_id, meter.record(req.request_id, status="error"), now_ms=T0)
    assert result.wallet_available == 10_000_000
    settlement.flush_all(app)
    assert _state(db, meter) == (10_000_000, 0, 0, 1)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1  # the funding only


def test_refused_request_gets_a_usage_row_via_log_only(app, db, meter):
    holds.log_only(meter.record("req_refused", status="error"))
    assert settlement.flush_all(app) == 1
    assert db.session.scalar(select(UsageLog.status).where(UsageLog.request_id == "req_refused")) == "error"


def test_expired_hold_is_swept_and_stops_blocking(app, meter):
    assert holds.reserve(meter.hold(9_000_000), now_ms=T0).ok
    assert holds.reserve(meter.hold(2_000_000), now_ms=T0).error == "insufficient_funds"
    ttl_ms = app.config["GATEWAY_HOLD_TTL_S"] * 1000
    assert holds.sweep_expired(now_ms=T0 + ttl_ms - 1) == 0
    assert holds.sweep_expired(now_ms=T0 + ttl_ms + 1) == 1
    assert holds.reserve(meter.hold(2_000_000), now_ms=T0 + ttl_ms + 1).ok


def test_batch_claimed_by_a_dead_flusher_is_reclaimed_and_written_once(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 7_000, 10, meter.record(req.request_id, 7_000), now_ms=T0)
    claimed = mirror.scripts().claim(args=[T0, 500, settlement.STALE_MS])  # then the process "dies"
    assert len(claimed) == 2
    assert settlement.flush_all(app, now_ms=T0 + 1_000) == 0  # still owned by the dead flusher
    assert settlement.flush_all(app, now_ms=T0 + settlement.STALE_MS + 1) == 1
    assert _state(db, meter) == (10_000_000 - 7_000, 7_000, 7_000, 1)
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 7_000, None)


def test_batch_committed_but_not_finished_is_not_charged_twice(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 7_000, 10, meter.record(req.request_id, 7_000), now_ms=T0)
    reply = mirror.scripts().claim(args=[T0, 500, settlement.STALE_MS])
    envelopes = [json.loads(item) for item in reply[1:]]
    mirror.scripts().begin(args=[reply[0], *settlement._account_costs(envelopes)])
    settlement.write_records(envelopes)
    db.session.commit()  # ...and the process dies before finish.lua
    assert settlement.flush_all(app, now_ms=T0 + settlement.STALE_MS + 1) == 1
    assert _state(db, meter) == (10_000_000 - 7_000, 7_000, 7_000, 1)
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 7_000, None)


def test_gift_after_a_snapshot_load_is_visible_to_the_next_reserve(db, meter):
    assert holds.reserve(meter.hold(9_000_000), now_ms=T0).ok  # loads the snapshot
    assert holds.reserve(meter.hold(2_000_000), now_ms=T0).error == "insufficient_funds"
    fund(meter.wallet_id, "5")  # the money module's after-commit hook bumps gen and drops the snapshot
    result = holds.reserve(meter.hold(2_000_000), now_ms=T0)
    assert result.ok and result.wallet_available == 15_000_000 - 11_000_000


def test_snapshot_loaded_during_a_flush_is_dropped_not_adjusted(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 7_000, 10, meter.record(req.request_id, 7_000), now_ms=T0)
    reply = mirror.scripts().claim(args=[T0, 500, settlement.STALE_MS])
    envelopes = [json.loads(item) for item in reply[1:]]
    mirror.scripts().begin(args=[reply[0], *settlement._account_costs(envelopes)])
    settlement.write_records(envelopes)
    db.session.commit()
    redis_conn.client.delete(mirror.wallet_balance_key(meter.wallet_id))  # expired meanwhile
    # Reloaded between commit and finish: the database already has the cost, unflushed too.
    assert holds.balances(meter.wallet_id, meter.key_id, None)[0] == 10_000_000 - 14_000  # conservative
    assert settlement.flush_all(app, now_ms=T0 + settlement.STALE_MS + 1) == 1
    assert holds.balances(meter.wallet_id, meter.key_id, None)[0] == 10_000_000 - 7_000


def test_usage_batch_posting_is_idempotent(db, meter):
    charges = [money.UsageCharge(meter.wallet_id, f"r{i}", 100) for i in range(3)]
    assert money.post_usage_batch(db.session, charges) == {"r0", "r1", "r2"}
    assert money.post_usage_batch(db.session, charges) == set()
    db.session.commit()
    rows = db.session.scalars(select(LedgerEntry.balance_after).where(LedgerEntry.type == TxType.usage)
                              .order_by(LedgerEntry.id)).all()
    assert rows == [9_999_900, 9_999_800, 9_999_700]


@pytest.mark.embedded
def test_a_record_that_cannot_be_written_is_parked_without_blocking_the_batch(app, db, meter):
    good, bad = meter.hold(1_000), meter.hold(1_000)
    for req in (good, bad):
        holds.reserve(req, now_ms=T0)
    holds.settle(good.request_id, 500, 10, meter.record(good.request_id, 500), now_ms=T0)
    broken = {**meter.record(bad.request_id, 500), "provider_id": 999_999}  # no such provider
    holds.settle(bad.request_id, 500, 10, broken, now_ms=T0)
    assert settlement.flush_all(app) == 2
    assert _state(db, meter) == (10_000_000 - 500, 500, 500, 1)
    parked = db.session.scalar(select(UnsettledUsage))
    assert (parked.request_id, parked.kind, parked.cost) == (bad.request_id, "parked", 500)
    assert "ForeignKeyViolation" in parked.reason or "foreign key" in parked.reason.lower()
    # The parked cost is still counted by the meter (conservative) until it is replayed.
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 1_000, None)


def test_a_batch_whose_database_connection_died_is_retried_at_once(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 2_000, 10, meter.record(req.request_id, 2_000), now_ms=T0)
    session_pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with db.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({session_pid})")
    try:
        settlement.flush_batch()
        raise AssertionError("the flush should have failed on its dead connection")
    except Exception as exc:  # noqa: BLE001
        assert settlement.unreachable(exc), exc
    db.session.rollback()

    # Not 60 s later: the very next flush books it.
    assert settlement.flush_all(app) == 1
    assert _state(db, meter)[0] == 10_000_000 - 2_000


@pytest.mark.embedded
def test_a_key_keeps_its_latest_use_when_an_older_record_settles_later(app, db, meter):
    for created_at in ("2027-01-15T09:00:00", "2027-01-15T08:00:00"):
        req = meter.hold(1_000)
        holds.reserve(req, now_ms=T0)
        holds.settle(req.request_id, 100, 10, {**meter.record(req.request_id, 100), "created_at": created_at}, now_ms=T0)
        assert settlement.flush_all(app) == 1
    db.session.expire_all()
    assert db.session.get(ApiKey, meter.key_id).last_used_at == dt.datetime(2027, 1, 15, 9)
