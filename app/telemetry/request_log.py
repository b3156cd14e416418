"""One JSON line per finished request, on stderr, when REQUEST_LOG=json.

The line is built from the request's usage record and key context only: ids, the key's
visible prefix, model, provider, status, timings, tokens and credits. Nothing the caller
sent in its body (a prompt, tool arguments) and no secret (the API key, a provider key)
is ever part of it; tests/reliability/test_request_log.py checks that against a real
gateway. Off by default: the usage log in PostgreSQL already keeps the same facts.
"""
import logging
import sys
import time

import orjson
from flask import Flask

from .instruments import provider_name

log = logging.getLogger("tollgate.requests")
enabled = False


def configure(app: Flask) -> None:
    global enabled
    enabled = app.config.get("REQUEST_LOG") == "json"
    if enabled and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)  # unbuffered: a line is never held back or lost
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # one line, not a second copy through the root logger


def write(call, rec: dict) -> None:
    if not enabled:
        return
    key = call.key
    log.info(orjson.dumps({
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "request_id": rec["request_id"],
        "org_id": rec["org_id"],
        "user_id": rec["user_id"],
        "key_prefix": key.prefix if key is not None else None,
        "route": call.op,
        "model": call.model.public_id if call.model is not None else None,
        "provider": provider_name(call, rec["provider_id"]),
        "stream": rec["stream"],
        "status": rec["http_status"],
        "error": rec["error_type"],
        "latency_ms": rec["latency_ms"],
        "ttft_ms": rec["ttft_ms"],
        "prompt_tokens": rec["prompt_tokens"],
        "completion_tokens": rec["completion_tokens"],
        "credits": rec["total_cost"],
    }).decode())
