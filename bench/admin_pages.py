"""Seed a scratch PostgreSQL database with 10,000 orgs and 1,000,000 usage rows, then time
every back-office page (server time through the WSGI app, median of 5) and print a table.
With --console, also 10,000 customer users, 100,000 API keys (5,000 of them in org 1, the busiest
org), 20 projects and 2,000 notices (bench/console_seed.py), and the console's pages timed as
org 1's owner and a member.

    .venv/bin/python bench/admin_pages.py [--db tollgate_bench] [--usage 1000000] [--orgs 10000]
                                          [--console [--users 10000] [--keys 100000] [--org-keys 5000]]

The database named by --db is dropped and recreated. Not part of the test suite.
"""
import argparse
import datetime as dt
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench import console_seed  # noqa: E402
from config import TestingConfig  # noqa: E402

PASSWORD = "bench-password-1"
MODELS = ["gpt-5-4", "gpt-5-4-mini", "claude-sonnet-4-6", "claude-opus-4-6", "text-embedding-3-small"]


def recreate(name: str) -> str:
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def copy(conn, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def seed(db, n_orgs: int, n_usage: int) -> None:
    rng = random.Random(7)
    now = dt.datetime.utcnow().replace(microsecond=0)
    conn = db.session.connection()
    plan_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM plans ORDER BY id"))]
    copy(conn, "organizations", ["id", "name", "billing_email", "plan_id", "dev_plan", "status", "created_at"],
         ((i, f"Org {i:05d}", f"billing{i}@org{i}.example", rng.choice(plan_ids), rng.choice(["none", "lite", "pro", "max"]),
           "active" if i % 50 else "paused", now - dt.timedelta(days=rng.randint(0, 700))) for i in range(1, n_orgs + 1)))
    balances = {i: rng.randint(0, 500_000_000) for i in range(1, n_orgs + 1)}
    copy(conn, "wallets", ["org_id", "balance", "lifetime_added", "lifetime_topup", "lifetime_spent", "created_at"],
         ((i, b, b, b, 0, now) for i, b in balances.items()))
    wallet_of = dict(conn.execute(sa.text("SELECT org_id, id FROM wallets WHERE org_id IS NOT NULL")).all())
    # Every balance is backed by one top-up so the ledger agrees with the wallets.
    copy(conn, "ledger_entries", ["wallet_id", "type", "status", "amount", "balance_after", "created_at", "completed_at"],
         ((wallet_of[i], "credit_topup", "completed", b, b, now - dt.timedelta(days=rng.randint(0, 89)), now)
          for i, b in balances.items() if b))
    conn.execute(sa.text(f"SELECT setval('organizations_id_seq', {n_orgs})"))
    users = db.session.execute(sa.text("SELECT id FROM ab_user")).scalars().all()
    # Usage is skewed: a few hundred orgs make most requests, as on a real platform.
    active = list(range(1, min(n_orgs, 400) + 1))
    start = now - dt.timedelta(days=30)
    span = int((now - start).total_seconds())
    copy(conn, "usage_logs", ["request_id", "created_at", "org_id", "user_id", "model", "endpoint", "prompt_tokens",
                              "completion_tokens", "cached_tokens", "input_cost", "output_cost", "cached_cost",
                              "total_cost", "discount_savings", "multiplier", "status", "http_status", "stream",
                              "usage_estimated"],
         ((f"bench-{n}", start + dt.timedelta(seconds=rng.randrange(span)),
           active[min(int(rng.expovariate(1 / 40)), len(active) - 1)], rng.choice(users), rng.choice(MODELS), "chat",
           p := rng.randint(10, 4000), c := rng.randint(1, 1000), 0, p * 3, c * 15, 0, p * 3 + c * 15, 0, 1,
           "success" if n % 40 else "error", 200 if n % 40 else 502, "f", "f") for n in range(n_usage)))
    db.session.commit()


def admin_urls(org_id: int) -> list[str]:
    return ["/admin/", "/admin/platform/", "/admin/usage/", "/admin/usage/?group_by=org&then_by=model",
            "/admin/usage/?group_by=model&then_by=day", "/admin/orgs/list/",
            "/admin/orgs/list/?_oc_OrgView=credits&_od_OrgView=desc", "/admin/orgs/list/?_flt_0_name=Org%2009",
            f"/admin/orgs/{org_id}/", f"/admin/orgs/{org_id}/?window=365d", f"/admin/orgs/{org_id}/gift",
            "/admin/users/list/", "/admin/groups/list/", "/admin/models/list/", "/admin/providers/list/",
            "/admin/discounts/list/", "/admin/transactions/list/", "/admin/transactions/list/?_flt_0_type=credit_topup",
            "/admin/settings/?q=Org%2000", "/admin/audit/list/"]


def time_urls(app, username: str, urls: list[str], label: str = "") -> list[tuple[str, float, int]]:
    """(label + url, median ms of 5 requests, last status) per url, signed in as ``username``."""
    client = app.test_client()
    assert client.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
    results = []
    for url in urls:
        samples, status = [], None
        for _ in range(5):
            t0 = time.perf_counter()
            response = client.get(url)
            response.get_data()  # a streamed CSV is generated here
            status = response.status_code
            samples.append((time.perf_counter() - t0) * 1000)
        results.append((label + url, statistics.median(samples), status))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="tollgate_bench")
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--console", action="store_true", help="seed customers and keys, time the console too")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--org-keys", type=int, default=5_000, help="how many of the keys are in org 1")
    args = parser.parse_args()

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = recreate(args.db)

    from flask import g, request_started

    from app import create_app
    from app.accounts import create_user
    from app.extensions import db
    from app.reporting import rollups
    from app.seed import ensure_plans
    from app.setup import migrate_schema, sync_roles

    app = create_app(BenchConfig)
    with app.app_context():
        migrate_schema()
        sync_roles()
        ensure_plans()
        create_user("bench-admin", "bench-admin@example.test", PASSWORD, role_name="Admin")
        for n in range(200):
            create_user(f"bench-user-{n}", f"bench-user-{n}@example.test", PASSWORD)
        if args.console:
            for username in (console_seed.OWNER, console_seed.MEMBER):
                create_user(username, f"{username}@bench.example", PASSWORD)
        db.session.commit()
        t0 = time.perf_counter()
        seed(db, args.orgs, args.usage)
        if args.console:
            console_seed.seed(db, copy, args.users, args.keys, args.orgs, args.org_keys)
        seeded = time.perf_counter() - t0
        t0 = time.perf_counter()
        now = dt.datetime.utcnow()
        rollups.rebuild_range(db.session, now - dt.timedelta(days=31), now + dt.timedelta(hours=1))
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        rolled = time.perf_counter() - t0
        counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                  for t in ("organizations", "ab_user", "api_keys", "usage_logs", "usage_hourly", "usage_daily", "usage_daily_org_model")}
        results = time_urls(app, "bench-admin", admin_urls(org_id=1))
        if args.console:
            # One app context is held for the whole run: Flask-Login would keep the admin in g.
            request_started.connect(lambda sender, **extra: g.pop("_login_user", None), app, weak=False)
            for username, urls in console_seed.pages():
                results += time_urls(app, username, urls, f"{username}: ")
    print(f"seeded in {seeded:.1f} s, rollups rebuilt in {rolled:.1f} s; rows: {counts}")
    print(f"{'page':<80} {'median ms':>10} {'status':>7}")
    for url, ms, status in results:
        print(f"{url:<80} {ms:>10.1f} {status:>7}")
    print(f"slowest: {max(ms for _, ms, _ in results):.1f} ms")


if __name__ == "__main__":
    main()
