"""Knobs that steer the mock, the in-process state behind /_control, the synthetic text,
and the stream pacing and cutting that both APIs share.

A knob's value comes from, in rising priority: the built-in default, the ``MOCK_*``
environment variable, ``POST /_control``, then the request's ``X-Mock-*`` header.
"""
import errno
import math
import os
import threading
import time

try:
    from orjson import dumps, loads
except ImportError:  # pragma: no cover - orjson is in requirements, this keeps the tool portable
    import json

    def dumps(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    loads = json.loads


class KnobError(ValueError):
    """A knob value cannot be parsed; the message names the knob."""


_UNSET = ("", "none", "null")


def _int(name, raw, nullable=False):
    if nullable and (raw is None or str(raw).strip().lower() in _UNSET):
        return None
    try:
        value = raw if isinstance(raw, int) and not isinstance(raw, bool) else int(str(raw).strip())
    except ValueError:
        raise KnobError(f"{name} must be a non-negative integer, got {raw!r}") from None
    if value < 0:
        raise KnobError(f"{name} must be a non-negative integer, got {raw!r}")
    return value


def _float(name, raw):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise KnobError(f"{name} must be a non-negative number, got {raw!r}") from None
    if not 0 <= value < math.inf:  # also refuses nan, which would make time.sleep raise
        raise KnobError(f"{name} must be a non-negative number, got {raw!r}")
    return value


def _bool(name, raw):
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise KnobError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _str(name, raw):
    text = "" if raw is None else str(raw).strip()
    return None if text.lower() in _UNSET else text


def _error(name, raw):
    text = _str(name, raw)
    if text is None:
        return None
    if text.lower() == "timeout":
        return "timeout"
    if text.isdigit() and 400 <= int(text) <= 599:
        return text
    raise KnobError(f"{name} must be an HTTP error status (400-599, e.g. 429, 500, 503) or 'timeout', got {raw!r}")


# name -> (parser, built-in default)
KNOBS = {
    "latency_ms": (_float, 0.0),
    "chunk_delay_ms": (_float, 0.0),
    "completion_tokens": (_int, 16),
    "prompt_tokens": (lambda n, r: _int(n, r, nullable=True), None),
    "cached_tokens": (_int, 0),
    "cache_creation_tokens": (_int, 0),
    "error": (_error, None),
    "error_once_key": (_str, None),
    "timeout_s": (_float, 30.0),
    "cut_after": (lambda n, r: _int(n, r, nullable=True), None),
    "no_usage": (_bool, False),
    "tool_call": (_str, None),
    "ignore_max_tokens": (_bool, False),
}


def header_name(knob: str) -> str:
    return "X-Mock-" + "-".join(part.capitalize() for part in knob.split("_"))


# Looked up straight in the WSGI environ: cheaper than building a Headers object per request.
_HEADER_KEYS = tuple(
    ("HTTP_X_MOCK_" + name.upper(), name, header_name(name), parse) for name, (parse, _) in KNOBS.items()
)


def normalize_knob_name(key: str) -> str:
    """Accept ``latency_ms``, ``latency-ms`` and ``X-Mock-Latency-Ms`` alike in /_control."""
    key = key.strip().lower().replace("-", "_")
    return key[7:] if key.startswith("x_mock_") else key


def base_defaults(env, overrides=None) -> dict:
    knobs = {name: default for name, (_, default) in KNOBS.items()}
    for name, (parse, _) in KNOBS.items():
        raw = env.get("MOCK_" + name.upper())
        if raw is not None:
            try:
                knobs[name] = parse(name, raw)
            except KnobError as exc:
                raise KnobError(f"environment MOCK_{name.upper()}: {exc}") from None
    for key, raw in (overrides or {}).items():
        name = normalize_knob_name(key)
        if name not in KNOBS:
            raise KnobError(f"unknown knob {key!r}; known: {', '.join(KNOBS)}")
        knobs[name] = None if raw is None else KNOBS[name][0](name, raw)
    return knobs


ENDPOINTS = ("chat_completions", "embeddings", "models", "messages", "responses", "count_tokens", "images", "speech",
             "transcriptions")
_ONCE_KEYS_MAX = 100_000


class MockState:
    """Process-wide defaults plus what tests inspect afterwards (last bodies, request counts)."""

    def __init__(self, overrides=None, env=None):
        env = os.environ if env is None else env
        self.base = base_defaults(env, overrides)
        self.base_require_key = env.get("MOCK_REQUIRE_KEY") or None
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            # Replaced wholesale, never mutated, so request handlers can read it without the lock.
            self.defaults = dict(self.base)
            self.require_key = self.base_require_key
            self.once_keys = {}
            self.last = dict.fromkeys(ENDPOINTS)
            self.last_headers = dict.fromkeys(ENDPOINTS)
            self.counts = dict.fromkeys(ENDPOINTS, 0)

    def update(self, changes: dict) -> None:
        knobs = dict(self.defaults)
        require_key = self.require_key
        for key, raw in changes.items():
            name = normalize_knob_name(key)
            if name == "require_key":
                require_key = self.base_require_key if raw is None else _str(name, raw)
            elif name not in KNOBS:
                raise KnobError(f"unknown knob {key!r}; known: {', '.join(KNOBS)}, require_key")
            else:
                knobs[name] = self.base[name] if raw is None else KNOBS[name][0](name, raw)
        with self.lock:
            self.defaults = knobs
            self.require_key = require_key

    def snapshot(self) -> dict:
        return {"knobs": dict(self.defaults), "require_key": self.require_key is not None,
                "requests": dict(self.counts)}

    def knobs_for(self, environ) -> dict:
        knobs = None
        for env_key, name, label, parse in _HEADER_KEYS:
            raw = environ.get(env_key)
            if raw is not None:
                if knobs is None:
                    knobs = dict(self.defaults)
                knobs[name] = parse(label, raw)
        return self.defaults if knobs is None else knobs

    def record(self, endpoint: str, body, environ) -> None:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k[:5] == "HTTP_"}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        with self.lock:
            self.last[endpoint] = body
            self.last_headers[endpoint] = headers
            self.counts[endpoint] += 1

    def first_time(self, key: str) -> bool:
        with self.lock:
            if key in self.once_keys:
                return False
            if len(self.once_keys) >= _ONCE_KEYS_MAX:
                self.once_keys.clear()
            self.once_keys[key] = True
            return True


# Output text is "tok0 tok1 tok2 ...", one token per stream chunk.
_TOKENS = ["tok0"] + [f" tok{i}" for i in range(1, 4096)]


def token(i: int) -> str:
    return _TOKENS[i] if i < 4096 else f" tok{i}"


_TEXT_CACHE: dict = {}


def text_of(n: int) -> str:
    text = _TEXT_CACHE.get(n)
    if text is None:
        text = "".join(token(i) for i in range(n))
        if len(_TEXT_CACHE) < 1024:
            _TEXT_CACHE[n] = text
    return text


def pieces(text: str, size: int = 8) -> list[str]:
    """``text`` cut into stream deltas, as a model streams JSON: fragments that do not parse alone."""
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def count_chars(value) -> int:
    """Characters of prompt text in a message list, whatever content shape each API uses."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(count_chars(item) for item in value)
    if isinstance(value, dict):
        total = 0
        for key in ("content", "text"):
            inner = value.get(key)
            if inner is not None:
                total += count_chars(inner)
        return total
    return 0


# Inline attachments are billed by size, as providers bill images by pixels and PDFs by pages:
# one token per ATTACHMENT_CHARS_PER_TOKEN characters of base64 data (about one per 12 bytes
# of file). Tollgate's prompt bound counts them at one token per 4 characters, never less.
ATTACHMENT_CHARS_PER_TOKEN = 16


def attachment_chars(value) -> int:
    """Characters of inline base64 data (data: URLs, file_data, base64 sources) in a message list."""
    if isinstance(value, list):
        return sum(attachment_chars(item) for item in value)
    if not isinstance(value, dict):
        return 0
    kind = value.get("type")
    if kind == "image_url":
        url = (value.get("image_url") or {}).get("url") if isinstance(value.get("image_url"), dict) else None
        return len(url) if isinstance(url, str) and url.startswith("data:") else 0
    if kind == "file":
        data = (value.get("file") or {}).get("file_data") if isinstance(value.get("file"), dict) else None
        return len(data) if isinstance(data, str) else 0
    if kind in ("image", "document"):
        source = value.get("source") if isinstance(value.get("source"), dict) else {}
        data = source.get("data") if source.get("type") == "base64" else None
        return len(data) if isinstance(data, str) else 0
    return attachment_chars(value.get("content"))


def attachment_tokens(value) -> int:
    return -(-attachment_chars(value) // ATTACHMENT_CHARS_PER_TOKEN)


def estimate_tokens(chars: int) -> int:
    return max(1, -(-chars // 4))


def clamp_limit(requested: int, limit, ignore: bool = False) -> tuple[int, bool]:
    """Output length and whether the caller's token limit cut it short (``ignore``: a provider that overruns it)."""
    if limit is not None and limit < requested and not ignore:
        return limit, True
    return requested, False


class UpstreamCut(ConnectionResetError):
    """Raised mid-body: gevent, gunicorn and werkzeug treat a connection error there as a dropped
    client, so they close the socket quietly without the chunked body's terminator."""


def stream_body(head: bytes, chunks: list, tail: bytes, knobs: dict):
    """The SSE body: one write when nothing is paced or cut, else a generator."""
    delay = knobs["chunk_delay_ms"] / 1000.0
    cut = knobs["cut_after"]
    if not delay and cut is None:
        return head + b"".join(chunks) + tail
    return _paced(head, chunks, tail, delay, cut)


def _paced(head, chunks, tail, delay, cut):
    yield head
    for i, chunk in enumerate(chunks):
        if i == cut:
            break
        if i and delay:
            time.sleep(delay)  # looked up per call so gevent's patched sleep yields to other requests
        yield chunk
    if cut is not None:
        raise UpstreamCut(errno.ECONNRESET, "mock upstream cut the stream (X-Mock-Cut-After)")
    yield tail
