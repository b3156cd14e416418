"""Fixtures: one fresh PostgreSQL database per test session, one Redis index, clean state per test.

Nothing of Tollgate's own is mocked. Each test starts from empty tables (roles,
permissions and plans survive) and an empty Redis database, and ends by checking the
money invariant: every wallet's balance equals the sum of its completed ledger entries.
"""
import os

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from config import TestingConfig, database_url

KEEP_TABLES = {
    "alembic_version", "plans", "ab_role", "ab_permission", "ab_view_menu",
    "ab_permission_view", "ab_permission_view_role",
}


def _fresh_database(url: str) -> str:
    """Create this run's database; the pid in its name keeps simultaneous runs apart."""
    target = make_url(url)
    name = f"{target.database}_{os.getpid()}"
    target = target.set(database=name)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app():
    from app import create_app
    from app.seed import ensure_plans
    from app.setup import migrate_schema, sync_roles
    from app.extensions import db

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _fresh_database(database_url(TestingConfig.SQLALCHEMY_DATABASE_URI))
        REDIS_URL = _redis_url()
        RATELIMIT_STORAGE_URI = REDIS_URL

    application = create_app(Config)
    application.jinja_env.undefined = __import__("jinja2").StrictUndefined
    with application.app_context():
        migrate_schema()
        sync_roles()
        ensure_plans()
        db.session.commit()
    redis.Redis.from_url(Config.REDIS_URL).flushdb()
    yield application
    with application.app_context():
        db.engine.dispose()
    _drop_database(Config.SQLALCHEMY_DATABASE_URI)


def _redis_url() -> str:
    """TEST_REDIS_URL, or one of indexes 12-15 picked by pid so simultaneous runs rarely share one.

    Indexes below 12 are left to development and benchmark servers (the benchmark uses 11).
    """
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    return f"redis://127.0.0.1:6379/{12 + os.getpid() % 4}"


def _drop_database(url: str) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request):
    if not {"app", "db", "client"} & set(request.fixturenames):
        # Pure unit tests need no database.
        yield
        return
    app = request.getfixturevalue("app")
    ctx = app.app_context()
    ctx.push()
    yield
    from app.extensions import db

    db.session.remove()
    try:
        assert_ledger_balances(db)
    finally:
        _truncate(db)
        app.extensions["tollgate_redis"].client.flushdb()
        ctx.pop()


def assert_ledger_balances(db) -> None:
    rows = db.session.execute(sa.text("""
        SELECT w.id, w.balance, COALESCE(SUM(l.amount) FILTER (WHERE l.status = 'completed'), 0) AS ledger
        FROM wallets w LEFT JOIN ledger_entries l ON l.wallet_id = w.id
        GROUP BY w.id, w.balance
        HAVING w.balance <> COALESCE(SUM(l.amount) FILTER (WHERE l.status = 'completed'), 0)
    """)).all()
    db.session.rollback()
    assert not rows, f"wallet balance differs from its ledger: {rows}"


def _truncate(db) -> None:
    tables = [t for t in sa.inspect(db.engine).get_table_names() if t not in KEEP_TABLES]
    with db.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(app):
    from app.extensions import db as _db

    return _db


@pytest.fixture
def client(app):
    return app.test_client()
