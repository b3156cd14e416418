"""Micro-benchmark of the meter: reserve + settle per second against real Redis and PostgreSQL.

    .venv/bin/python -m bench.meter_roundtrip [N]

Uses a throw-away database (tollgate_meterbench) and Redis db 9. Prints per-call latency
of reserve and settle (one Lua round trip each once snapshots are loaded), their combined
rate on one thread, and the flusher's write rate for the queued usage records.
"""
import statistics
import sys
import time

import redis
import sqlalchemy as sa

from config import TestingConfig

DB_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/tollgate_meterbench"
REDIS_URL = "redis://127.0.0.1:6379/9"


def _fresh_database() -> None:
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS tollgate_meterbench WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE tollgate_meterbench"))
    admin.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[int(q * (len(values) - 1))] * 1000


def main(n: int) -> None:
    _fresh_database()

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = DB_URL
        REDIS_URL = REDIS_URL
        RATELIMIT_STORAGE_URI = REDIS_URL

    from app import create_app
    from app.billing import holds, settlement
    from app.extensions import db
    from app.seed import ensure_plans
    from app.setup import migrate_schema, sync_roles
    from tests.billing.conftest import Meter
    from tests.factories import make_key, make_org, make_user

    app = create_app(Config)
    with app.app_context():
        migrate_schema()
        sync_roles()
        ensure_plans()
        db.session.commit()
        user = make_user("bench")
        org = make_org("Bench Org", balance_usd="1000000", owner=user)
        key, _ = make_key(user, org=org)
        meter = Meter(org_id=org.id, wallet_id=org.wallet.id, key_id=key.id, user_id=user.id)
        limits = dict(rpm_limit=10**9, tpm_limit=10**12, quota=10**15, cap_5h=10**15, cap_1d=10**15,
                      cap_7d=10**15, model_cap=10**15, messages_per_12h=10**9)
        holds.reserve(meter.hold(1, **limits))  # loads snapshots once
        reserve_s, settle_s = [], []
        started = time.perf_counter()
        for _ in range(n):
            req = meter.hold(5_000, **limits)
            t0 = time.perf_counter()
            assert holds.reserve(req).ok
            t1 = time.perf_counter()
            holds.settle(req.request_id, 1_234, 100, meter.record(req.request_id, 1_234))
            t2 = time.perf_counter()
            reserve_s.append(t1 - t0)
            settle_s.append(t2 - t1)
        elapsed = time.perf_counter() - started
        t0 = time.perf_counter()
        written = settlement.flush_all(app)
        flush_s = time.perf_counter() - t0
    print(f"meter round trip, {n} requests, one thread, every limit set:")
    print(f"  reserve p50 {_pct(reserve_s, .5):.3f} ms  p99 {_pct(reserve_s, .99):.3f} ms  "
          f"mean {statistics.mean(reserve_s) * 1000:.3f} ms")
    print(f"  settle  p50 {_pct(settle_s, .5):.3f} ms  p99 {_pct(settle_s, .99):.3f} ms  "
          f"mean {statistics.mean(settle_s) * 1000:.3f} ms")
    print(f"  reserve+settle: {n / elapsed:,.0f} per second")
    print(f"  flush: {written + 1} usage rows + ledger rows in {flush_s:.2f} s = {(written + 1) / flush_s:,.0f} per second")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
