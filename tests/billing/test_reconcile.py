"""The reconciler books parked usage exactly once, or writes it off, and clears its phantom spend."""
import json

import pytest

from sqlalchemy import func, select

from app.billing import holds, mirror, parking, reconcile, settlement
from app.extensions import redis_conn
from app.models import LedgerEntry, TxType, UnsettledUsage, UsageLog, Wallet
from tests.billing.conftest import T0


def _park_one_with_a_deleted_provider(app, meter) -> str:
    good, bad = meter.hold(1_000), meter.hold(1_000)
    for req in (good, bad):
        holds.reserve(req, now_ms=T0)
    holds.settle(good.request_id, 500, 10, meter.record(good.request_id, 500), now_ms=T0)
    broken = {**meter.record(bad.request_id, 500), "provider_id": 999_999}  # no such provider
    holds.settle(bad.request_id, 500, 10, broken, now_ms=T0)
    settlement.flush_all(app)
    return bad.request_id


def _unflushed(meter) -> int:
    return int(redis_conn.client.hget(mirror.account_key(mirror.wallet_account(meter.wallet_id)), "unflushed") or 0)


def _usage_ledger(db) -> list[tuple[str, int]]:
    return db.session.execute(select(LedgerEntry.external_id, LedgerEntry.amount)
                              .where(LedgerEntry.type == TxType.usage).order_by(LedgerEntry.id)).all()


def test_replaying_a_parked_record_charges_it_once_and_clears_its_phantom_spend(app, db, meter):
    rid = _park_one_with_a_deleted_provider(app, meter)
    assert _unflushed(meter) == 500  # the parked cost, still counted by the meter
    first = reconcile.replay_all()
    assert (first.replayed, first.cost, first.failed) == (1, 500, [])
    second = reconcile.replay_all()
    assert (second.replayed, second.failed) == (0, [])
    assert len(_usage_ledger(db)) == 2 and (f"usage:{rid}", -500) in _usage_ledger(db)
    row = db.session.scalar(select(UsageLog).where(UsageLog.request_id == rid))
    assert (row.total_cost, row.provider_id) == (500, None)
    assert db.session.get(Wallet, meter.wallet_id).balance == 10_000_000 - 1_000
    assert _unflushed(meter) == 0
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 1_000, None)
    assert db.session.scalar(select(UnsettledUsage.status)) == "replayed"
    # A second clearing (say, a reclaimed batch parking it again) takes nothing out twice.
    mirror.scripts().unpark(args=[rid])
    assert _unflushed(meter) == 0


def test_writing_off_a_parked_record_charges_nothing_and_clears_its_phantom_spend(app, db, meter):
    rid = _park_one_with_a_deleted_provider(app, meter)
    assert reconcile.write_off(rid, "provider deleted, refunded by agreement") is True
    assert reconcile.write_off(rid, "again") is False
    assert reconcile.replay_all().replayed == 0
    assert _unflushed(meter) == 0
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 500, None)
    assert db.session.get(Wallet, meter.wallet_id).balance == 10_000_000 - 500
    assert db.session.scalar(select(UnsettledUsage.note)) == "provider deleted, refunded by agreement"


@pytest.mark.embedded
def test_a_record_with_a_nul_is_replayed_with_its_text_made_storable(app, db, meter):
    holds.log_only({**meter.record("req_nul", status="error"), "model": "gpt\x00test"})
    settlement.flush_all(app)
    assert db.session.scalar(select(func.count()).select_from(UsageLog)) == 0
    assert reconcile.replay_all().replayed == 1
    assert db.session.scalar(select(UsageLog.model).where(UsageLog.request_id == "req_nul")) == "gpt\ufffdtest"


def test_a_record_that_still_fails_stays_open_with_the_new_reason(app, db, meter):
    holds.log_only({**meter.record("req_bad_date", status="error"), "created_at": "not a date"})
    settlement.flush_all(app)
    result = reconcile.replay_all()
    assert result.replayed == 0 and result.failed[0][0] == "req_bad_date"
    row = db.session.scalar(select(UnsettledUsage))
    assert (row.status, row.attempts) == ("open", 1) and "not a date" in row.reason


def test_records_parked_in_redis_by_an_older_release_are_adopted_and_replayed_once(app, db, meter):
    req = meter.hold(1_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 700, 10, meter.record(req.request_id, 700), now_ms=T0)
    # An older flusher parked it in tg:usage:dead and finished the batch without its cost.
    envelope = json.loads(redis_conn.client.lpop(mirror.USAGE_QUEUE))
    redis_conn.client.rpush(mirror.USAGE_DEAD, json.dumps({"error": "DataError: boom", **envelope}))
    assert reconcile.summary()["redis_dead"] == 1
    assert reconcile.replay_all().adopted == 1
    assert reconcile.replay_all().adopted == 0
    assert _usage_ledger(db) == [(f"usage:{req.request_id}", -700)]
    assert _unflushed(meter) == 0
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 700, None)


def test_summary_counts_and_totals_what_is_not_booked(app, db, meter):
    _park_one_with_a_deleted_provider(app, meter)
    holds.log_only({**meter.record("req_sweep", 300), "error_type": reconcile.SWEEP_SETTLED})
    settlement.flush_all(app)
    totals = reconcile.summary()
    assert totals["parked"] == {"count": 1, "cost": 500}
    assert totals["unsettled"] == {"count": 0, "cost": 0}
    assert totals["sweep_settled"] == {"count": 1, "cost": 300}
    reconcile.replay_all()
    totals = reconcile.summary()
    assert totals["parked"]["count"] == 0 and totals["replayed"] == {"count": 1, "cost": 500}


def test_replaying_a_request_that_could_not_settle_releases_the_hold_redis_kept(app, db, meter):
    # Redis was away when the answer ended, then came back with the hold still in it.
    req = meter.hold(3_000)
    holds.reserve(req, now_ms=T0)
    parking.record_unsettled(meter.record(req.request_id, 700), 700, "Redis unreachable")
    assert holds.balances(meter.wallet_id, meter.key_id, None)[0] == 10_000_000 - 3_000

    assert reconcile.replay_all().replayed == 1
    settlement.flush_all(app)

    assert _usage_ledger(db) == [(f"usage:{req.request_id}", -700)]
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 700, None)
    assert redis_conn.client.zcard(mirror.HOLDS) == 0
    # The request's own settle, should it still arrive, changes nothing.
    assert not holds.settle(req.request_id, 700, 10, meter.record(req.request_id, 700), now_ms=T0).ok


def test_a_checkpointed_stream_kept_for_the_reconciler_is_charged_in_full_not_at_its_checkpoint(app, db, meter):
    # The stream beat at 300 credits, ended at 900, and Redis was away for its settlement; Redis
    # came back with the hold, and the sweep reaches it before the reconciler does.
    req = meter.hold(3_000)
    holds.reserve(req, now_ms=T0)
    assert holds.heartbeat(req.request_id, (300, 10, meter.record(req.request_id, 300)), now_ms=T0)
    parking.record_unsettled(meter.record(req.request_id, 900), 900, "Redis unreachable")

    holds.sweep_expired(now_ms=T0 + app.config["GATEWAY_HOLD_TTL_S"] * 1000 + 1)
    settlement.flush_all(app)  # the flusher runs every second, the reconciler every minute
    reconcile.replay_all()
    settlement.flush_all(app)

    assert _usage_ledger(db) == [(f"usage:{req.request_id}", -900)]
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 900, None)
