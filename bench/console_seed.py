"""The console's share of the page benchmark: 10,000 customer users, 100,000 API keys (5,000 of
them in org 1), 20 projects and 2,000 notices in org 1, org memberships, and org 1 (the busiest
org) as the signed-in owner's and member's org, and the console pages to time as each.

Used by bench/admin_pages.py --console after it has seeded orgs and usage; rows go in by COPY.
"""
import datetime as dt
import hashlib
import random

import sqlalchemy as sa

OWNER, MEMBER = "console-owner", "console-member"
PROJECTS = 20  # in org 1; its calls are spread over them


def seed(db, copy, n_users: int, n_keys: int, n_orgs: int, org_keys: int) -> None:
    """``org_keys`` of the ``n_keys`` keys go to org 1 (every tenth the owner's), the rest to the
    customers' own orgs; org 1's calls are spread over its keys and projects, a third of them the member's."""
    from app.models import Membership, Notification, Organization, OrgRole, TollgateUser

    rng = random.Random(11)
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
    conn.execute(sa.text("INSERT INTO projects (org_id, name, created_at) "
                         "SELECT 1, 'project-' || n, now() FROM generate_series(1, :n) n"), {"n": PROJECTS})
    wallet_of = dict(conn.execute(sa.text("SELECT org_id, id FROM wallets WHERE org_id IS NOT NULL")).all())
    owner_id = session.scalar(sa.select(TollgateUser.id).where(TollgateUser.username == OWNER))
    users = list(ids)
    org1_customers = [i for i in users if org_of[i] == 1]

    def key(n):
        if n < org_keys:
            org, user = 1, owner_id if n % 10 == 0 else org1_customers[n % len(org1_customers)]
        else:
            user = users[n % n_users]
            org = org_of[user]
        return (f"key {n}", f"tg-{n:08d}", hashlib.sha256(f"bench-key-{n}".encode()).hexdigest(), user, org,
                wallet_of[org], "active" if n % 7 else "revoked", rng.randint(0, 50_000_000),
                now - dt.timedelta(days=rng.randint(0, 90)), rng.choice([None, 5_000_000]), rng.choice([None, 60]))

    copy(conn, "api_keys", ["name", "prefix", "key_hash", "user_id", "org_id", "wallet_id", "status", "spent",
                            "created_at", "cap_1d", "rpm_limit"], (key(n) for n in range(n_keys)))
    member_id = session.scalar(sa.select(TollgateUser.id).where(TollgateUser.username == MEMBER))
    # The member's own key in org 1, and org 1's calls spread over its keys: a third are the member's.
    conn.execute(sa.text("INSERT INTO api_keys (name, prefix, key_hash, user_id, org_id, wallet_id, status, spent, "
                         "created_at) VALUES ('member key', 'tg-member0', :h, :u, 1, :w, 'active', 0, :t)"),
                 {"h": hashlib.sha256(b"member").hexdigest(), "u": member_id, "w": wallet_of[1], "t": now})
    keys = conn.execute(sa.text("SELECT id, user_id FROM api_keys WHERE org_id = 1 ORDER BY id")).all()
    conn.execute(sa.text("""
        UPDATE usage_logs u SET api_key_id = k.id, user_id = k.user_id, project_id = p.id
        FROM (SELECT id, user_id, row_number() OVER (ORDER BY id) - 1 AS n FROM api_keys WHERE org_id = 1) k,
             (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM projects WHERE org_id = 1) p
        WHERE u.org_id = 1 AND k.n = (CASE WHEN u.id % 3 = 0 THEN :member_n ELSE u.id % :keys END)
          AND p.n = u.id % :projects"""),
                 {"member_n": len(keys) - 1, "keys": len(keys) - 1, "projects": PROJECTS})
    session.add_all(Notification(org_id=1, event="system.balance.notify.dispatched", title=f"Notice {n}",
                                 read_at=None if n % 10 else now) for n in range(2000))
    session.commit()


def pages() -> list[tuple[str, list[str]]]:
    """The console pages to time: (username, urls), as the owner of org 1 and as one of its members."""
    from app.extensions import db
    from app.models import UsageLog

    deep = db.session.scalar(sa.select(UsageLog.id).where(UsageLog.org_id == 1)
                             .order_by(UsageLog.created_at.asc(), UsageLog.id.asc()).offset(100))
    today = dt.date.today().isoformat()
    year_ago = (dt.date.today() - dt.timedelta(days=364)).isoformat()
    base = "/console/orgs/1"
    owner_urls = ["/console/", f"{base}/", f"{base}/logs", f"{base}/logs?model=gpt-5-4&status=error",
                  f"{base}/logs?before={deep}", f"{base}/logs.csv?from={today}&to={today}&model=gpt-5-4-mini",
                  f"{base}/tokens", f"{base}/tokens?status=active&q=key%201", f"{base}/keys",
                  f"{base}/keys?status=revoked", f"{base}/keys?project=3", f"{base}/keys/export.csv",
                  f"{base}/projects", f"{base}/usage", f"{base}/usage?by=model&from={year_ago}",
                  f"{base}/usage?by=key&from={year_ago}", f"{base}/usage?by=day&from={year_ago}",
                  f"{base}/usage?by=project", f"{base}/usage.csv?by=key&from={year_ago}",
                  f"{base}/wallet", f"{base}/members", f"{base}/settings", f"{base}/webhooks", f"{base}/models",
                  "/console/notifications", "/console/notifications?unread=1", "/console/tasks", "/console/profile"]
    return [(OWNER, owner_urls), (MEMBER, [f"{base}/", f"{base}/logs"])]
