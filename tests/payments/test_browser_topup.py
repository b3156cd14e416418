"""In real headless Chromium: an org owner tops up from the console, pays on the stand-in's page, sees the balance."""
import time

import pytest

from tests.admin.test_browser_e2e import ARGS, CHROMIUM, pytestmark  # noqa: F401 (chromium skip)
from tests.console.conftest import PASSWORD, csrf_on, verified_user  # noqa: F401 - fixture
from tests.factories import make_org


@pytest.fixture
def browser_page(live_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_owner_tops_up_through_checkout_and_sees_the_balance_change(live_app, standin, browser_page, csrf_on):
    page = browser_page
    owner = verified_user("browser-payer")
    org = make_org(plan="pro", owner=owner)
    page.goto(f"{live_app.url}/login/")
    page.fill("#username", owner.username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_app.url}/console/**")
    wallet = f"{live_app.url}/console/orgs/{org.id}/wallet"
    page.goto(wallet)
    assert page.inner_text("#balance") == "$0.00"

    page.fill("#amount_usd", "20")
    page.locator("#quote", has_text="$21.00").wait_for()
    assert page.inner_text("#quote") == "You pay $20.00 and receive $21.00 of credits."  # Pro: +5%
    page.click("#topup button[type=submit]")
    page.wait_for_url(f"{standin.url}/pay/**")
    assert page.inner_text("#amount") == "$20.00 USD"
    page.click("#pay")
    page.wait_for_url(f"{wallet}?paid=1")

    deadline = time.monotonic() + 20  # the stand-in posts its webhooks just after the redirect, as Stripe does
    while page.inner_text("#balance") != "$21.00":
        assert time.monotonic() < deadline, page.inner_text("#balance")
        time.sleep(0.3)
        page.reload()
    assert "Receipt" in page.inner_text("#ledger")
