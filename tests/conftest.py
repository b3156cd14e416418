"""Fixtures: one fresh PostgreSQL database per test session, one Redis index, clean state per test.

Nothing of Tollgate's own is mocked. Each test starts from empty tables (roles,
permissions and plans survive) and an empty Redis database, and ends by checking the
money invariant: every wallet's balance equals the sum of its completed ledger entries.

``pytest --embedded`` runs the tests marked ``embedded`` on what ``python run.py`` uses
instead: a SQLite file and the in-process Redis stand-in (tests/test_embedded.py does so
inside every full run).
"""
import os
from collections import Counter
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import g, request_started
from sqlalchemy.engine import make_url

from config import TestingConfig, database_url

KEEP_TABLES = {
    "alembic_version", "plans", "bonus_tiers", "ab_role", "ab_permission", "ab_view_menu",
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


def pytest_addoption(parser):
    parser.addoption("--embedded", action="store_true",
                     help="run only the tests marked embedded, on SQLite and the in-process Redis stand-in")
    parser.addoption("--embedded-all", action="store_true",
                     help="with --embedded, run every test there, marked or not: a survey of where the embedded "
                          "default differs (tests that start processes or query PostgreSQL's catalogue fail there)")


def pytest_configure(config):
    config.addinivalue_line("markers", "embedded: also run on SQLite and the in-process Redis stand-in")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--embedded"):
        # xdist hands out files in this order (make test turns its own reordering off): the
        # embedded pass, one test running about 60 others in a subprocess for minutes, first so
        # it overlaps the suite instead of trailing it; then the files with most tests first.
        sizes = Counter(item.nodeid.split("::")[0] for item in items)
        items.sort(key=lambda item: (not item.nodeid.startswith("tests/test_embedded.py::"),
                                     -sizes[item.nodeid.split("::")[0]]))
        return
    if config.getoption("--embedded-all"):
        return
    kept = [item for item in items if item.get_closest_marker("embedded")]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def embedded(request) -> bool:
    return request.config.getoption("--embedded")


@pytest.fixture(scope="session")
def app(embedded, tmp_path_factory):
    from app import create_app
    from app.seed import ensure_plans
    from app.setup import migrate_schema, sync_roles
    from app.extensions import db

    if embedded:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'tollgate.db'}"
            REDIS_URL = None  # the in-process stand-in, as in DevelopmentConfig
            RATELIMIT_STORAGE_URI = "memory://"
    else:
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
    application.extensions["tollgate_redis"].client.flushdb()
    yield application
    with application.app_context():
        db.engine.dispose()
    if not embedded:
        _drop_database(Config.SQLALCHEMY_DATABASE_URI)


def _redis_url() -> str:
    """TEST_REDIS_URL, or one of indexes 12-15 picked by pid so simultaneous runs rarely share one.

    Under pytest-xdist each worker (gw0, gw1, ...) takes the index after the previous one's,
    since every test empties its Redis database. Indexes below 12 are left to development and
    benchmark servers (the benchmark uses 11).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    number = int(worker[2:]) if worker else None
    if os.environ.get("TEST_REDIS_URL"):
        url = urlsplit(os.environ["TEST_REDIS_URL"])
        if number is None:
            return url.geturl()
        return url._replace(path=f"/{int(url.path.strip('/') or 0) + number}").geturl()
    return f"redis://127.0.0.1:6379/{12 + (number if number is not None else os.getpid()) % 4}"


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
        if request.getfixturevalue("embedded"):
            _reset_limiters()
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
    if db.engine.dialect.name == "sqlite":
        from flask_appbuilder import Model

        with db.engine.connect() as conn:
            enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # wallets and organizations refer to each other
            for table in Model.metadata.sorted_tables:
                if table.name not in KEEP_TABLES:
                    conn.execute(table.delete())
            conn.commit()
            conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        return
    tables = [t for t in sa.inspect(db.engine).get_table_names() if t not in KEEP_TABLES]
    with db.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


def _reset_limiters() -> None:
    """Flushing Redis resets the limits stored there; the in-memory store needs its own reset."""
    from app.extensions import appbuilder, limiter

    limiter.reset()
    appbuilder.sm.limiter.reset()


@pytest.fixture
def db(app):
    from app.extensions import db as _db

    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fresh_login_per_request(app):
    """Each request loads its own signed-in user, as in production.

    The suite holds one app context open per test and Flask reuses it for the test client's
    requests, so Flask-Login's per-request cache (g._login_user) would carry the first
    request's user into the next client's requests.
    """
    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)
