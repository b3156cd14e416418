"""A new customer's first day, in real headless Chromium, with mail from a real SMTP server and a real gateway call.

The owner signs up, confirms the email, creates an org and invites a member; the member accepts;
the owner batch-issues keys; the member reads theirs once, calls the gateway with the official
openai SDK, and finds the call in Logs and on the Dashboard; the owner finds it in org Usage.
"""
import openai
from sqlalchemy import select

from app.extensions import db
from app.billing.units import usd_text
from app.models import Organization, ProviderKind, UsageLog
from tests.admin.test_browser_e2e import ARGS, CHROMIUM, live_server, pytestmark  # noqa: F401 (fixture, chromium skip)
from tests.console.conftest import PASSWORD
from tests.factories import fund, make_group, make_model, make_provider
from tests.gateway.conftest import _fresh_gateway_caches, mock_upstream  # noqa: F401 (shared fixtures)

OWNER, MEMBER = "founder@example.com", "teammate@example.com"


def _sign_up(page, base, email):
    page.goto(f"{base}/console/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def test_sign_up_invite_issue_a_key_call_the_gateway_and_see_the_call(live_server, inbox, csrf_on, mock_upstream):
    from playwright.sync_api import sync_playwright

    base = live_server
    # What platform staff set up beforehand: a model every customer may call.
    provider = make_provider(f"{mock_upstream.url}/v1", ProviderKind.openai, name="up-openai")
    make_model("gpt-test", [provider], [make_group("public")], upstream_name="gpt-upstream", max_output_tokens=1000)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        owner = browser.new_context().new_page()
        member = browser.new_context().new_page()  # its own cookies: another person at another desk
        for page in (owner, member):
            page.set_default_timeout(15_000)

        _sign_up(owner, base, OWNER)
        owner.goto(base + inbox.link(OWNER, "/console/verify/"))
        owner.wait_for_url(f"{base}/console/")
        assert not owner.is_visible("#verify-banner")

        owner.goto(f"{base}/console/orgs/new")
        owner.fill("#name", "Journey Labs")
        owner.click("#org-form button[type=submit]")
        owner.wait_for_url(f"{base}/console/orgs/*/")
        db.session.expire_all()
        org = db.session.scalar(select(Organization).where(Organization.name == "Journey Labs"))
        fund(org.wallet.id, "5")  # staff credit the new org's wallet (top-up is the billing pages' work)
        org_url = f"{base}/console/orgs/{org.id}"

        owner.goto(f"{org_url}/members")
        owner.fill("#email", MEMBER)
        owner.select_option("#role", "member")
        owner.click("#invite-form button[type=submit]")
        owner.wait_for_selector("#pending-invites")

        member.goto(base + inbox.link(MEMBER, "/console/invite/"))
        member.fill("#password", PASSWORD)
        member.fill("#confirm", PASSWORD)
        member.click("#invite-signup-form button[type=submit]")
        member.wait_for_url(f"{org_url}/")

        owner.goto(f"{org_url}/keys")
        owner.check(f"#issue-keys-form input[name=members] >> nth=-1")  # emails sort: teammate@ after founder@
        assert owner.is_checked("#delivery-reveal")
        owner.fill("#issue-keys-form #name", "laptop")
        owner.fill("#issue-keys-form #cap_1d_usd", "2")
        owner.click("#issue-keys-submit")
        owner.wait_for_selector("#keys")
        assert "teammate@example.com" in owner.inner_text("#keys")

        member.goto(f"{org_url}/tokens")
        member.click("#waiting-keys button.reveal")
        member.wait_for_selector("#secret")
        secret = member.input_value("#secret")
        assert secret.startswith("tg-") and secret in member.inner_text("#snippet-env-text")
        member.click("#secret-done")
        member.wait_for_selector("#keys")
        assert not member.is_visible("#waiting-keys") and secret not in member.content()

        client = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)
        reply = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "Hi"}],
                                               max_tokens=20)
        assert reply.choices[0].message.content and reply.usage.completion_tokens > 0

        db.session.expire_all()
        call = db.session.scalar(select(UsageLog))
        assert call.model == "gpt-test" and call.total_cost > 0 and call.org_id == org.id
        cost = usd_text(call.total_cost)

        member.goto(f"{org_url}/logs")
        calls = member.inner_text("#calls")
        assert "gpt-test" in calls and "laptop" in calls and "success" in calls and cost in calls
        member.goto(f"{org_url}/")
        assert "gpt-test" in member.inner_text("#recent-calls")
        assert member.inner_text("#month-totals p.lead >> nth=0") == "1"  # requests this month

        owner.goto(f"{org_url}/usage?by=member")
        row = owner.inner_text("#usage-rows").split(MEMBER)[1].split("\n")[0].split("\t")
        assert row[1] == "1" and row[-1] == cost  # one request, its exact cost
        assert owner.is_visible("#usage-daily-chart")
        browser.close()
