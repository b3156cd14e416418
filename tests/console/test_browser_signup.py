"""In real headless Chromium: sign up, confirm the email from the mailed link, sign out, sign in."""
from sqlalchemy import select

from app.extensions import db
from app.models import TollgateUser
from tests.admin.test_browser_e2e import live_server, page, pytestmark  # noqa: F401 (fixtures, chromium skip)
from tests.console.conftest import PASSWORD


def test_a_new_user_signs_up_confirms_the_email_and_signs_in_again(live_server, page, inbox, csrf_on):
    page.goto(f"{live_server}/console/signup")
    page.fill("#email", "newcomer@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(f"{live_server}/console/")
    assert page.is_visible("#verify-banner")

    page.goto(live_server + inbox.link("newcomer@example.com", "/console/verify/"))
    page.wait_for_url(f"{live_server}/console/")
    assert not page.is_visible("#verify-banner")
    db.session.expire_all()
    user = db.session.scalar(select(TollgateUser).where(TollgateUser.email == "newcomer@example.com"))
    assert user.email_verified_at is not None

    page.click("text=Sign out")
    page.goto(f"{live_server}/login/")
    page.fill("#username", "newcomer@example.com")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/console/")
    assert page.is_visible("#month-totals")
    page.goto(f"{live_server}/admin/")
    assert page.is_visible("#to-console")
