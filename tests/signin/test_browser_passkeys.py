"""In real headless Chromium with its virtual authenticator: add two passkeys, sign in with one alone, remove one."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Passkey
from tests.admin.test_browser_e2e import live_server, page, pytestmark  # noqa: F401 (fixtures, chromium skip)
from tests.factories import make_user
from .conftest import PASSWORD

AUTHENTICATOR = {"options": {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                             "hasUserVerification": True, "isUserVerified": True}}


@pytest.fixture
def site(app, live_server):
    """The live server under http://localhost: WebAuthn needs a secure context, and loopback by name is one."""
    origin = live_server.replace("127.0.0.1", "localhost")
    saved = {k: app.config.get(k) for k in ("WEBAUTHN_RP_ID", "WEBAUTHN_ORIGIN")}
    app.config.update(WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGIN=origin)
    yield origin
    app.config.update(saved)


def _add_passkey(page, site, name):
    page.goto(f"{site}/console/profile")
    page.fill("#new-passkey-name", name)
    page.click("#add-passkey")
    page.wait_for_selector(f"#passkey-list input[value='{name}']")


def test_staff_register_two_passkeys_sign_in_with_one_alone_and_remove_the_other(site, page, csrf_on):
    staff = make_user("pat", role_name="Support", password=PASSWORD)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    laptop = cdp.send("WebAuthn.addVirtualAuthenticator", AUTHENTICATOR)["authenticatorId"]

    page.goto(f"{site}/login/")
    page.fill("#username", "pat")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    _add_passkey(page, site, "Laptop")
    # A second device: the first authenticator leaves, another one arrives.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": laptop})
    cdp.send("WebAuthn.addVirtualAuthenticator", AUTHENTICATOR)
    _add_passkey(page, site, "Phone")
    db.session.expire_all()
    assert sorted(p.name for p in db.session.scalars(select(Passkey).where(Passkey.user_id == staff.id))) == \
        ["Laptop", "Phone"]

    page.goto(f"{site}/logout/")
    page.goto(f"{site}/login/")
    page.click("#passkey-sign-in")
    try:
        page.wait_for_url(f"{site}/admin/", timeout=30_000)  # the back office, with no username or password typed
    except Exception:
        raise AssertionError(f"passkey sign-in stayed on {page.url}: {page.inner_text('#passkey-status')!r}") from None
    db.session.expire_all()
    phone = db.session.scalar(select(Passkey).where(Passkey.name == "Phone"))
    assert phone.last_used_at is not None and phone.sign_count >= 1
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_success")).all()[-1]
    assert row.details["method"] == "passkey" and row.actor_id == staff.id

    page.goto(f"{site}/console/profile")
    laptop_row = db.session.scalar(select(Passkey).where(Passkey.name == "Laptop"))
    page.click(f"#passkey-{laptop_row.id} button:has-text('Remove')")
    page.wait_for_selector(f"#passkey-{laptop_row.id}", state="detached")
    db.session.expire_all()
    assert [p.name for p in db.session.scalars(select(Passkey))] == ["Phone"]
    assert not page.csp_violations
