"""Forwarding an admitted image, speech or transcription call, and settling it.

The same for a request answered at once and for one run as a task: either way the hold
was placed at admission, and here the provider is called and the call is settled once,
charged for what came back or released in full when nothing did.
"""
import time
from dataclasses import dataclass

import orjson
from flask import current_app

from . import admission, media, upstream
from .admission import Call
from .errors import GatewayError, error_body
from .forward import error_body as upstream_error_body
from .settle import fail, settle
from .usage import Tokens


@dataclass
class Outcome:
    status: int
    body: bytes
    content_type: str


def run(call: Call) -> Outcome:
    cfg = current_app.config
    try:
        reply = upstream.call(call.routes, lambda route: media.request_body(call, route.upstream_name), call.op,
                              cfg["GATEWAY_MAX_ATTEMPTS"], cfg["GATEWAY_TOTAL_DEADLINE_S"],
                              may_try=lambda route: admission.fallback_allowed(call, route),
                              content_type=media.content_type(call))
    except GatewayError as err:
        return refused(call, err)
    provider_id = reply.route.provider.id
    try:
        raw = reply.body()
    except OSError:
        return refused(call, _unreadable("the answer was cut off"), provider_id)
    if reply.status >= 400:
        fail(call, reply.status, "upstream_rejected", provider_id, _ms(call))
        body = upstream_error_body(call, reply.route, reply.status, raw)
        return Outcome(reply.status, orjson.dumps(body), "application/json")
    try:
        out, kind, cost = media.answer(call, raw, (reply.response.headers.get(b"content-type") or b"").decode())
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return refused(call, _unreadable(type(exc).__name__), provider_id)
    settle(call, Tokens(), provider_id, _ms(call), None, cost)
    return Outcome(200, out, kind)


def refused(call: Call, err: GatewayError, provider_id: int | None = None) -> Outcome:
    """Release the hold (nothing charged) and answer the error in OpenAI's shape."""
    fail(call, err.status, err.code, provider_id, _ms(call))
    return Outcome(err.status, orjson.dumps(error_body(err, "openai")), "application/json")


def _unreadable(why: str) -> GatewayError:
    return GatewayError(502, "upstream_error", f"the provider's answer could not be read ({why})")


def _ms(call: Call) -> int:
    return int((time.monotonic() - call.started) * 1000)
