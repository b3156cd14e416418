"""Back-office sign-in: throttled per address and per account, safe cookies, security headers."""
import json
import os
import subprocess
import sys

from tests.admin.conftest import PASSWORD
from tests.factories import make_user
from tests.test_startup import ROOT

REFUSAL = "Too many sign-in attempts"


def _attempt(client, username, password, ip):
    return client.post("/login/", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_an_account_is_locked_after_five_wrong_passwords_from_any_address(app, db):
    make_user("victim", role_name="Admin", password=PASSWORD)
    make_user("bystander", role_name="Admin", password=PASSWORD)
    client = app.test_client()
    for i in range(5):
        wrong = _attempt(client, "victim", f"guess-{i}", f"10.0.0.{i}")
        assert wrong.status_code == 302 and "/login/" in wrong.headers["Location"]
    refused = _attempt(client, "Victim", PASSWORD, "10.0.1.1")
    assert refused.status_code == 429
    assert REFUSAL in refused.get_data(as_text=True)
    assert _attempt(app.test_client(), "bystander", PASSWORD, "10.0.1.2").status_code == 302


def test_an_address_is_throttled_after_twenty_attempts_with_the_same_message(app, db):
    client = app.test_client()
    for i in range(20):
        assert _attempt(client, f"nobody-{i}", "x", "10.0.2.1").status_code == 302
    refused = _attempt(client, "nobody-20", "x", "10.0.2.1")
    assert refused.status_code == 429
    assert REFUSAL in refused.get_data(as_text=True)
    assert _attempt(client, "nobody-21", "x", "10.0.2.2").status_code == 302  # other addresses go on


def test_successful_sign_ins_do_not_count_against_the_account(app, db):
    make_user("regular", role_name="Admin", password=PASSWORD)
    for i in range(7):
        ok = _attempt(app.test_client(), "regular", PASSWORD, f"10.0.3.{i}")
        assert ok.status_code == 302 and "/login/" not in ok.headers["Location"]


def test_every_back_office_response_carries_security_headers(admin_client):
    for url in ("/login/", "/admin/", "/admin/orgs/list/", "/admin/no-such-page", "/api/v1/me/account"):
        headers = admin_client.get(url).headers
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp, url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url


_PROBE = """
import json
from app import create_app
client = create_app().test_client()
response = client.get("/login/")
print(json.dumps({"cookies": response.headers.getlist("Set-Cookie"),
                  "csp": response.headers.get("Content-Security-Policy")}))
"""


def test_production_session_cookie_is_secure_httponly_and_samesite_lax(app):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOLLGATE_", "DATABASE_URL", "REDIS_URL"))}
    env.update(TOLLGATE_ENV="production", SECRET_KEY="probe-" * 8, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"] or "redis://127.0.0.1:6379/0")
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    session = [c for c in seen["cookies"] if c.startswith("session=")]
    assert session, seen
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in session[0].split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= set(attributes)
    assert attributes["samesite"].lower() == "samesite=lax"
    assert "frame-ancestors 'none'" in seen["csp"]


_OUTAGE_PROBE = """
from app import create_app
client = create_app().test_client()
response = client.post("/login/", data={"username": "someone", "password": "wrong"})
print(response.status_code, response.headers.get("Location"))
"""


def test_sign_in_still_answers_while_the_throttles_store_is_down(app):
    """A Redis outage must not lock staff out of the back office: the throttle steps aside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOLLGATE_", "DATABASE_URL", "REDIS_URL"))}
    env.update(TOLLGATE_ENV="testing", TEST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               TEST_REDIS_URL="redis://127.0.0.1:1/0")
    result = subprocess.run([sys.executable, "-c", _OUTAGE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    status, location = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "302" and "/login/" in location
