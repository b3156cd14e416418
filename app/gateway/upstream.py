"""Calls to upstream providers: pooled connections, ordered fallback, bounded retries.

A provider is retried on the next route only before any byte reached the caller: on a
connection error, a timeout, a 429 or a 5xx. Other statuses (a 400 for a bad request)
are the caller's answer and are returned as they are.

urllib3 is used directly, one connection pool per provider and process: the requests
layer on top of it cost about 1 ms of CPU per call on the hot path.
"""
import threading
import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError, TimeoutError as Urllib3Timeout

from .catalog import RouteInfo
from .errors import GatewayError

ANTHROPIC_VERSION = "2023-06-01"
_pools: dict[tuple[int, str], urllib3.PoolManager] = {}
_lock = threading.Lock()


def pool_for(provider_id: int, base_url: str) -> urllib3.PoolManager:
    key = (provider_id, base_url)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = urllib3.PoolManager(num_pools=4, maxsize=256, block=False, retries=False)
                _pools[key] = pool
    return pool


class Reply:
    """The upstream's answer: status, then either the whole body or its chunks as they arrive."""

    def __init__(self, route: RouteInfo, response: urllib3.BaseHTTPResponse, started: float):
        self.route = route
        self.response = response
        self.status = response.status
        self.started = started

    def body(self) -> bytes:
        try:
            return self.response.read()
        finally:
            self.response.release_conn()

    def chunks(self):
        read1 = self.response.read1
        while True:
            data = read1(65536)
            if not data:
                return
            yield data

    def close(self) -> None:
        # A stream stopped early leaves unread bytes: the connection cannot be reused.
        if not self.response.closed and self.response.length_remaining not in (0, None):
            self.response.close()
        self.response.release_conn()


def endpoint(route: RouteInfo, op: str) -> tuple[str, dict]:
    p = route.provider
    if p.kind == "anthropic":
        headers = {"x-api-key": p.api_key or "", "anthropic-version": ANTHROPIC_VERSION,
                   "content-type": "application/json"}
        return f"{p.base_url}/v1/messages", headers
    path = "/embeddings" if op == "embeddings" else "/chat/completions"
    return f"{p.base_url}{path}", {"authorization": f"Bearer {p.api_key or ''}", "content-type": "application/json"}


@dataclass
class _Deadline:
    at: float

    def left(self) -> float:
        return self.at - time.monotonic()


def call(routes: list[RouteInfo], build_body, op: str, stream: bool, max_attempts: int, deadline_s: float) -> Reply:
    """Try routes in order until one answers; ``build_body(route)`` gives the bytes for that route."""
    deadline = _Deadline(time.monotonic() + deadline_s)
    last: GatewayError | None = None
    for route in routes[:max_attempts]:
        remaining = deadline.left()
        if remaining <= 0:
            break
        url, headers = endpoint(route, op)
        started = time.monotonic()
        try:
            resp = pool_for(route.provider.id, route.provider.base_url).urlopen(
                "POST", url, body=build_body(route), headers=headers, preload_content=False, redirect=False,
                timeout=urllib3.Timeout(connect=min(5.0, remaining), read=min(route.provider.timeout_s, remaining)),
            )
        except Urllib3Timeout:
            last = GatewayError(504, "timeout", f"provider {route.provider.name} timed out", code="upstream_timeout")
            continue
        except HTTPError as exc:
            last = GatewayError(502, "upstream_error", f"provider {route.provider.name} unreachable: "
                                f"{type(exc).__name__}", code="upstream_unreachable")
            continue
        if resp.status == 429 or resp.status >= 500:
            last = GatewayError(502, "upstream_error",
                                f"provider {route.provider.name} answered {resp.status}", code="upstream_error")
            resp.drain_conn()
            resp.release_conn()
            continue
        return Reply(route, resp, started)
    if last is None:
        last = GatewayError(502, "upstream_error", "no enabled provider serves this model", code="no_provider")
    raise last
