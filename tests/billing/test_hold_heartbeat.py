"""Heartbeats keep a live stream's hold; the sweep settles a dead one at its last checkpoint."""
from sqlalchemy import select

from app.billing import holds, settlement
from app.models import LedgerEntry, TxType, UsageLog, Wallet
from tests.billing.conftest import T0


def _ttl_ms(app) -> int:
    return app.config["GATEWAY_HOLD_TTL_S"] * 1000


def _checkpoint(meter, request_id: str, cost: int) -> tuple[int, int, dict]:
    record = meter.record(request_id, cost)
    record.update(error_type="settled_by_sweep", usage_estimated=True, stream=True)
    return cost, 15, record


def _balance(db, meter) -> int:
    db.session.expire_all()
    return db.session.get(Wallet, meter.wallet_id).balance


def test_heartbeat_pushes_the_expiry_forward_so_the_sweep_leaves_the_hold(app, meter):
    req = meter.hold(9_000_000)
    assert holds.reserve(req, now_ms=T0).ok
    assert holds.heartbeat(req.request_id, now_ms=T0 + _ttl_ms(app) - 1)
    assert holds.sweep_expired(now_ms=T0 + _ttl_ms(app) + 1) == 0
    assert holds.reserve(meter.hold(2_000_000), now_ms=T0 + _ttl_ms(app) + 1).error == "insufficient_funds"


def test_a_swept_hold_with_a_checkpoint_is_charged_at_it_and_its_row_says_so(app, db, meter):
    req = meter.hold(50_000, quota=1_000_000)
    holds.reserve(req, now_ms=T0)
    assert holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 1_234), now_ms=T0 + 1_000)
    assert holds.sweep_expired(now_ms=T0 + 1_000 + _ttl_ms(app) + 1) == 1
    assert settlement.flush_all(app) == 1
    row = db.session.scalar(select(UsageLog).where(UsageLog.request_id == req.request_id))
    assert (row.total_cost, row.error_type, row.usage_estimated) == (1_234, "settled_by_sweep", True)
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == f"usage:{req.request_id}"))
    assert (entry.type, entry.amount) == (TxType.usage, -1_234)
    assert _balance(db, meter) == 10_000_000 - 1_234
    # The hold is gone: everything else is available again, and the key's quota counts the charge.
    assert holds.balances(meter.wallet_id, meter.key_id, 1_000_000) == (10_000_000 - 1_234, 1_000_000 - 1_234)


def test_the_latest_checkpoint_is_the_one_charged_and_never_above_the_hold(app, db, meter):
    req = meter.hold(5_000)
    holds.reserve(req, now_ms=T0)
    holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 1_000), now_ms=T0 + 100)
    holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 9_999), now_ms=T0 + 200)
    holds.sweep_expired(now_ms=T0 + 200 + _ttl_ms(app) + 1)
    settlement.flush_all(app)
    assert _balance(db, meter) == 10_000_000 - 5_000


def test_a_late_settle_after_the_sweep_charged_the_checkpoint_is_a_duplicate(app, db, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 700), now_ms=T0)
    holds.sweep_expired(now_ms=T0 + _ttl_ms(app) + 1)
    late = holds.settle(req.request_id, 20_000, 50, meter.record(req.request_id, 20_000), now_ms=T0 + _ttl_ms(app) + 2)
    assert (late.ok, late.error) == (False, "duplicate")
    settlement.flush_all(app)
    assert _balance(db, meter) == 10_000_000 - 700


def test_a_hold_released_by_the_sweep_cannot_be_charged_after_its_credits_were_held_again(app, db, meter):
    """The wallet covers one hold. A hold outlives its TTL unextended, is swept, the same
    credits are held by another request, then the first request settles late: the wallet
    must not go below zero."""
    first, second = meter.hold(10_000_000), meter.hold(10_000_000)
    assert holds.reserve(first, now_ms=T0).ok
    assert holds.sweep_expired(now_ms=T0 + _ttl_ms(app) + 1) == 1
    assert holds.reserve(second, now_ms=T0 + _ttl_ms(app) + 1).ok
    holds.settle(first.request_id, 4_000_000, 50, meter.record(first.request_id, 4_000_000),
                 now_ms=T0 + _ttl_ms(app) + 2)
    holds.settle(second.request_id, 10_000_000, 50, meter.record(second.request_id, 10_000_000),
                 now_ms=T0 + _ttl_ms(app) + 3)
    settlement.flush_all(app)
    assert _balance(db, meter) == 0


def test_heartbeat_reports_a_hold_that_is_gone(app, meter):
    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 700), now_ms=T0)
    holds.sweep_expired(now_ms=T0 + _ttl_ms(app) + 1)
    assert holds.heartbeat(req.request_id, now_ms=T0 + _ttl_ms(app) + 2) is False
    settled = meter.hold(50_000)
    holds.reserve(settled, now_ms=T0)
    holds.settle(settled.request_id, 10, 5, meter.record(settled.request_id, 10), now_ms=T0)
    assert holds.heartbeat(settled.request_id, now_ms=T0 + 1) is False


def test_a_hold_taken_by_the_sweep_refuses_heartbeats_until_it_is_settled(app, db, meter):
    """The sweeper marks it before settling it; a stream that wakes up in between must stop."""
    from app.billing import mirror

    req = meter.hold(50_000)
    holds.reserve(req, now_ms=T0)
    holds.heartbeat(req.request_id, _checkpoint(meter, req.request_id, 700), now_ms=T0)
    reply = mirror.scripts().sweep(args=[T0 + _ttl_ms(app) + 1, 10])  # ...and the sweeper dies here
    assert reply[1].decode() == req.request_id
    assert holds.heartbeat(req.request_id, now_ms=T0 + _ttl_ms(app) + 2) is False
    assert holds.sweep_expired(now_ms=T0 + _ttl_ms(app) + 3) == 1  # the next sweep finishes the job
    settlement.flush_all(app)
    assert _balance(db, meter) == 10_000_000 - 700
