"""`flask tollgate settle` drains the queue when stopped and says honestly what it could not write;
`flask tollgate usage ...` replays, writes off and reports what was not booked."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from app.billing import holds, settlement
from app.extensions import db
from app.models import LedgerEntry, TxType, UnsettledUsage, UsageLog
from tests.billing.conftest import T0

ROOT = Path(__file__).resolve().parents[2]


def _refusal(request_id: str, model: str = "m") -> dict:
    return {"request_id": request_id, "created_at": "2026-11-22T05:00:00", "org_id": None,
            "user_id": None, "api_key_id": None, "project_id": None, "wallet_id": None, "model": model,
            "provider_id": None, "endpoint": "chat", "prompt_tokens": 0, "completion_tokens": 0,
            "cached_tokens": 0, "input_cost": 0, "output_cost": 0, "cached_cost": 0, "total_cost": 0,
            "discount_savings": 0, "multiplier": "1", "latency_ms": 1, "ttft_ms": None,
            "status": "error", "http_status": 401, "error_type": "invalid_api_key", "stream": False,
            "usage_estimated": False}


def _run_settle_until_sigterm(app, **env_overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOLLGATE_ENV": "testing", "FLASK_APP": "app:create_app",
           "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TEST_REDIS_URL": app.config["REDIS_URL"],
           "GATEWAY_FLUSH_INTERVAL_S": "60", **env_overrides}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "tollgate", "settle"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "settling usage" in proc.stdout.readline()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_settle_command_drains_queued_usage_on_sigterm(app, db):
    holds.log_only(_refusal("req_queued_1"))
    done = _run_settle_until_sigterm(app)
    assert "usage queue drained" in done.stdout and done.returncode == 0
    assert db.session.scalar(db.select(UsageLog.http_status).where(UsageLog.request_id == "req_queued_1")) == 401


def test_settle_command_reports_the_record_it_had_to_park(app, db):
    holds.log_only(_refusal("req_good"))
    holds.log_only(_refusal("req_poisoned", model="m\x00"))
    done = _run_settle_until_sigterm(app)
    assert "usage queue drained" in done.stdout
    assert "1 usage record(s) could not be written and are parked" in done.stderr
    assert "flask tollgate usage replay" in done.stderr
    assert db.session.scalar(db.select(UsageLog.request_id)) == "req_good"


def test_settle_command_does_not_claim_a_drain_it_could_not_do(app, db):
    holds.log_only(_refusal("req_stuck"))
    done = _run_settle_until_sigterm(app, TEST_DATABASE_URL="postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    assert "usage queue drained" not in done.stdout
    assert "usage queue NOT drained: 1 record(s) are still in Redis" in done.stderr
    assert done.returncode != 0
    # Still there for the next flusher, once the dead one's claim is stale.
    assert settlement.flush_all(app, now_ms=holds.clock_ms() + settlement.STALE_MS + 1) == 1


def test_usage_replay_command_books_a_parked_record_once(app, db, meter):
    req = meter.hold(1_000)
    holds.reserve(req, now_ms=T0)
    holds.settle(req.request_id, 400, 10, {**meter.record(req.request_id, 400), "provider_id": 999_999}, now_ms=T0)
    settlement.flush_all(app)
    runner = app.test_cli_runner()
    status = runner.invoke(args=["tollgate", "usage", "status"])
    assert "parked: 1 record(s), 400 credits" in status.output
    first = runner.invoke(args=["tollgate", "usage", "replay"])
    second = runner.invoke(args=["tollgate", "usage", "replay"])
    assert first.exit_code == 0 and "replayed 1 record(s) (400 credits)" in first.output
    assert second.exit_code == 0 and "replayed 0 record(s)" in second.output
    amounts = db.session.scalars(select(LedgerEntry.amount).where(LedgerEntry.type == TxType.usage)).all()
    assert amounts == [-400]


def test_usage_write_off_command_needs_an_open_record_and_a_note(app, db):
    holds.log_only(_refusal("req_odd", model="m\x00"))
    settlement.flush_all(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tollgate", "usage", "write-off", "req_odd"]).exit_code != 0  # --note is required
    done = runner.invoke(args=["tollgate", "usage", "write-off", "req_odd", "--note", "junk request"])
    assert done.exit_code == 0
    again = runner.invoke(args=["tollgate", "usage", "write-off", "req_odd", "--note", "junk request"])
    assert again.exit_code != 0 and "no open parked or unsettled record" in again.output
    assert db.session.scalar(select(UnsettledUsage.status)) == "written_off"
