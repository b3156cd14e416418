"""Concurrent reserves never overdraw; rolling windows slide; the flusher thread drains on stop."""
import threading

from sqlalchemy import func, select

from app.billing import holds, settlement
from app.models import LedgerEntry, TxStatus, UsageLog, Wallet
from tests.billing.conftest import T0

HOUR = 3_600_000


def test_100_concurrent_reserves_against_a_wallet_affording_10(app, db, meter):
    amount = 1_000_000  # the wallet holds 10,000,000
    results: list[holds.HoldResult] = []
    requests = [meter.hold(amount) for _ in range(100)]
    start = threading.Barrier(100)

    def one(req):
        with app.app_context():
            start.wait()
            result = holds.reserve(req)
            if result.ok:
                holds.settle(req.request_id, amount, 10, meter.record(req.request_id, amount))
            else:
                holds.log_only(meter.record(req.request_id, status="error"))
            results.append(result)

    threads = [threading.Thread(target=one, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.ok for r in results) == 10
    assert {r.error for r in results if not r.ok} == {"insufficient_funds"}
    assert settlement.flush_all(app) == 100
    db.session.expire_all()
    balance = db.session.get(Wallet, meter.wallet_id).balance
    ledger = db.session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.wallet_id == meter.wallet_id, LedgerEntry.status == TxStatus.completed))
    assert balance == ledger == 0
    assert db.session.scalar(select(func.count()).select_from(UsageLog)) == 100


def test_spend_outside_the_5h_window_no_longer_counts(meter):
    first = meter.hold(600, cap_5h=1000)
    assert holds.reserve(first, now_ms=T0).ok
    holds.settle(first.request_id, 600, 10, meter.record(first.request_id, 600), now_ms=T0)
    refused = holds.reserve(meter.hold(600, cap_5h=1000), now_ms=T0 + 4 * HOUR)
    assert (refused.error, refused.used) == ("cap_5h", 600)
    assert refused.retry_after > 3600 - 1  # until the spend's bucket leaves the window
    # The oldest bucket is counted whole until it is entirely outside: conservative.
    assert holds.reserve(meter.hold(600, cap_5h=1000), now_ms=T0 + 5 * HOUR).error == "cap_5h"
    assert holds.reserve(meter.hold(600, cap_5h=1000), now_ms=T0 + 5 * HOUR + 10 * 60_000).ok
    # The 1-day window still remembers the first 600.
    assert holds.reserve(meter.hold(600, cap_1d=1000), now_ms=T0 + 5 * HOUR + 10 * 60_000).error == "cap_1d"


def test_flusher_thread_writes_in_the_background_and_drains_on_stop(app, db, meter):
    flusher = settlement.Flusher().start(app)
    try:
        for i in range(30):
            req = meter.hold(1_000)
            assert holds.reserve(req).ok
            holds.settle(req.request_id, 1_000, 10, meter.record(req.request_id, 1_000))
    finally:
        flusher.stop(drain=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageLog)) == 30
    assert db.session.get(Wallet, meter.wallet_id).balance == 10_000_000 - 30_000
    assert holds.balances(meter.wallet_id, meter.key_id, None) == (10_000_000 - 30_000, None)
