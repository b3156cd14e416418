"""Arm C: the proxy ceiling, a Flask pass-through with no auth, limits or billing.

It forwards the body and Authorization header to BENCH_UPSTREAM over one pooled
requests.Session and relays streams chunk by chunk, the least any Python gateway must do.
"""
import os

import requests
from flask import Flask, Response, request
from requests.adapters import HTTPAdapter

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100").rstrip("/")
_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


def _session() -> requests.Session:
    session = requests.Session()
    # One connection per concurrent request under gevent; a small pool would serialize them.
    session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=256))
    return session


def create_app() -> Flask:
    app = Flask(__name__)
    session = _session()

    def forward(path: str) -> Response:
        headers = {"Content-Type": "application/json"}
        for name in ("Authorization", "X-Api-Key", "Anthropic-Version"):
            if name in request.headers:
                headers[name] = request.headers[name]
        upstream = session.post(UPSTREAM + path, data=request.get_data(), headers=headers,
                                stream=True, timeout=(5, 60))
        out_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP]
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            def relay():
                try:
                    # chunk_size=None yields each piece as it arrives, so nothing is buffered.
                    yield from upstream.iter_content(chunk_size=None)
                finally:
                    upstream.close()
            return Response(relay(), upstream.status_code, headers=out_headers)
        body = upstream.content
        return Response(body, upstream.status_code, headers=out_headers)

    @app.post("/v1/chat/completions")
    def chat_completions():
        return forward("/v1/chat/completions")

    @app.post("/v1/messages")
    def messages():
        return forward("/v1/messages")

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


application = create_app()
