"""The signature receivers check: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the endpoint's secret.

docs/webhooks.md shows the same computation in Python and JavaScript for receivers.
"""
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
ID_HEADER = "Tollgate-Event-Id"
TIMESTAMP_HEADER = "Tollgate-Timestamp"
SIGNATURE_HEADER = "Tollgate-Signature"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Tollgate-Webhooks/1",
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
