"""Shaping the request for the provider that serves it, and its answer for the caller.

A caller speaks "openai" (chat, embeddings) or "anthropic" (messages); a provider is
"openai-compatible" or "anthropic". Same-format calls pass through with the model name
swapped; cross-format calls go through app.gateway.translate both ways.
"""
import time

import orjson

from . import responses
from . import translate as tr
from .admission import Call
from .catalog import RouteInfo
from .usage import Tokens, from_anthropic, from_openai


def upstream_is_anthropic(route: RouteInfo) -> bool:
    return route.provider.kind == "anthropic"


def request_body(call: Call, route: RouteInfo) -> bytes:
    try:
        body = _request_body(call, route)
    except tr.TranslationError:
        raise  # already says what cannot be translated, and names the parameter
    except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
        # A shape validation did not foresee: the caller's request, not our failure.
        raise tr.TranslationError(f"the request cannot be translated for this model's provider "
                                  f"({type(exc).__name__}: {exc})") from None
    # Built just before it is sent: the gateway's own share of the wait ends here (metrics).
    call.forwarded_at = time.monotonic()
    return body


def _request_body(call: Call, route: RouteInfo) -> bytes:
    body = dict(call.body)
    upstream = route.upstream_name
    if call.op == "responses":
        if not upstream_is_anthropic(route):
            return orjson.dumps(responses.upstream_body(call, upstream))
        body = dict(call.turn.chat_request())  # translated for Anthropic below, as a chat request is
    if call.op == "embeddings":
        body["model"] = upstream
        return orjson.dumps(body)
    if call.api == "openai":
        if upstream_is_anthropic(route):
            out = tr.openai_request_to_anthropic(body, upstream, call.max_output, route.provider.structured_outputs)
            out["max_tokens"] = min(out.get("max_tokens") or call.max_output, call.max_output)
            return orjson.dumps(out)
        body["model"] = upstream
        _limit_openai(body, call)
        if call.stream:
            # Usage must come back for exact billing, whether or not the caller asked for it.
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        return orjson.dumps(body)
    if upstream_is_anthropic(route):
        body["model"] = upstream
        body["max_tokens"] = call.max_output
        return orjson.dumps(body)
    out = tr.anthropic_request_to_openai(body, upstream)
    _limit_openai(out, call)
    return orjson.dumps(out)


def structured(call: Call) -> bool:
    """Whether an OpenAI-format call asked for JSON: an Anthropic answer may then carry it as a tool call."""
    return tr.wants_structured((call.turn.chat or {}) if call.turn else call.body)


def _limit_openai(body: dict, call: Call) -> None:
    if "max_completion_tokens" in body and body["max_completion_tokens"] is not None:
        body["max_completion_tokens"] = call.max_output
    else:
        body["max_tokens"] = call.max_output


def response_body(call: Call, route: RouteInfo, payload: dict) -> tuple[dict, Tokens | None]:
    """The caller's response and the usage the upstream reported (None when it reported none)."""
    if call.op == "embeddings":
        payload["model"] = call.model_name
        return payload, from_openai(payload.get("usage"))
    if call.op == "responses":
        return responses.answer(call, upstream_is_anthropic(route), payload)
    if upstream_is_anthropic(route):
        tokens = from_anthropic(payload.get("usage"))
        if call.api == "openai":
            return tr.anthropic_response_to_openai(payload, call.model_name, structured(call)), tokens
        payload["model"] = call.model_name
        return payload, tokens
    tokens = from_openai(payload.get("usage"))
    if call.api == "anthropic":
        return tr.openai_response_to_anthropic(payload, call.model_name), tokens
    payload["model"] = call.model_name
    return payload, tokens


def error_body(call: Call, route: RouteInfo, status: int, raw: bytes) -> dict:
    """An upstream 4xx, re-expressed in the caller's format."""
    try:
        payload = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        payload = raw.decode(errors="replace")
    if upstream_is_anthropic(route) and call.api == "openai":
        return tr.anthropic_error_to_openai(status, payload)
    if not upstream_is_anthropic(route) and call.api == "anthropic":
        return tr.openai_error_to_anthropic(status, payload)
    if isinstance(payload, dict):
        return payload
    message = payload if isinstance(payload, str) else f"upstream answered {status}"
    if call.api == "anthropic":
        return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    return {"error": {"type": "invalid_request_error", "message": message, "code": "upstream_rejected"}}


def output_text(payload: dict) -> str:
    """Generated text in either format, for counting tokens when the upstream reported none."""
    parts = []
    for choice in payload.get("choices") or []:
        msg = choice.get("message") or {}
        parts.append(msg.get("content") or "")
        for call in msg.get("tool_calls") or []:
            parts.append((call.get("function") or {}).get("arguments") or "")
    for item in payload.get("output") or []:  # a Responses API object
        parts.append(item.get("arguments") or "")
        parts.extend(c.get("text") or "" for c in item.get("content") or [])
    for block in payload.get("content") or []:
        if isinstance(block, dict):
            parts.append(block.get("text") or orjson.dumps(block.get("input") or "").decode())
    return "".join(parts)
