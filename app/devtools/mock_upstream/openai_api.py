"""OpenAI-shaped endpoints: chat completions (plain and SSE), embeddings, models."""
import base64
import functools
import hashlib
import struct
import time
import uuid

from flask import Response

from .knobs import (attachment_tokens, clamp_limit, count_chars, dumps, estimate_tokens, pieces, stream_body, text_of,
                    token)
from .schemas import structured_text

_ERRORS = {  # kind -> (error.type, error.code) as api.openai.com reports them
    "invalid": ("invalid_request_error", None),
    "auth": ("invalid_request_error", "invalid_api_key"),
    "permission": ("invalid_request_error", "insufficient_permissions"),
    "not_found": ("invalid_request_error", "unknown_url"),
    "rate_limit": ("requests", "rate_limit_exceeded"),
    "server": ("server_error", "server_error"),
    "overloaded": ("server_error", "service_unavailable"),
    "timeout": ("timeout", "timeout"),
}


def error_response(status: int, kind: str, message: str) -> Response:
    etype, code = _ERRORS[kind]
    body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
    return Response(dumps(body), status, content_type="application/json")


def check_auth(environ, require_key):
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return error_response(401, "auth", "You didn't provide an API key. Use 'Authorization: Bearer YOUR_KEY'.")
    if require_key is not None and key != require_key:
        return error_response(401, "auth", "Incorrect API key provided.")
    return None


def _json(obj) -> Response:
    return Response(dumps(obj), 200, content_type="application/json")


def _bad(message: str) -> Response:
    return error_response(400, "invalid", message)


def _usage(knobs, messages, completion: int):
    if knobs["no_usage"]:
        return None
    prompt = knobs["prompt_tokens"]
    if prompt is None:
        prompt = estimate_tokens(count_chars(messages)) + attachment_tokens(messages)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": knobs["cached_tokens"], "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }


TOOL_ARGUMENTS = '{"location": "Paris"}'
# Split the way a model streams them, so clients must concatenate fragments that are not JSON alone.
_ARG_DELTAS = [b'{"tool_calls":[{"index":0,"function":{"arguments":' + dumps(part) + b"}}]}"
               for part in ('{"location', '": "', "Paris", '"}')]
_CONTENT_DELTAS = [b'{"content":' + dumps(token(i)) + b"}" for i in range(1024)]


def _content_delta(i: int) -> bytes:
    return _CONTENT_DELTAS[i] if i < 1024 else b'{"content":' + dumps(token(i)) + b"}"


def _max_tokens(body):
    limit = body.get("max_completion_tokens")
    if limit is None:
        limit = body.get("max_tokens")
    if limit is not None and (type(limit) is not int or limit < 1):
        raise ValueError(f"Invalid 'max_tokens': expected a positive integer, got {limit!r}")
    return limit


def chat_completions(body, knobs) -> Response:
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        return _bad("you must provide a model parameter")
    if not isinstance(messages, list) or not messages:
        return _bad("'messages' must be a non-empty array")
    try:
        limit = _max_tokens(body)
    except ValueError as exc:
        return _bad(str(exc))
    n, truncated = clamp_limit(knobs["completion_tokens"], limit, knobs["ignore_max_tokens"])
    tool = knobs["tool_call"] if body.get("tools") else None
    structured = None if tool else structured_text(body.get("response_format"))
    if structured is not None:
        n, truncated = estimate_tokens(len(structured)), False
    finish = "tool_calls" if tool else ("length" if truncated else "stop")
    usage = _usage(knobs, messages, n)
    rid, created = "chatcmpl-mock" + uuid.uuid4().hex[:20], int(time.time())
    call_id = "call_mock" + uuid.uuid4().hex[:15] if tool else None
    if body.get("stream"):
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return _stream(rid, created, model, n, finish, usage, include_usage, tool, call_id, knobs, structured)
    if tool:
        call = {"id": call_id, "type": "function", "function": {"name": tool, "arguments": TOOL_ARGUMENTS}}
        message = {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}
    else:
        message = {"role": "assistant", "content": structured or text_of(n), "refusal": None}
    out = {"id": rid, "object": "chat.completion", "created": created, "model": model,
           "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
           "system_fingerprint": None}
    if usage is not None:
        out["usage"] = usage
    return _json(out)


def _stream(rid, created, model, n, finish, usage, include_usage, tool, call_id, knobs, structured=None):
    # Chunks differ only in their delta, so they are spliced from byte templates instead of dumped.
    head = b'data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":%s,' \
           b'"system_fingerprint":null,"choices":[{"index":0,"delta":' % (rid.encode(), created, dumps(model))
    usage_null = b',"usage":null' if include_usage else b""  # the API adds it to every chunk in that mode
    rest = b',"logprobs":null,"finish_reason":null}]' + usage_null + b"}\n\n"
    if tool:
        call = {"index": 0, "id": call_id, "type": "function", "function": {"name": tool, "arguments": ""}}
        first = head + dumps({"role": "assistant", "content": None, "tool_calls": [call]}) + rest
        chunks = [head + delta + rest for delta in _ARG_DELTAS]
    else:
        first = head + b'{"role":"assistant","content":"","refusal":null}' + rest
        chunks = ([head + _content_delta(i) + rest for i in range(n)] if structured is None else
                  [head + b'{"content":' + dumps(part) + b"}" + rest for part in pieces(structured)])
    tail = head + b'{},"logprobs":null,"finish_reason":"' + finish.encode() + b'"}]' + usage_null + b"}\n\n"
    if include_usage and usage is not None:
        final = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "system_fingerprint": None, "choices": [], "usage": usage}
        tail += b"data: " + dumps(final) + b"\n\n"
    tail += b"data: [DONE]\n\n"
    return Response(stream_body(first, chunks, tail, knobs), 200,
                    content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-cache"})


@functools.lru_cache(maxsize=4096)
def _vector(key, dims: int) -> tuple:
    raw = hashlib.shake_256(key.encode() if isinstance(key, str) else repr(key).encode()).digest(2 * dims)
    values = [v / 32767.5 - 1.0 for v in struct.unpack(f"<{dims}H", raw)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    # Rounded through float32 so the float and base64 encodings decode to the same numbers.
    return struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *(v / norm for v in values)))


def embeddings(body, knobs) -> Response:
    model, given = body.get("model"), body.get("input")
    if not isinstance(model, str) or not model:
        return _bad("you must provide a model parameter")
    if isinstance(given, str) or (isinstance(given, list) and given and all(type(t) is int for t in given)):
        inputs = [given]
    elif isinstance(given, list) and given and all(
            isinstance(x, str) or (isinstance(x, list) and all(type(t) is int for t in x)) for x in given):
        inputs = given
    else:
        return _bad("'input' must be a string, an array of strings or an array of token arrays")
    dims = body.get("dimensions") or 8
    if type(dims) is not int or not 1 <= dims <= 4096:
        return _bad("'dimensions' must be an integer between 1 and 4096")
    fmt = body.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        return _bad("'encoding_format' must be 'float' or 'base64'")
    data = []
    for i, item in enumerate(inputs):
        vec = _vector(item if isinstance(item, str) else tuple(item), dims)
        if fmt == "base64":
            vec = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": vec})
    out = {"object": "list", "data": data, "model": model}
    if not knobs["no_usage"]:
        tokens = knobs["prompt_tokens"]
        if tokens is None:
            tokens = sum(estimate_tokens(len(x)) if isinstance(x, str) else len(x) for x in inputs)
        out["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return _json(out)


MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "text-embedding-3-small", "text-embedding-3-large")
_MODELS_BODY = dumps({"object": "list", "data": [
    {"id": m, "object": "model", "created": 1700000000, "owned_by": "mock-upstream"} for m in MODELS]})


def models(body, knobs) -> Response:
    return Response(_MODELS_BODY, 200, content_type="application/json")
