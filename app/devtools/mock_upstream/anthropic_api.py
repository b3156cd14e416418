"""Anthropic-shaped endpoints: the Messages API (plain and SSE) and the models list."""
import uuid

from flask import Response

from .knobs import (attachment_tokens, clamp_limit, count_chars, dumps, estimate_tokens, pieces, stream_body, text_of,
                    token)
from .schemas import sample, structured_text

_ERRORS = {  # kind -> error.type as api.anthropic.com reports it
    "invalid": "invalid_request_error",
    "auth": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "rate_limit": "rate_limit_error",
    "server": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
}


def error_response(status: int, kind: str, message: str) -> Response:
    body = {"type": "error", "error": {"type": _ERRORS[kind], "message": message}}
    return Response(dumps(body), status, content_type="application/json")


def check_auth(environ, require_key):
    key = environ.get("HTTP_X_API_KEY", "").strip()
    if not key:
        # The anthropic SDK (2.x) sends its api_key as a bearer token, and the API takes both.
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if not key:
        return error_response(401, "auth", "x-api-key header is required")
    if require_key is not None and key != require_key:
        return error_response(401, "auth", "invalid x-api-key")
    return None


def _bad(message: str) -> Response:
    return error_response(400, "invalid", message)


def _event(name: bytes, data: bytes) -> bytes:
    return b"event: " + name + b"\ndata: " + data + b"\n\n"


TOOL_INPUT = {"location": "Paris"}
_PING = _event(b"ping", b'{"type":"ping"}')
_TEXT_BLOCK_START = _event(b"content_block_start",
                           b'{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')
_BLOCK_STOP = _event(b"content_block_stop", b'{"type":"content_block_stop","index":0}')
_MESSAGE_STOP = _event(b"message_stop", b'{"type":"message_stop"}')
# Fragments that are not JSON on their own, as the real API streams tool input.
def _json_deltas(parts) -> list[bytes]:
    return [_event(b"content_block_delta", b'{"type":"content_block_delta","index":0,"delta":'
                   b'{"type":"input_json_delta","partial_json":' + dumps(part) + b"}}") for part in parts]


_JSON_DELTAS = _json_deltas(('{"location', '": "', "Paris", '"}'))


def _text_delta(i: int) -> bytes:
    return _event(b"content_block_delta", b'{"type":"content_block_delta","index":0,"delta":'
                  b'{"type":"text_delta","text":' + dumps(token(i)) + b"}}")


_TEXT_DELTAS = [_text_delta(i) for i in range(1024)]


def _validate(body):
    model, messages, max_tokens = body.get("model"), body.get("messages"), body.get("max_tokens")
    if not isinstance(model, str) or not model:
        return "model: Field required"
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            # The real API rejects this; it catches a gateway that forgot to lift the system prompt.
            return ('messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                    'parameter, not "system" as an input message role.')
        if role not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
    if max_tokens is None:
        return "max_tokens: Field required"
    if type(max_tokens) is not int or max_tokens < 1:
        return f"max_tokens: Input should be a positive integer, got {max_tokens!r}"
    return None


def count_tokens(body, knobs) -> Response:
    problem = _validate(dict(body, max_tokens=1))  # count_tokens takes no max_tokens
    if problem:
        return _bad(problem)
    tools = dumps(body.get("tools")).decode() if body.get("tools") else ""
    prompt = knobs["prompt_tokens"]
    if prompt is None:
        prompt = (estimate_tokens(count_chars(body.get("system")) + count_chars(body["messages"]) + len(tools))
                  + attachment_tokens(body["messages"]))
    return Response(dumps({"input_tokens": prompt}), 200, content_type="application/json")


def _usage(knobs, body, output: int):
    if knobs["no_usage"]:
        return None
    prompt = knobs["prompt_tokens"]
    if prompt is None:
        prompt = (estimate_tokens(count_chars(body.get("system")) + count_chars(body["messages"]))
                  + attachment_tokens(body["messages"]))
    cached, written = knobs["cached_tokens"], knobs["cache_creation_tokens"]
    # Anthropic's input_tokens excludes cache reads and writes; the prompt total is the sum of the three fields.
    return {"input_tokens": max(prompt - cached - written, 0), "output_tokens": output,
            "cache_creation_input_tokens": written, "cache_read_input_tokens": cached}


def messages(body, knobs) -> Response:
    problem = _validate(body)
    if problem:
        return _bad(problem)
    model = body["model"]
    n, truncated = clamp_limit(knobs["completion_tokens"], body["max_tokens"], knobs["ignore_max_tokens"])
    tool, tool_input = _tool_use(body, knobs)
    # Structured outputs (output_config.format): the text is JSON matching the schema.
    structured = None if tool else structured_text((body.get("output_config") or {}).get("format"))
    if structured is not None:
        n, truncated = estimate_tokens(len(structured)), False
    stop = "tool_use" if tool else ("max_tokens" if truncated else "end_turn")
    usage = _usage(knobs, body, n)
    mid = "msg_mock" + uuid.uuid4().hex[:20]
    tool_id = "toolu_mock" + uuid.uuid4().hex[:16] if tool else None
    if body.get("stream"):
        return _stream(mid, model, n, stop, usage, tool, tool_id, knobs, tool_input, structured)
    if tool:
        block = {"type": "tool_use", "id": tool_id, "name": tool, "input": tool_input}
    else:
        block = {"type": "text", "text": structured or text_of(n)}
    out = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [block],
           "stop_reason": stop, "stop_sequence": None}
    if usage is not None:
        out["usage"] = usage
    return Response(dumps(out), 200, content_type="application/json")


def _tool_use(body, knobs) -> tuple[str | None, dict | None]:
    """The tool the answer calls and its input: the tool_call knob's tool, else a tool that
    tool_choice forces (``any``: the first), with input matching its schema (how structured
    output is asked of Claude)."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice") if isinstance(body.get("tool_choice"), dict) else {}
    named = {t.get("name"): t for t in tools if isinstance(t, dict)}
    forced = choice.get("name") if choice.get("type") == "tool" else None
    if tools and knobs["tool_call"] and forced is None:
        return knobs["tool_call"], TOOL_INPUT
    if forced is None and choice.get("type") == "any" and named:
        forced = next(iter(named))  # "any" must call a tool: the first
    if forced in named:
        return forced, sample(named[forced].get("input_schema") or {})
    return None, None


def _stream(mid, model, n, stop, usage, tool, tool_id, knobs, tool_input=None, structured=None):
    start = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
             "stop_reason": None, "stop_sequence": None}
    if usage is not None:
        # message_start reports output so far; message_delta carries the cumulative total.
        start["usage"] = dict(usage, output_tokens=min(n, 1))
    head = _event(b"message_start", dumps({"type": "message_start", "message": start}))
    if tool:
        block = {"type": "tool_use", "id": tool_id, "name": tool, "input": {}}
        head += _event(b"content_block_start", dumps({"type": "content_block_start", "index": 0,
                                                      "content_block": block}))
        chunks = _JSON_DELTAS if tool_input is TOOL_INPUT else _json_deltas(pieces(dumps(tool_input).decode()))
    else:
        head += _TEXT_BLOCK_START
        chunks = ([_TEXT_DELTAS[i] if i < 1024 else _text_delta(i) for i in range(n)] if structured is None else
                  [_event(b"content_block_delta", dumps({"type": "content_block_delta", "index": 0, "delta": {
                      "type": "text_delta", "text": part}})) for part in pieces(structured)])
    head += _PING
    delta = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
    if usage is not None:
        delta["usage"] = {"output_tokens": n}
    tail = _BLOCK_STOP + _event(b"message_delta", dumps(delta)) + _MESSAGE_STOP
    return Response(stream_body(head, chunks, tail, knobs), 200,
                    content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-cache"})


MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
_MODELS_BODY = dumps({
    "data": [{"type": "model", "id": m, "display_name": m.replace("-", " ").title(),
              "created_at": "2025-01-01T00:00:00Z"} for m in MODELS],
    "has_more": False, "first_id": MODELS[0], "last_id": MODELS[-1]})


def models(body, knobs) -> Response:
    return Response(_MODELS_BODY, 200, content_type="application/json")
