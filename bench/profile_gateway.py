"""Profile the gateway's own Python work per request (no HTTP server in front).

    .venv/bin/python -m bench.profile_gateway [N]

Starts the mock upstream in a subprocess, seeds a scratch PostgreSQL database with the
demo data, then sends N non-streaming chat completions through the gateway app's WSGI
interface under cProfile and prints where the time went.
"""
import cProfile
import os
import pstats
import subprocess
import sys
import time

import sqlalchemy as sa

DB = "postgresql://postgres@127.0.0.1:5432/tollgate_profile"
REDIS = "redis://127.0.0.1:6379/10"


def main(n: int) -> None:
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS tollgate_profile WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE tollgate_profile"))
    os.environ.update(TOLLGATE_ENV="production", SECRET_KEY="profile-" * 8, DATABASE_URL=DB, REDIS_URL=REDIS,
                      TOLLGATE_ADMIN_PASSWORD="x")
    import redis
    redis.Redis.from_url(REDIS).flushdb()
    mock = subprocess.Popen([sys.executable, "-m", "app.devtools.mock_upstream", "--port", "9197"],
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
            key = seed_demo("http://127.0.0.1:9197").api_key
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
            assert client.post("/v1/chat/completions", json=body, headers=headers).status_code == 200
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        for _ in range(n):
            client.post("/v1/chat/completions", json=body, headers=headers)
        prof.disable()
        elapsed = time.perf_counter() - start
        print(f"{n} requests in {elapsed:.2f} s: {elapsed / n * 1000:.2f} ms each (profiled)")
        stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(45)
        if os.environ.get("PROFILE_CALLERS"):
            stats.print_callers(os.environ["PROFILE_CALLERS"])
        if flusher:
            flusher.stop(True)
    finally:
        mock.terminate()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
