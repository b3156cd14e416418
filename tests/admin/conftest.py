"""One logged-in client per platform role, through FAB's real /login/ form."""

import pytest

from tests.factories import make_user
from tests.gateway.netservers import LiveServer

PASSWORD = "role-password-123"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _login(app, username):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def _role_client(app, role):
    make_user(username=f"{role.lower()}-staff", role_name=role, password=PASSWORD)
    return _login(app, f"{role.lower()}-staff")


@pytest.fixture(autouse=True)
def _fresh_login(fresh_login_per_request):
    """Tests here use several role clients at once (tests/conftest.py)."""


@pytest.fixture
def admin_user(app, db):
    return make_user(username="admin-staff", role_name="Admin", password=PASSWORD)


@pytest.fixture
def admin_client(app, admin_user):
    return _login(app, "admin-staff")


@pytest.fixture
def support_client(app, db):
    return _role_client(app, "Support")


@pytest.fixture
def finance_client(app, db):
    return _role_client(app, "Finance")


@pytest.fixture
def auditor_client(app, db):
    return _role_client(app, "Auditor")


@pytest.fixture
def anonymous_client(app, db):
    return app.test_client()


@pytest.fixture(scope="module")
def live_server(app):
    """The app on a real socket for the headless-Chromium tests; one per module."""
    server = LiveServer(app)
    yield server.url
    server.stop()
