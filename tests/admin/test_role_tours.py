"""A tour of the back office in real headless Chromium, one test per staff role.

Each tour signs in, checks the menu the role sees (and the entries it must not), opens the role's
main screens, does one thing that role is there for, and reads every page as a person would: no raw
None/True/False, microsecond timestamps or Python reprs in the visible text. A full-page screenshot
of each screen lands in $TOLLGATE_TEST_ARTIFACTS/tours/<role>/ (or pytest's tmp dir, see docs/admin.md).
"""
import itertools
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gifts import request_gift
from app.models import AuditLog, GiftRequest, GiftStatus, Organization, UsageLog, utcnow
from tests.admin.conftest import ARGS, CHROMIUM, PASSWORD
from tests.factories import fund, make_key, make_org, make_user

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")

# What a reader must never meet: Python's literals, microsecond times, model reprs, dicts.
RAW = re.compile(r"\b(None|True|False)\b|\d\d:\d\d:\d\d\.\d{3,}|\bTollgateUser \d+|\{'\w+': ")
# Top-level menu entries per role (beyond Admin, who sees them all).
MENUS = {
    "Support": {"Overview", "Usage", "Request logs", "Organizations", "Users", "Model groups", "Available models",
                "Gift requests"},
    "Finance": {"Overview", "Platform metrics", "Usage", "Organizations", "Transactions", "Gift requests",
                "Discounts", "Bonus ladder", "Plans", "Stripe events", "Unsettled usage"},
    "Auditor": {"Overview", "Platform metrics", "Usage", "Request logs", "Organizations", "Users", "Model groups",
                "Available models", "Providers", "Transactions", "Gift requests", "Discounts", "Bonus ladder",
                "Plans", "Stripe events", "Unsettled usage", "Settings", "Audit log"},
}
MENUS["Admin"] = MENUS["Auditor"]
_request_ids = itertools.count(1)



@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module; each tour gets its own context (cookies) below."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    root = os.environ.get("TOLLGATE_TEST_ARTIFACTS")
    return Path(root) / "tours" if root else tmp_path_factory.mktemp("tours")


class Tour:
    """One signed-in staff member walking the back office; every visit is read and photographed."""

    def __init__(self, browser, base: str, role: str, shots: Path):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.role, self.shots = base, role, shots
        shots.mkdir(parents=True, exist_ok=True)
        user = make_user(username=f"tour-{role.lower()}", role_name=role, password=PASSWORD)
        self.user_id = user.id
        self.page.goto(f"{base}/login/")
        self.page.fill("#username", user.username)
        self.page.fill("#password", PASSWORD)
        self.page.click("input[type=submit], button[type=submit]")
        self.page.wait_for_url(f"{base}/admin/")

    def menu(self) -> set[str]:
        """The entries of the navbar's dropdowns, as the role sees them."""
        items = self.page.locator(".navbar .dropdown-menu a").all_inner_texts()
        return {item.strip() for item in items if item.strip()}

    def visit(self, path: str, shot: str) -> str:
        response = self.page.goto(f"{self.base}{path}")
        assert response.status == 200, f"{self.role} on {path}: {response.status}"
        return self.read(shot)

    def read(self, shot: str) -> str:
        """The visible text, checked for raw values; a full-page screenshot on the side."""
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(self.shots / f"{shot}.png"), full_page=True)
        text = self.page.inner_text("body")
        raw = RAW.search(text)
        assert raw is None, f"{self.role} sees {raw.group(0)!r} on {self.page.url}"
        return text

    def denied(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response.status == 403, f"{self.role} opened {path}"
        assert self.page.locator("a[href]").count() > 0  # the friendly page offers a way back

    def close(self):
        self.context.close()


@pytest.fixture
def tour(browser, live_server, artifacts, db):
    tours = []

    def start(role):
        tours.append(Tour(browser, live_server, role, artifacts / role.lower()))
        return tours[-1]

    yield start
    for t in tours:
        t.close()


@pytest.fixture
def customer(db):
    """An org with a member, a key, money, one successful and one failed call."""
    owner = make_user("tour-owner")
    org = make_org("Tour Org", owner=owner)
    fund(org.wallet.id, "40")
    key, _ = make_key(owner, org=org)
    for status in ("success", "error"):
        db.session.add(UsageLog(
            request_id=f"tour-{next(_request_ids)}", created_at=utcnow(), org_id=org.id, user_id=owner.id,
            api_key_id=key.id, wallet_id=org.wallet.id, model="gpt-tour", endpoint="chat", prompt_tokens=12,
            completion_tokens=7, total_cost=2_345, status=status, http_status=200 if status == "success" else 502,
            error_type=None if status == "success" else "upstream_error", latency_ms=321))
    db.session.commit()
    return org


def _walk_menu(t: Tour) -> None:
    seen = t.menu()
    assert seen >= MENUS[t.role], f"{t.role} misses {MENUS[t.role] - seen}"
    every = set().union(*MENUS.values())
    assert not (seen & every) - MENUS[t.role], f"{t.role} sees {(seen & every) - MENUS[t.role]}"


def _common_screens(t: Tour, org: Organization) -> None:
    overview = t.visit("/admin/", "overview")
    assert "Overview" in overview
    t.visit("/admin/usage/?group_by=org&then_by=model", "usage")
    orgs = t.visit("/admin/orgs/list/", "orgs-list")
    assert "Tour Org" in orgs
    detail = t.visit(f"/admin/orgs/{org.id}/", "org")
    assert "$40.00" in detail
    t.visit("/admin/gift-requests/list/", "gift-requests")


def test_admin_tour_creates_an_org_from_the_list(tour, customer):
    t = tour("Admin")
    _walk_menu(t)
    _common_screens(t, customer)
    for path, shot in [("/admin/platform/", "platform"), ("/admin/users/list/", "users"),
                       ("/admin/transactions/list/", "transactions"), ("/admin/requests/list/", "request-logs"),
                       ("/admin/audit/list/", "audit-log"), ("/admin/settings/", "settings")]:
        t.visit(path, shot)

    t.visit("/admin/orgs/list/", "orgs-list")
    t.page.click("#new-org")
    t.page.fill("#name", "Toured Inc")
    t.page.fill("#billing_email", "billing@toured.example")
    t.page.fill("#owner_email", "tour-owner@example.test")
    t.page.click("#org-new-form button.btn-primary")
    t.page.wait_for_load_state("load")
    assert "Toured Inc" in t.read("org-created")
    created = db.session.scalar(select(Organization).where(Organization.name == "Toured Inc"))
    assert created is not None and created.billing_email == "billing@toured.example"


def test_support_tour_files_a_gift_over_the_limit_as_a_pending_request(tour, customer):
    t = tour("Support")
    _walk_menu(t)
    _common_screens(t, customer)
    t.visit("/admin/users/list/", "users")
    t.visit("/admin/requests/list/", "request-logs")
    for path in ("/admin/transactions/list/", "/admin/audit/list/", "/admin/settings/", "/admin/platform/"):
        t.denied(path)

    t.visit(f"/admin/orgs/{customer.id}/", "org")
    t.page.click("#gift-credits")
    t.page.fill("#amount_usd", "5,000")
    t.page.fill("#comment", "outage credit")
    t.page.click("button[value=review]")
    t.page.wait_for_selector("#credit-confirm")
    assert "per-gift limit" in t.read("gift-review")
    t.page.click("button[value=confirm]")
    t.page.wait_for_load_state("load")
    assert "waits for an Admin or Finance approval" in t.read("gift-filed")
    gift = db.session.scalar(select(GiftRequest))
    assert (gift.amount, gift.status) == (5_000_000_000, GiftStatus.pending)
    db.session.expire_all()
    assert db.session.get(Organization, customer.id).wallet.balance == 40_000_000  # no money moved


def test_finance_tour_approves_a_pending_gift(tour, customer):
    support = make_user("tour-support-requester", role_name="Support")
    gift = request_gift(customer, 5_000_000_000, "outage credit", "above the per-gift limit", support, "tour-form")
    db.session.commit()
    t = tour("Finance")
    _walk_menu(t)
    _common_screens(t, customer)
    t.visit("/admin/platform/", "platform")
    t.visit("/admin/transactions/list/", "transactions")
    every = t.visit("/admin/transactions/list/?rows=all", "transactions-every-row")
    assert "Show money movements only" in every
    for path in ("/admin/users/list/", "/admin/audit/list/", "/admin/settings/", "/admin/requests/list/"):
        t.denied(path)

    t.visit(f"/admin/gift-requests/show/{gift.id}", "gift-request")
    t.page.click("#gift-decision button.btn-primary")
    t.page.wait_for_load_state("load")
    t.read("gift-approved")
    db.session.expire_all()
    assert db.session.get(GiftRequest, gift.id).status == GiftStatus.approved
    assert db.session.get(Organization, customer.id).wallet.balance == 5_040_000_000


def test_auditor_tour_reads_everything_exports_csv_and_changes_nothing(tour, customer):
    t = tour("Auditor")
    _walk_menu(t)
    _common_screens(t, customer)
    for path, shot in [("/admin/platform/", "platform"), ("/admin/users/list/", "users"),
                       ("/admin/transactions/list/", "transactions"),
                       ("/admin/transactions/list/?rows=all", "transactions-every-row"),
                       ("/admin/requests/list/", "request-logs"), ("/admin/audit/list/", "audit-log"),
                       ("/admin/settings/", "settings")]:
        t.visit(path, shot)
    assert t.page.locator("#new-org").count() == 0
    t.visit(f"/admin/orgs/{customer.id}/", "org")
    assert t.page.locator("#gift-credits").count() == 0
    for path in (f"/admin/orgs/{customer.id}/gift", "/admin/orgs/new", f"/admin/orgs/{customer.id}/delete"):
        t.denied(path)

    t.visit("/admin/audit/list/", "audit-log")
    with t.page.expect_download() as download:
        t.page.click("a.export-csv")
    csv = Path(download.value.path()).read_text()
    assert csv.splitlines()[0].count(",") >= 2
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == t.user_id)))
    assert "data.view" in actions  # what the auditor looked at is on record, and nothing else changed
    assert all(action.startswith(("data.", "auth.")) for action in actions), actions
