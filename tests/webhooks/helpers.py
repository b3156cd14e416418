"""Shared steps: an org owner with a key, and calls to /api/v1/me/webhooks with it."""
import hashlib
import hmac
import time

from flask import current_app

from tests.factories import make_key, make_org, make_user

TOLERANCE_S = 300


def org_owner(**org_fields):
    user = make_user()
    org = make_org(owner=user, **org_fields)
    _, secret = make_key(user, org)
    if current_app.config["RQ_ASYNC"]:
        from tests.webhooks.conftest import run_worker

        run_worker(current_app)  # the set-up's own events go out before any endpoint exists
    return org, {"Authorization": f"Bearer {secret}"}


def create_endpoint(client, auth, url, **fields):
    resp = client.post("/api/v1/me/webhooks", json={"url": url, **fields}, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def verify(secret: str, headers: dict, body: bytes, now: float | None = None) -> bool:
    """The receiver's check, as docs/webhooks.md shows it in Python."""
    timestamp = headers["Tollgate-Timestamp"]
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_S:
        return False
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["Tollgate-Signature"])
