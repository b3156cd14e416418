"""The reconciler runs as a periodic job through RQ and books parked usage once."""
from sqlalchemy import select

from app.billing import holds, settlement
from app.jobs import get_queue
from app.jobs.periodic import PERIODIC
from app.jobs.reconcile import replay_unsettled
from app.models import UnsettledUsage, UsageLog


def test_the_reconciler_is_a_periodic_job():
    assert any(func is replay_unsettled for func, _, _ in PERIODIC)


def test_the_reconciler_job_replays_a_parked_record_once(app, db):
    holds.log_only({"request_id": "req_parked", "created_at": "2026-11-22T05:00:00", "model": "m\x00",
                    "endpoint": "chat", "status": "error", "http_status": 404, "multiplier": "1"})
    settlement.flush_all(app)
    assert db.session.scalar(select(UnsettledUsage.status)) == "open"
    get_queue("billing").enqueue(replay_unsettled)  # inline in tests (RQ_ASYNC is off)
    assert replay_unsettled() == 0
    db.session.expire_all()
    assert db.session.scalar(select(UnsettledUsage.status)) == "replayed"
    assert db.session.scalar(select(UsageLog.model)) == "m\ufffd"
