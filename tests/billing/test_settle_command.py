"""`flask tollgate settle` writes queued usage and drains the queue when it is stopped."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.billing import holds
from app.extensions import db
from app.models import UsageLog

ROOT = Path(__file__).resolve().parents[2]


def test_settle_command_drains_queued_usage_on_sigterm(app, db):
    holds.log_only({"request_id": "req_queued_1", "created_at": "2026-11-22T05:00:00", "org_id": None,
                    "user_id": None, "api_key_id": None, "project_id": None, "wallet_id": None, "model": "m",
                    "provider_id": None, "endpoint": "chat", "prompt_tokens": 0, "completion_tokens": 0,
                    "cached_tokens": 0, "input_cost": 0, "output_cost": 0, "cached_cost": 0, "total_cost": 0,
                    "discount_savings": 0, "multiplier": "1", "latency_ms": 1, "ttft_ms": None,
                    "status": "error", "http_status": 401, "error_type": "invalid_api_key", "stream": False,
                    "usage_estimated": False})
    env = {**os.environ, "TOLLGATE_ENV": "testing", "FLASK_APP": "app:create_app",
           "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TEST_REDIS_URL": app.config["REDIS_URL"],
           "GATEWAY_FLUSH_INTERVAL_S": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "tollgate", "settle"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "settling usage" in proc.stdout.readline()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "usage queue drained" in out
    assert db.session.scalar(db.select(UsageLog.http_status).where(UsageLog.request_id == "req_queued_1")) == 401
