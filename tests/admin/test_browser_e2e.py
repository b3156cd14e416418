"""End to end in real headless Chromium: log in, bulk-assign groups, gift credits, open the usage chart."""
import os

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, TxType, UserAllowedGroup
from tests.admin.conftest import ARGS, CHROMIUM, PASSWORD, live_server  # noqa: F401 (shared with other browser tests)
from tests.factories import make_group, make_org, make_user

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.csp_violations = []
        page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text))
        yield page
        browser.close()


def test_admin_assigns_groups_gifts_credits_and_sees_the_usage_chart(admin_user, live_server, page):
    employees = [make_user("emp-one"), make_user("emp-two")]
    exclusive = make_group("frontier", exclusive=True)
    public = make_group("general")
    org = make_org("Browser Org")

    page.goto(f"{live_server}/login/")
    page.fill("#username", admin_user.username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")

    page.goto(f"{live_server}/admin/users/list/")
    for user in employees:
        page.check(f"input.action_check[value='{user.id}']")
    page.click("button.dropdown-toggle:has-text('Actions')")
    page.click("a:has-text('Assign model groups')")
    page.wait_for_selector("#assign-groups-form")
    assert page.is_checked(f"#group-{public.id}") and not page.is_checked(f"#group-{exclusive.id}")
    page.check(f"#group-{exclusive.id}")
    page.click("#assign-groups-save")
    page.wait_for_url(f"{live_server}/admin/users/list/")
    db.session.expire_all()
    assert {g.user_id for g in db.session.scalars(select(UserAllowedGroup))} == {u.id for u in employees}

    page.goto(f"{live_server}/admin/orgs/{org.id}/")
    page.click("#gift-credits")
    page.fill("#amount_usd", "25")
    page.fill("#comment", "welcome")
    page.click("button[value=review]")
    page.wait_for_selector("#credit-confirm")
    page.click("button[value=confirm]")
    page.wait_for_selector("#org-credits")
    assert page.inner_text("#org-credits") == "$25.00"
    entry = db.session.scalar(select(LedgerEntry))
    assert (entry.type, entry.amount, entry.actor_id) == (TxType.credit_gift, 25_000_000, admin_user.id)

    page.goto(f"{live_server}/admin/usage/?group_by=day")  # no usage yet: the chart says so
    assert page.inner_text("#usage-chart.chart-empty") == "No data for this period yet."
    assert page.evaluate("typeof Chart") == "function"
    assert page.csp_violations == []  # the security headers leave every page above working
