"""Arms D and E: Tollgate itself, on a throw-away PostgreSQL database and Redis db.

Set up the way an operator would: `flask tollgate init`, then `flask tollgate demo`
pointed at the mock upstream, then the production gunicorn command. The demo org is
then moved to the unlimited plan and topped up so the benchmark measures the full path
(auth, limits, holds, settlement, usage log) rather than the demo plan's message cap.
"""
import os
import subprocess
import sys
from pathlib import Path

from ..servers import GATEWAY_CPU, GUNICORN_GATEWAY_FLAGS, LOAD_CPU, Server, StartError, free_port

DB_NAME = "tollgate_bench"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/11"
MODEL = "gpt-5-4"

_BOOST = """
from decimal import Decimal
from sqlalchemy import select
from app import create_app
from app.extensions import db
from app.models import Organization, Plan, TxType
from app.billing import money
from app.billing.units import usd_to_credits
app = create_app()
with app.app_context():
    org = db.session.scalar(select(Organization).where(Organization.name == "Demo Org"))
    plan = db.session.scalar(select(Plan).where(Plan.code == "enterprise"))
    org.plan_id = plan.id
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=usd_to_credits("1000000"),
                                         type=TxType.credit_gift, comment="benchmark credits"))
    db.session.commit()
print("demo org on the enterprise plan with benchmark credits")
"""


def tollgate_env(port: int) -> dict:
    return {
        "TOLLGATE_ENV": "production", "SECRET_KEY": "bench-" * 8, "FLASK_APP": "app:create_app",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}", "REDIS_URL": REDIS_URL,
        "TOLLGATE_ADMIN_PASSWORD": "x", "TOLLGATE_WORKERS": "1", "TOLLGATE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", PG_ADMIN_URL, "-c", sql], check=True,
                   capture_output=True, text=True, timeout=60)


def reset_stores() -> None:
    try:
        _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        _psql(f"CREATE DATABASE {DB_NAME}")
        subprocess.run(["redis-cli", "-n", "11", "FLUSHDB"], check=True, capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise StartError(f"could not reset {DB_NAME} / redis db 11: {detail}") from None


def drop_stores() -> None:
    try:
        _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        subprocess.run(["redis-cli", "-n", "11", "FLUSHDB"], capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError):
        pass


def _run(cmd: list[str], env: dict, repo: Path, log_dir: Path, step: str, timeout: float = 180) -> str:
    try:
        proc = subprocess.run(cmd, env={**os.environ, **env}, cwd=str(repo), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StartError(f"`{step}` timed out after {timeout:.0f}s") from None
    (log_dir / f"tollgate-{step.replace(' ', '-')}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise StartError(f"`{step}` failed ({proc.returncode}): {tail}")
    return proc.stdout


def start_tollgate(repo: Path, mock_url: str, log_dir: Path) -> tuple[Server, str, list[str]]:
    """Returns the server, the demo API key and notes on what the set-up had to work around."""
    notes: list[str] = []
    port = free_port()
    env = tollgate_env(port)
    flask = [sys.executable, "-m", "flask"]
    reset_stores()
    _run([*flask, "tollgate", "init"], env, repo, log_dir, "tollgate init")
    out = _run([*flask, "tollgate", "demo", "--base-url", f"http://127.0.0.1:{port}", "--upstream", mock_url],
               env, repo, log_dir, "tollgate demo")
    key = next((ln.split("=", 1)[1].strip() for ln in out.splitlines() if ln.startswith("export TOLLGATE_API_KEY=")),
               None)
    if not key:
        raise StartError(f"`flask tollgate demo` printed no TOLLGATE_API_KEY: {out.strip()[-200:]}")
    try:
        _run([sys.executable, "-c", _BOOST], env, repo, log_dir, "demo boost", timeout=120)
    except StartError as exc:
        notes.append(f"demo org left on its seeded plan and credits ({exc})")
    # As deployed for low latency: the gateway leaves usage writing to a settler process,
    # which runs with the load generators on the other core (its CPU is reported apart).
    settler = Settler("tollgate-settler", [*flask, "tollgate", "settle"], 0, LOAD_CPU, log_dir, env=env,
                      cwd=str(repo))
    settler.start(timeout=30)
    cmd = [sys.executable, "-m", "gunicorn", *GUNICORN_GATEWAY_FLAGS, "-b", f"127.0.0.1:{port}",
           "app.gateway.wsgi:application"]
    # gunicorn's master listens before its worker has loaded the app, so readiness is an
    # HTTP answer (401 without a key is fine), not an open port.
    server = Server("tollgate", cmd, port, GATEWAY_CPU, log_dir, env={**env, "GATEWAY_RUN_FLUSHER": "false"},
                    cwd=str(repo), health="/v1/models")
    server.settler = settler
    return server.start(timeout=60), key, notes


class Settler(Server):
    """A process without a port: ready once it has printed that it runs."""

    def _ready(self) -> bool:
        try:
            return b"settling usage" in self.log_path.read_bytes()
        except OSError:
            return False
