"""Calls to upstream providers: pooled connections, ordered fallback, bounded retries.

A provider is retried on the next route only before any byte reached the caller: on a
connection error, a timeout, a 429 or a 5xx. Other statuses (a 400 for a bad request)
are the caller's answer and are returned as they are. When the last route tried answered
429, the caller gets a 429 with that provider's Retry-After: waiting helps, unlike a 502. Connections come from http11's
per-process pools.
"""
import logging
import math
import time

from ..telemetry import instruments
from . import http11
from .catalog import RouteInfo
from .errors import GatewayError

ANTHROPIC_VERSION = "2023-06-01"
log = logging.getLogger(__name__)


class Reply:
    """The upstream's answer: status, then either the whole body or its chunks as they arrive."""

    def __init__(self, route: RouteInfo, response: http11.Response, started: float):
        self.route = route
        self.response = response
        self.status = response.status
        self.started = started

    def body(self) -> bytes:
        try:
            return self.response.read()
        finally:
            self.response.close()

    def chunks(self):
        return self.response.chunks()

    def close(self) -> None:
        self.response.close()


_OPENAI_PATHS = {"embeddings": "/embeddings", "responses": "/responses", "images": "/images/generations",
                 "speech": "/audio/speech", "transcription": "/audio/transcriptions"}


def endpoint(route: RouteInfo, op: str) -> tuple[str, dict]:
    p = route.provider
    if p.kind == "anthropic":
        headers = {"x-api-key": p.api_key or "", "anthropic-version": ANTHROPIC_VERSION,
                   "content-type": "application/json"}
        return f"{p.base_url}/v1/messages{'/count_tokens' if op == 'count_tokens' else ''}", headers
    path = _OPENAI_PATHS.get(op, "/chat/completions")
    return f"{p.base_url}{path}", {"authorization": f"Bearer {p.api_key or ''}", "content-type": "application/json"}


def call(routes: list[RouteInfo], build_body, op: str, max_attempts: int, deadline_s: float,
         may_try=None, content_type: str | None = None) -> Reply:
    """Try routes in order until one answers; ``build_body(route)`` gives the bytes for that route,
    sent as JSON unless ``content_type`` says otherwise (a multipart upload).

    ``may_try(route)``, asked before each route but the first, may skip one (its provider is at
    its RPM limit for this caller); the last refusal stands when every route fails or is skipped.
    """
    give_up_at = time.monotonic() + deadline_s
    last: GatewayError | None = None
    for attempt, route in enumerate(routes[:max_attempts]):
        remaining = give_up_at - time.monotonic()
        if remaining <= 0:
            break
        if attempt and may_try is not None and not may_try(route):
            continue
        if attempt:  # the route before this one failed
            instruments.fell_back(routes[attempt - 1].provider.name)
        url, headers = endpoint(route, op)
        if content_type is not None:
            headers["content-type"] = content_type
        started = time.monotonic()
        try:
            resp = http11.post(url, build_body(route), headers,
                               connect_timeout=min(http11.CONNECT_TIMEOUT_S, remaining),
                               read_timeout=min(route.provider.timeout_s, remaining), via=route.provider.egress)
        except http11.UpstreamTimeout:
            last = GatewayError(504, "timeout", f"provider {route.provider.name} timed out", code="upstream_timeout")
            instruments.upstream_failed(route.provider.name, "timeout")
            continue
        except OSError as exc:  # DNS, refused, proxy, TLS, or an answer that is not HTTP: try the next
            log.warning("provider %s unreachable: %s", route.provider.name, exc)
            last = GatewayError(502, "upstream_error", f"provider {route.provider.name} unreachable: "
                                f"{type(exc).__name__}", code="upstream_unreachable")
            instruments.upstream_failed(route.provider.name, "unreachable")
            continue
        instruments.upstream_answered(route.provider.name, time.monotonic() - started)
        if resp.status == 429:
            last = GatewayError(429, "rate_limit_error", f"provider {route.provider.name} is rate limiting "
                                f"Tollgate; retry later", code="upstream_rate_limited",
                                headers={"Retry-After": _retry_after(resp.headers.get(b"retry-after"))})
            instruments.upstream_failed(route.provider.name, "rate_limited")
            resp.close()
            continue
        if resp.status >= 500:
            last = GatewayError(502, "upstream_error",
                                f"provider {route.provider.name} answered {resp.status}", code="upstream_error")
            instruments.upstream_failed(route.provider.name, "server_error")
            resp.close()
            continue
        return Reply(route, resp, started)
    if last is None:
        last = GatewayError(502, "upstream_error", "no enabled provider serves this model", code="no_provider")
    raise last


def _retry_after(raw: bytes | None) -> int:
    """The provider's Retry-After in whole seconds (at least 1); 1 when it sent none or a date."""
    try:
        return max(1, math.ceil(float(raw)))
    except (TypeError, ValueError, OverflowError):
        return 1
