"""Seed a scratch database as bench/admin_pages.py does (10,000 orgs, 1,000,000 usage rows), add
100,000 API keys and an owner of the busiest org, then time the console's key and usage pages
as that owner (server time through the WSGI app, median of 5) and print a table.

    .venv/bin/python bench/console_pages.py [--db tollgate_bench_console] [--keys 100000]

The database named by --db is dropped and recreated. Not part of the test suite.
"""
import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.admin_pages import PASSWORD, copy, recreate, seed, time_urls  # noqa: E402
from config import TestingConfig  # noqa: E402

ORG = 1  # the busiest org of the seeded usage
ORG_KEYS = 5_000


def seed_keys(db, owner_id: int, n_keys: int) -> None:
    """``n_keys`` keys over every org, ORG_KEYS of them in ORG; ORG's calls spread over its keys."""
    rng = random.Random(11)
    conn = db.session.connection()
    now = dt.datetime.utcnow().replace(microsecond=0)
    wallet_of = dict(conn.execute(sa.text("SELECT org_id, id FROM wallets WHERE org_id IS NOT NULL")).all())
    users = conn.execute(sa.text("SELECT id FROM ab_user")).scalars().all()
    orgs = list(wallet_of)
    conn.execute(sa.text("INSERT INTO projects (org_id, name, created_at) "
                         "SELECT :org, 'project-' || n, now() FROM generate_series(1, 20) n"), {"org": ORG})
    copy(conn, "org_memberships", ["org_id", "user_id", "role", "created_at"],
         ((ORG, u, "owner" if u == owner_id else "member", now) for u in users))

    def key(n):
        org = ORG if n < ORG_KEYS else rng.choice(orgs)
        user = owner_id if n % 10 == 0 and org == ORG else rng.choice(users)
        return (f"bench key {n}", f"tg-{n:08d}", f"{n:064x}", user, org, wallet_of[org],
                "active" if n % 7 else "revoked", rng.randint(0, 50_000_000), now - dt.timedelta(days=rng.randint(0, 90)),
                rng.choice([None, 5_000_000]), rng.choice([None, 60]))

    copy(conn, "api_keys", ["name", "prefix", "key_hash", "user_id", "org_id", "wallet_id", "status", "spent",
                            "created_at", "cap_1d", "rpm_limit"], (key(n) for n in range(n_keys)))
    conn.execute(sa.text("""
        UPDATE usage_logs u SET api_key_id = k.id, project_id = p.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM api_keys WHERE org_id = :org) k,
             (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM projects WHERE org_id = :org) p
        WHERE u.org_id = :org AND k.rn = u.id % :keys AND p.rn = u.id % 20"""), {"org": ORG, "keys": ORG_KEYS})
    db.session.commit()


def time_pages(app) -> list[tuple[str, float, int]]:
    client = app.test_client()
    assert client.post("/login/", data={"username": "bench-owner", "password": PASSWORD}).status_code == 302
    year_ago = (dt.date.today() - dt.timedelta(days=364)).isoformat()
    base = f"/console/orgs/{ORG}"
    urls = [f"{base}/", f"{base}/logs", f"{base}/tokens", f"{base}/tokens?status=active&q=key%201",
            f"{base}/keys", f"{base}/keys?status=revoked", f"{base}/keys?project=3", f"{base}/keys/export.csv",
            f"{base}/projects", f"{base}/usage", f"{base}/usage?by=model&from={year_ago}",
            f"{base}/usage?by=key&from={year_ago}", f"{base}/usage?by=day&from={year_ago}",
            f"{base}/usage?by=project", f"{base}/usage.csv?by=key&from={year_ago}"]
    return time_urls(client, urls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="tollgate_bench_console")
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = recreate(args.db)

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
        owner = create_user("bench-owner", "bench-owner@example.test", PASSWORD)
        for n in range(200):
            create_user(f"bench-user-{n}", f"bench-user-{n}@example.test", PASSWORD)
        db.session.commit()
        t0 = time.perf_counter()
        seed(db, args.orgs, args.usage)
        seed_keys(db, owner.id, args.keys)
        seeded = time.perf_counter() - t0
        now = dt.datetime.utcnow()
        rollups.rebuild_range(db.session, now - dt.timedelta(days=31), now + dt.timedelta(hours=1))
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                  for t in ("api_keys", "usage_logs", "usage_daily")}
        results = time_pages(app)
    print(f"seeded in {seeded:.1f} s; rows: {counts}")
    print(f"{'page':<64} {'median ms':>10} {'status':>7}")
    for url, ms, status in results:
        print(f"{url:<64} {ms:>10.1f} {status:>7}")
    print(f"slowest: {max(ms for _, ms, _ in results):.1f} ms")


if __name__ == "__main__":
    main()
