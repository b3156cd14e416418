"""POST /v1/messages/count_tokens: how many input tokens a Messages request would use. Free.

Anthropic-served models get the provider's own count; when the provider does not count
(it answers 404 or 405, or is OpenAI-compatible) or cannot be reached, Tollgate answers its
local estimate, one token per 4 characters of the text, tool definitions included, and says
so in ``X-Tollgate-Token-Count: estimate`` (``provider`` otherwise). Nothing is held,
charged or logged as usage; flask-limiter bounds it per key (ME_API_RATE_LIMIT).
"""
import orjson
from flask import Response, current_app

from . import admission, catalog, http11, pricing, upstream, validate
from .admission import Call
from .forward import upstream_is_anthropic

COUNT_HEADER = "X-Tollgate-Token-Count"
_NOT_COUNTED = (404, 405)


def count(call: Call) -> Response:
    admission.authenticate(call)
    body = admission.parse_body(call)
    model = admission.resolve_model(call, validate.require_model(body))
    validate.count_tokens(body)
    for route in catalog.ordered_routes(model):
        if upstream_is_anthropic(route):
            counted = _ask_provider(route, body)
            if counted is not None:
                return counted
            break
    return _answer({"input_tokens": estimate(body)}, "estimate")


def _ask_provider(route, body: dict) -> Response | None:
    url, headers = upstream.endpoint(route, "count_tokens")
    timeout = min(route.provider.timeout_s, current_app.config["GATEWAY_TOTAL_DEADLINE_S"])
    try:
        resp = http11.post(url, orjson.dumps(dict(body, model=route.upstream_name)), headers,
                           connect_timeout=http11.CONNECT_TIMEOUT_S, read_timeout=timeout, via=route.provider.egress)
        raw = resp.read()
    except OSError:
        return None  # unreachable or timed out: the estimate still answers
    if resp.status in _NOT_COUNTED or resp.status >= 500:
        return None
    if resp.status >= 400:
        return Response(raw, status=resp.status, mimetype="application/json")  # Anthropic's own error shape
    try:
        tokens = int(orjson.loads(raw)["input_tokens"])
    except (ValueError, KeyError, TypeError):
        return None
    return _answer({"input_tokens": tokens}, "provider")


def estimate(body: dict) -> int:
    text = _text(body.get("system")) + _text(body.get("messages"))
    tools = orjson.dumps(body["tools"]).decode() if body.get("tools") else ""
    return max(pricing.estimate_tokens(text + tools), 1)


def _text(node) -> str:
    """The text of system blocks and message contents (strings, text blocks, tool results)."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    if isinstance(node, dict):
        if node.get("type") == "tool_use":
            return orjson.dumps(node.get("input") or {}).decode()
        return _text(node.get("text")) + _text(node.get("content"))
    return ""


def _answer(body: dict, source: str) -> Response:
    return Response(orjson.dumps(body), mimetype="application/json", headers={COUNT_HEADER: source})
