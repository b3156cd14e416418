"""Stripe's wire formats: bracketed form fields in, signed webhooks out."""
import hashlib
import hmac
import json
import logging
import re
import threading
import time

import requests

log = logging.getLogger(__name__)

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs) -> dict:
    """``metadata[a]=1&line_items[0][quantity]=2&expand[0]=x`` -> nested dicts, numbered keys -> lists."""
    root: dict = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        path = [head] + _KEY_PART.findall(key[len(head):])
        node = root
        for part, following in zip(path, path[1:]):
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256(secret, "t.payload")>``."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def encode_event(event: dict) -> bytes:
    return json.dumps(event, indent=2).encode()


class Sender:
    """Posts events to the webhook endpoint, one thread per batch, in order, as Stripe does: after the fact."""

    def __init__(self, url: str | None, secret: str):
        self.url, self.secret = url, secret
        self.deliveries: list[dict] = []  # (event id, status) of every attempt, for tests
        self.threads: list[threading.Thread] = []

    def send_later(self, events: list[dict]) -> None:
        thread = threading.Thread(target=self.send_all, args=(events,), name="stripe-standin-webhooks", daemon=True)
        self.threads.append(thread)
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Until every webhook sent "later" was answered (tests end only after their webhooks)."""
        for thread in self.threads:
            thread.join(timeout)

    def send_all(self, events: list[dict]) -> list[int]:
        return [self.send(event) for event in events]

    def send(self, event: dict) -> int:
        if not self.url:
            log.warning("stripe stand-in: no webhook URL set, %s not sent", event["type"])
            return 0
        payload = encode_event(event)
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(payload, self.secret),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        try:
            status = requests.post(self.url, data=payload, headers=headers, timeout=20).status_code
        except requests.RequestException as exc:
            log.warning("stripe stand-in: webhook %s to %s failed: %s", event["id"], self.url, exc)
            status = 0
        self.deliveries.append({"event": event["id"], "type": event["type"], "status": status})
        return status
