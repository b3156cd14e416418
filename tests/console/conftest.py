"""Console fixtures: a real local SMTP server, an org with one member per role, a client per role."""
import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.accounts import add_member
from app.models import OrgRole, utcnow
from tests.factories import make_org, make_user

PASSWORD = "console-password-1"


@pytest.fixture(autouse=True)
def _fresh_login(fresh_login_per_request):
    """Each client's requests see their own user (tests/conftest.py)."""


@pytest.fixture
def csrf_on(app):
    """CSRF checked as in production (the testing config turns it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


class Inbox:
    """Collects every message the SMTP server receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def link(self, address: str, path_part: str) -> str:
        """The path of the last link to ``path_part`` mailed to ``address``."""
        bodies = [m.get_body(("plain",)).get_content() for m in self.to(address)]
        found = [u for body in bodies for u in re.findall(r"https?://\S+", body) if path_part in u]
        assert found, f"no {path_part} link mailed to {address}: {bodies}"
        return re.sub(r"^https?://[^/]+", "", found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app):
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_USER=None)
    yield box
    app.config.update(saved)
    controller.stop()


def login(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    form = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)  # when CSRF is on
    response = client.post("/login/", data={"username": username, "password": password,
                                            "csrf_token": token.group(1) if token else ""})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def verified_user(username: str):
    user = make_user(username=username, password=PASSWORD)
    # example.com: email validation refuses the special-use .test domain the factories use.
    user.email, user.email_verified_at = f"{username}@example.com", utcnow()
    db.session.commit()
    return user


@pytest.fixture
def team(app, db):
    """An org with one verified user per role, and an outsider with an org of their own."""
    users = {role: verified_user(f"{role.value}-user") for role in OrgRole}
    org = make_org("Acme", owner=users[OrgRole.owner])

    for role in (OrgRole.admin, OrgRole.member, OrgRole.viewer):
        add_member(org, users[role], role)
    outsider = verified_user("outsider")
    other = make_org("Other Co", owner=outsider)
    db.session.commit()
    return {"org": org, "users": users, "outsider": outsider, "other": other}


@pytest.fixture
def role_client(app, team):
    """role_client(OrgRole.admin) is a client signed in as the team's admin."""
    return lambda role: login(app, team["users"][role].username)
