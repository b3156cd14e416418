"""A usage record PostgreSQL cannot store is parked with its reason and never blocks the others."""
import contextlib

import sqlalchemy as sa

from app.billing import holds, settlement
from app.extensions import db
from app.models import LedgerEntry, TxType, UnsettledUsage, UsageLog
from tests.factories import make_key, make_org, make_user

from .helpers import balance, chat, knobs


@contextlib.contextmanager
def queued_settlement(app):
    """Settle into the Redis queue as production does, so requests share one flusher batch."""
    app.config["GATEWAY_SYNC_SETTLE"] = False
    try:
        yield
    finally:
        app.config["GATEWAY_SYNC_SETTLE"] = True


def _raw_refusal(request_id: str, model: str) -> dict:
    # What a process without the gateway's sanitising (an older release) queued.
    return {"request_id": request_id, "created_at": "2026-11-22T05:00:00", "org_id": None, "user_id": None,
            "api_key_id": None, "project_id": None, "wallet_id": None, "model": model, "provider_id": None,
            "endpoint": "chat", "prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0, "input_cost": 0,
            "output_cost": 0, "cached_cost": 0, "total_cost": 0, "discount_savings": 0, "multiplier": "1",
            "latency_ms": 1, "ttft_ms": None, "status": "error", "http_status": 404, "error_type": "model_not_found",
            "stream": False, "usage_estimated": False}


def test_a_poisoned_record_among_twenty_good_ones_is_parked_and_the_twenty_are_charged(
        app, client, world, mock_upstream):
    broke_owner = make_user("broke")
    broke = make_org("Broke", owner=broke_owner)  # no credits at all
    _, broke_secret = make_key(broke_owner, broke)
    with queued_settlement(app), knobs(mock_upstream, prompt_tokens=10, completion_tokens=16):
        for i in range(20):
            resp = chat(client, world.headers)
            assert resp.status_code == 200
            resp.close()  # settles: the gateway settles once the answer is sent
            if i == 9:
                refused = chat(client, {"Authorization": f"Bearer {broke_secret}"}, model="gpt\x00test")
                assert refused.status_code == 404
                holds.log_only(_raw_refusal("req_poisoned", "gpt\x00test"))
    assert settlement.flush_all(app) == 22

    charges = db.session.scalars(sa.select(LedgerEntry.amount).where(LedgerEntry.type == TxType.usage)).all()
    assert charges == [-42] * 20
    assert balance(world.org.wallet.id) == 10_000_000 - 20 * 42
    rows = db.session.scalars(sa.select(UsageLog.org_id)).all()
    assert rows.count(world.org.id) == 20
    # The refusal sent through the gateway is on record, its model name made storable...
    refusal = db.session.scalar(sa.select(UsageLog).where(UsageLog.org_id == broke.id))
    assert (refusal.http_status, refusal.model) == (404, "gpt\ufffdtest")
    # ...and the raw one is parked with its reason, the NUL kept escaped.
    parked = db.session.scalar(sa.select(UnsettledUsage))
    assert (parked.request_id, parked.kind, parked.status) == ("req_poisoned", "parked", "open")
    assert "NUL" in parked.reason
    assert "gpt\\u0000test" in parked.envelope
    assert settlement.flush_all(app) == 0  # nothing left to retry
