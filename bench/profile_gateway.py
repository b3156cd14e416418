"""Profile the gateway's own Python work per request (no HTTP server in front).

    .venv/bin/python -m bench.profile_gateway [N] [--db tollgate_profile] [--redis-db 10] [--port 9197]

Starts the mock upstream on --port in a subprocess, seeds the scratch PostgreSQL database --db
(dropped and recreated) with the demo data, empties Redis database --redis-db (never one of the
tests' 12-15), then sends N (2,000) non-streaming chat completions through the gateway app's WSGI
interface under cProfile and prints where the time went. PROFILE_SORT, PROFILE_CALLERS and
PROFILE_FLUSHER=0 in the environment change the sort, print a function's callers, and leave
the background settlement off.
"""
import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from collections import Counter

import sqlalchemy as sa

TEST_REDIS_DBS = range(12, 16)  # the test suite's; this script empties the one it uses


def main(n: int, db_name: str, redis_db: int, port: int) -> None:
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    os.environ.update(TOLLGATE_ENV="production", SECRET_KEY="profile-" * 8,
                      DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{db_name}", REDIS_URL=redis_url,
                      TOLLGATE_ADMIN_PASSWORD="x")
    import redis
    redis.Redis.from_url(redis_url).flushdb()
    mock = subprocess.Popen([sys.executable, "-m", "app.devtools.mock_upstream", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        from app import create_app
        from app.setup import create_first_admin, migrate_schema, sync_roles
        from app.seed import seed_demo
        web = create_app()
        with web.app_context():
            migrate_schema()
            sync_roles()
            create_first_admin("admin", "a@x.test", "x")
            key = seed_demo(f"http://127.0.0.1:{port}").api_key
            from app.models import Organization, Plan
            from app.extensions import db
            org = db.session.scalar(sa.select(Organization))
            org.plan = db.session.scalar(sa.select(Plan).where(Plan.code == "enterprise"))
            db.session.commit()
        from app.gateway.wsgi import create_gateway_app
        from app.serving import start_background_settlement
        gw = create_gateway_app()
        flusher = start_background_settlement(gw) if os.environ.get("PROFILE_FLUSHER", "1") == "1" else None
        client = gw.test_client()
        body = {"model": "gpt-5-4", "messages": [{"role": "user", "content": "Hello, how are you?"}],
                "max_tokens": 64}
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(50):
            with client.post("/v1/chat/completions", json=body, headers=headers) as answer:
                assert answer.status_code == 200
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        statuses = Counter()
        for _ in range(n):
            # Closing the response runs what a WSGI server runs after the last byte (settlement).
            with client.post("/v1/chat/completions", json=body, headers=headers) as answer:
                statuses[answer.status_code] += 1
                if answer.status_code != 200 and statuses[answer.status_code] == 1:
                    print(f"first {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        prof.disable()
        elapsed = time.perf_counter() - start
        print(f"{n} requests in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each (profiled); statuses {dict(statuses)}")
        stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(45)
        if os.environ.get("PROFILE_CALLERS"):
            stats.print_callers(os.environ["PROFILE_CALLERS"])
        if flusher:
            flusher.stop(True)
    finally:
        mock.terminate()


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Profile the gateway's Python work per request.")
    parser.add_argument("n", type=int, nargs="?", default=2000, help="profiled requests (after 50 warm-up ones)")
    parser.add_argument("--db", default="tollgate_profile", help="scratch PostgreSQL database, dropped and recreated")
    parser.add_argument("--redis-db", type=int, default=10, help="Redis database index, emptied first")
    parser.add_argument("--port", type=int, default=9197, help="port of the mock upstream")
    args = parser.parse_args()
    if args.redis_db in TEST_REDIS_DBS:
        parser.error(f"--redis-db {args.redis_db}: indexes 12-15 are the test suite's")
    return args


if __name__ == "__main__":
    args = _args()
    main(args.n, args.db, args.redis_db, args.port)
