"""Calls to upstream providers: pooled sessions, ordered fallback, bounded retries.

A provider is retried on the next route only before any byte reached the caller: on a
connection error, a timeout, a 429 or a 5xx. Other statuses (a 400 for a bad request)
are the caller's answer and are returned as they are.
"""
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from .catalog import RouteInfo
from .errors import GatewayError

ANTHROPIC_VERSION = "2023-06-01"
_sessions: dict[int, requests.Session] = {}
_lock = threading.Lock()


def session_for(provider_id: int) -> requests.Session:
    s = _sessions.get(provider_id)
    if s is None:
        with _lock:
            s = _sessions.get(provider_id)
            if s is None:
                s = requests.Session()
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=256, max_retries=0)
                s.mount("http://", adapter)
                s.mount("https://", adapter)
                _sessions[provider_id] = s
    return s


@dataclass
class UpstreamReply:
    route: RouteInfo
    response: requests.Response
    started: float  # monotonic time the attempt that answered began


def endpoint(route: RouteInfo, op: str) -> tuple[str, dict]:
    p = route.provider
    if p.kind == "anthropic":
        headers = {"x-api-key": p.api_key or "", "anthropic-version": ANTHROPIC_VERSION,
                   "content-type": "application/json"}
        return f"{p.base_url}/v1/messages", headers
    path = "/embeddings" if op == "embeddings" else "/chat/completions"
    return f"{p.base_url}{path}", {"authorization": f"Bearer {p.api_key or ''}", "content-type": "application/json"}


def call(routes: list[RouteInfo], build_body, op: str, stream: bool, max_attempts: int, deadline_s: float,
         extra_headers: dict | None = None) -> UpstreamReply:
    """Try routes in order until one answers; ``build_body(route)`` gives the bytes for that route."""
    give_up_at = time.monotonic() + deadline_s
    last: GatewayError | None = None
    for route in routes[:max_attempts]:
        remaining = give_up_at - time.monotonic()
        if remaining <= 0:
            break
        url, headers = endpoint(route, op)
        if extra_headers:
            headers.update(extra_headers)
        started = time.monotonic()
        try:
            resp = session_for(route.provider.id).post(
                url, data=build_body(route), headers=headers, stream=stream,
                timeout=(min(5.0, remaining), min(route.provider.timeout_s, remaining)),
            )
        except requests.Timeout:
            last = GatewayError(504, "timeout", f"provider {route.provider.name} timed out", code="upstream_timeout")
            continue
        except requests.RequestException as exc:
            last = GatewayError(502, "upstream_error", f"provider {route.provider.name} unreachable: "
                                f"{type(exc).__name__}", code="upstream_unreachable")
            continue
        if resp.status_code == 429 or resp.status_code >= 500:
            last = GatewayError(502, "upstream_error",
                                f"provider {route.provider.name} answered {resp.status_code}", code="upstream_error")
            resp.close()
            continue
        return UpstreamReply(route=route, response=resp, started=started)
    if last is None:
        last = GatewayError(502, "upstream_error", "no enabled provider serves this model", code="no_provider")
    raise last
