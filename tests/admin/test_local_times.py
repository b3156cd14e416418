"""Times on every screen: UTC <time> markup from the server, the reader's own zone in the browser.

The server's page is the same for everyone (UTC, labelled); static/js/local_time.js rewrites each
instant in the browser's zone and keeps UTC on hover. A date alone is a calendar day and stays put.
"""
import datetime as dt
import os

import pytest

from app.extensions import db
from app.models import AuditLog, UsageLog, utcnow
from tests.admin.conftest import ARGS, CHROMIUM, live_server  # noqa: F401 (the module's live server)
from tests.console.conftest import login, verified_user
from tests.factories import make_key, make_org

SCRIPT = '<script src="/static/js/local_time.js"></script>'


def _instant() -> dt.datetime:
    """An hour ago to the second: recent enough for every default window, late enough to cross a day in +8h."""
    return utcnow().replace(microsecond=0) - dt.timedelta(hours=1)


def _markup(moment: dt.datetime) -> str:
    text = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    return f'<time datetime="{moment:%Y-%m-%dT%H:%M:%S}Z" title="{text}">{text}</time>'


@pytest.fixture
def caller(db):
    """A customer with a personal key expiring on a chosen day and one call an hour ago."""
    user = verified_user("zone-reader")
    key, _ = make_key(user, name="zone-key")
    key.expires_at = dt.datetime(2031, 1, 31)
    moment = _instant()
    db.session.add(UsageLog(request_id="zone-call", created_at=moment, user_id=user.id, api_key_id=key.id,
                            wallet_id=key.wallet_id, model="zone-model", endpoint="chat", prompt_tokens=3,
                            completion_tokens=2, total_cost=1_000, latency_ms=90))
    db.session.commit()
    return user, moment


def test_back_office_lists_mark_each_time_up_in_utc_for_the_readers_zone(admin_client):
    moment = _instant()
    org = make_org("Zoned Co", created_at=moment)
    db.session.add(AuditLog(action="org.update", actor_name="someone", target_type="Organization",
                            target_id=str(org.id), details={}, created_at=moment - dt.timedelta(minutes=5)))
    db.session.commit()
    orgs = admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    assert _markup(moment) in orgs and SCRIPT in orgs
    audit = admin_client.get("/admin/audit/list/").get_data(as_text=True)
    assert _markup(moment - dt.timedelta(minutes=5)) in audit and SCRIPT in audit


def test_console_logs_mark_each_call_up_in_utc_and_key_expiry_days_stay_days(app, caller):
    user, moment = caller
    client = login(app, user.username)
    logs = client.get("/console/logs").get_data(as_text=True)
    assert _markup(moment) in logs and SCRIPT in logs and "Time (UTC)" not in logs
    tokens = client.get("/console/tokens").get_data(as_text=True)
    assert '<time datetime="2031-01-31">2031-01-31</time>' in tokens


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
def test_a_reader_in_shanghai_sees_the_call_eight_hours_later_with_utc_on_hover(app, live_server, caller):
    from playwright.sync_api import sync_playwright

    user, moment = caller
    session = login(app, user.username).get_cookie("session").value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(timezone_id="Asia/Shanghai", locale="en-US")
        context.add_cookies([{"name": "session", "value": session, "url": live_server}])
        page = context.new_page()
        blocked = []
        page.on("console", lambda msg: "Content Security Policy" in msg.text and blocked.append(msg.text))
        page.goto(f"{live_server}/console/logs")
        call = page.locator("#calls time").first
        shown, hover = call.inner_text(), call.get_attribute("title")
        browser.close()
    assert shown == f"{moment + dt.timedelta(hours=8):%Y-%m-%d %H:%M:%S} GMT+8"
    assert hover == f"{moment:%Y-%m-%d %H:%M:%S} UTC" and blocked == []
