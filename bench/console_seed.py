"""The console's share of the page benchmark: 10,000 customer users, 100,000 API keys, org
memberships, and org 1 (the busiest org) as the signed-in owner's and member's org.

Used by bench/admin_pages.py after it has seeded orgs and usage; rows go in by COPY.
"""
import datetime as dt
import hashlib
import statistics
import time

import sqlalchemy as sa

OWNER, MEMBER = "console-owner", "console-member"


def seed(db, copy, n_users: int, n_keys: int, n_orgs: int) -> None:
    from app.models import Membership, Notification, Organization, OrgRole, TollgateUser

    session = db.session
    conn = session.connection()
    now = dt.datetime.utcnow().replace(microsecond=0)
    password = session.scalar(sa.select(TollgateUser.password).where(TollgateUser.username == OWNER))
    first = session.scalar(sa.text("SELECT max(id) FROM ab_user")) + 1
    ids = range(first, first + n_users)
    copy(conn, "ab_user", ["id", "first_name", "last_name", "username", "email", "password", "active", "tier",
                           "created_on", "changed_on"],
         ((i, f"user{i}", "-", f"customer{i}", f"customer{i}@bench.example", password, "t", "enterprise", now, now)
          for i in ids))
    conn.execute(sa.text(f"SELECT setval('ab_user_id_seq', {first + n_users})"))
    org_of = {i: (n % n_orgs) + 1 for n, i in enumerate(ids)}
    copy(conn, "org_memberships", ["org_id", "user_id", "role", "created_at"],
         ((org_of[i], i, "member", now) for i in ids))
    org1 = session.get(Organization, 1)
    for username, role in ((OWNER, OrgRole.owner), (MEMBER, OrgRole.member)):
        user = session.scalar(sa.select(TollgateUser).where(TollgateUser.username == username))
        session.add(Membership(org_id=org1.id, user_id=user.id, role=role))
    session.flush()
    wallet_of = dict(conn.execute(sa.text("SELECT org_id, id FROM wallets WHERE org_id IS NOT NULL")).all())
    users = list(ids)
    copy(conn, "api_keys", ["name", "prefix", "key_hash", "user_id", "org_id", "wallet_id", "status", "spent",
                            "created_at"],
         ((f"key {n}", f"tg-{n:08d}", hashlib.sha256(f"bench-key-{n}".encode()).hexdigest(), users[n % n_users],
           org_of[users[n % n_users]], wallet_of[org_of[users[n % n_users]]], "active", 0, now)
          for n in range(n_keys)))
    member_id = session.scalar(sa.select(TollgateUser.id).where(TollgateUser.username == MEMBER))
    # The member's own key in org 1, and org 1's calls spread over its keys: a third are the member's.
    conn.execute(sa.text("INSERT INTO api_keys (name, prefix, key_hash, user_id, org_id, wallet_id, status, spent, "
                         "created_at) VALUES ('member key', 'tg-member0', :h, :u, 1, :w, 'active', 0, :t)"),
                 {"h": hashlib.sha256(b"member").hexdigest(), "u": member_id, "w": wallet_of[1], "t": now})
    keys = conn.execute(sa.text("SELECT id, user_id FROM api_keys WHERE org_id = 1 ORDER BY id")).all()
    conn.execute(sa.text("""
        UPDATE usage_logs u SET api_key_id = k.id, user_id = k.user_id
        FROM (SELECT id, user_id, row_number() OVER (ORDER BY id) - 1 AS n FROM api_keys WHERE org_id = 1) k
        WHERE u.org_id = 1 AND k.n = (CASE WHEN u.id % 3 = 0 THEN :member_n ELSE u.id % :keys END)"""),
                 {"member_n": len(keys) - 1, "keys": len(keys) - 1})
    session.add_all(Notification(org_id=1, event="system.balance.notify.dispatched", title=f"Notice {n}",
                                 read_at=None if n % 10 else now) for n in range(2000))
    session.commit()


def time_pages(app, login) -> list[tuple[str, float, int]]:
    """Median of 5 server times per console page, as the owner of org 1 and as one of its members."""
    from flask import g, request_started

    from app.extensions import db
    from app.models import UsageLog

    # One app context is held for the whole run: Flask-Login would keep the first request's user in g.
    request_started.connect(lambda sender, **extra: g.pop("_login_user", None), app, weak=False)

    deep = db.session.scalar(sa.select(UsageLog.id).where(UsageLog.org_id == 1)
                             .order_by(UsageLog.created_at.asc(), UsageLog.id.asc()).offset(100))
    today = dt.date.today().isoformat()
    owner_urls = ["/console/", "/console/orgs/1/", "/console/orgs/1/logs",
                  "/console/orgs/1/logs?model=gpt-5-4&status=error", f"/console/orgs/1/logs?before={deep}",
                  f"/console/orgs/1/logs.csv?from={today}&to={today}&model=gpt-5-4-mini",
                  "/console/orgs/1/wallet", "/console/orgs/1/members", "/console/orgs/1/settings",
                  "/console/orgs/1/webhooks", "/console/orgs/1/models", "/console/notifications",
                  "/console/notifications?unread=1", "/console/tasks", "/console/profile"]
    member_urls = ["/console/orgs/1/", "/console/orgs/1/logs"]
    results = []
    for username, urls in ((OWNER, owner_urls), (MEMBER, member_urls)):
        client = login(username)
        for url in urls:
            samples, status = [], None
            for _ in range(5):
                t0 = time.perf_counter()
                response = client.get(url)
                response.get_data()  # a streamed CSV is generated here
                status = response.status_code
                samples.append((time.perf_counter() - t0) * 1000)
            results.append((f"{username}: {url}", statistics.median(samples), status))
    return results
