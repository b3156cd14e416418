"""A mock OpenAI + Anthropic upstream for development, tests and benchmarks.

It speaks the real wire formats (JSON and SSE) so the official SDKs and the gateway
can talk to it offline. Mount ``create_mock_app()`` under ``/_mock`` or run it alone::

    python -m app.devtools.mock_upstream --host 127.0.0.1 --port 9100
    python -m app.devtools.mock_upstream --port 9443 --certfile server.pem   # HTTPS

API endpoints: POST /v1/chat/completions, POST /v1/responses, POST /v1/embeddings,
POST /v1/images/generations (small PNGs, b64_json or url), POST /v1/audio/speech (a WAV),
POST /v1/audio/transcriptions (multipart; a fixed transcript, duration in verbose_json),
GET /v1/models (OpenAI, or Anthropic's shape when called with anthropic-version or
x-api-key), POST /v1/messages and /v1/messages/count_tokens (Anthropic). Structured
output is honoured: an OpenAI ``response_format`` or Responses ``text.format`` json_schema
or Anthropic ``output_config.format`` gets JSON matching the schema, and an Anthropic
``tool_choice`` forcing a tool gets that tool called with input matching its ``input_schema``. OpenAI paths need ``Authorization: Bearer <key>``; Anthropic paths take
``x-api-key`` or, as the anthropic SDK 2.x sends it, a bearer token.

Knobs (header ``X-Mock-<Name>``, env ``MOCK_<NAME>``, /_control key ``<name>``):
latency_ms, chunk_delay_ms, completion_tokens (16), prompt_tokens (estimated from the
input: 4 characters of text a token, plus one token per 16 characters of inline base64
attachments), cached_tokens, cache_creation_tokens (Anthropic cache writes), error (4xx/5xx
status, a 429 with Retry-After: 7, or "timeout"), error_once_key, timeout_s (30), cut_after, no_usage, tool_call,
ignore_max_tokens (answer completion_tokens whatever max_tokens says, as a misbehaving
provider would). MOCK_REQUIRE_KEY (or /_control ``require_key``) pins the
API key that is accepted.

Control: GET/POST /_control (process-wide knob defaults), POST /_control/reset,
GET /_control/last[?endpoint=...] (last JSON body per endpoint),
GET /_control/last_headers[?endpoint=...] (last request headers per endpoint).
"""
import time

from flask import Flask, Response, request

from . import anthropic_api, media_api, openai_api, responses_api
from .knobs import ENDPOINTS, KNOBS, KnobError, MockState, dumps, header_name, loads

__all__ = ["create_mock_app", "run", "MockState", "KNOBS", "ENDPOINTS", "header_name"]

# Injected status -> error kind, which each API module maps to its own error type.
_STATUS_KINDS = {400: "invalid", 401: "auth", 403: "permission", 404: "not_found", 408: "timeout",
                 429: "rate_limit", 500: "server", 502: "server", 503: "overloaded", 504: "timeout",
                 529: "overloaded"}


RATE_LIMIT_RETRY_AFTER_S = 7


def _inject_error(api, error: str, knobs: dict) -> Response:
    if error == "timeout":
        # Meant to outlast the client's timeout; the body is for clients that wait anyway.
        time.sleep(knobs["timeout_s"])
        return api.error_response(504, "timeout", "Mock upstream timed out (X-Mock-Error: timeout).")
    status = int(error)
    kind = _STATUS_KINDS.get(status, "invalid" if status < 500 else "server")
    resp = api.error_response(status, kind, f"Mock upstream injected a {status} error (X-Mock-Error).")
    if status == 429:
        resp.headers["Retry-After"] = str(RATE_LIMIT_RETRY_AFTER_S)  # as both real APIs do
    return resp


def _control_json(obj, status=200) -> Response:
    return Response(dumps(obj), status, content_type="application/json")


def create_mock_app(defaults: dict | None = None, *, env=None) -> Flask:
    """A fresh mock with its own state; ``defaults`` override ``env`` (``os.environ`` if None)."""
    state = MockState(defaults, env)
    app = Flask(__name__)
    app.extensions["mock_upstream"] = state

    def serve(api, endpoint, handler, has_body=True):
        environ = request.environ
        denied = api.check_auth(environ, state.require_key)
        if denied is not None:
            return denied
        try:
            knobs = state.knobs_for(environ)
        except KnobError as exc:
            return api.error_response(400, "invalid", str(exc))
        body = None
        if has_body == "form":
            body = request.form.to_dict()  # multipart: the file stays in request.files
        elif has_body:
            try:
                body = loads(request.get_data(cache=False))
            except ValueError:
                return api.error_response(400, "invalid", "The request body is not valid JSON.")
            if not isinstance(body, dict):
                return api.error_response(400, "invalid", "The request body must be a JSON object.")
        state.record(endpoint, body, environ)
        if knobs["latency_ms"]:
            time.sleep(knobs["latency_ms"] / 1000.0)
        error = knobs["error"]
        if error is not None:
            once = knobs["error_once_key"]
            if once is None or state.first_time(once):
                return _inject_error(api, error, knobs)
        return handler(body, knobs)

    @app.post("/v1/chat/completions")
    def chat_completions():
        return serve(openai_api, "chat_completions", openai_api.chat_completions)

    @app.post("/v1/responses")
    def responses():
        return serve(openai_api, "responses", responses_api.responses)

    @app.post("/v1/embeddings")
    def embeddings():
        return serve(openai_api, "embeddings", openai_api.embeddings)

    @app.post("/v1/images/generations")
    def images():
        return serve(openai_api, "images", media_api.images)

    @app.get("/_files/image.png")
    def image_file():
        return media_api.image_file()

    @app.post("/v1/audio/speech")
    def speech():
        return serve(openai_api, "speech", media_api.speech)

    @app.post("/v1/audio/transcriptions")
    def transcriptions():
        return serve(openai_api, "transcriptions", media_api.transcriptions, has_body="form")

    @app.get("/v1/models")
    def models():
        # Both APIs list models at this path; Anthropic clients always send anthropic-version.
        environ = request.environ
        if "HTTP_ANTHROPIC_VERSION" in environ or "HTTP_X_API_KEY" in environ:
            return serve(anthropic_api, "models", anthropic_api.models, has_body=False)
        return serve(openai_api, "models", openai_api.models, has_body=False)

    @app.post("/v1/messages")
    def messages():
        return serve(anthropic_api, "messages", anthropic_api.messages)

    @app.post("/v1/messages/count_tokens")
    def count_tokens():
        return serve(anthropic_api, "count_tokens", anthropic_api.count_tokens)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown_route(exc):
        api = anthropic_api if request.path.startswith("/v1/messages") else openai_api
        kind = "not_found" if exc.code == 404 else "invalid"
        return api.error_response(exc.code, kind, f"Invalid URL ({request.method} {request.path})")

    @app.get("/_control")
    def control_get():
        return _control_json(state.snapshot())

    @app.post("/_control")
    def control_set():
        try:
            changes = loads(request.get_data() or b"{}")
            if not isinstance(changes, dict):
                raise KnobError("expected a JSON object of knob names to values")
            state.update(changes)
        except (KnobError, ValueError) as exc:
            return _control_json({"error": str(exc)}, 400)
        return _control_json(state.snapshot())

    @app.post("/_control/reset")
    def control_reset():
        state.reset()
        return _control_json(state.snapshot())

    def _per_endpoint(records):
        endpoint = request.args.get("endpoint")
        if endpoint is None:
            return _control_json(records)
        if endpoint not in records:
            return _control_json({"error": f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}"}, 404)
        return _control_json(records[endpoint])

    @app.get("/_control/last")
    def control_last():
        return _per_endpoint(state.last)

    @app.get("/_control/last_headers")
    def control_last_headers():
        return _per_endpoint(state.last_headers)

    return app


def run(host: str = "127.0.0.1", port: int = 9100, server: str = "auto", access_log: bool = False,
        certfile: str | None = None, keyfile: str | None = None) -> None:
    """Serve a mock app until interrupted: gevent when available, else werkzeug's threaded server.

    With ``certfile`` (and ``keyfile`` unless the key is in the same PEM) it serves HTTPS, for
    trying a provider's CA bundle and proxy settings against it.
    """
    app = create_mock_app()
    scheme = "https" if certfile else "http"
    tls = {"certfile": certfile, "keyfile": keyfile or certfile} if certfile else {}
    if server in ("auto", "gevent"):
        try:
            from gevent import monkey
            from gevent.pywsgi import WSGIServer
        except ImportError:
            if server == "gevent":
                raise
        else:
            import socket

            class Server(WSGIServer):
                def handle(self, sock, address):
                    # pywsgi writes headers and body separately; with Nagle on, a keep-alive
                    # client's delayed ACK would stall every response by ~40 ms.
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    super().handle(sock, address)

            # Only time.sleep needs patching (knob delays); the server itself is gevent-native.
            monkey.patch_time()
            http = Server((host, port), app, backlog=2048, log="default" if access_log else None, **tls)
            http.start()
            print(f"mock upstream listening on {scheme}://{host}:{http.server_port} (gevent)", flush=True)
            http.serve_forever()
            return
    import logging

    from werkzeug.serving import make_server

    if not access_log:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server(host, port, app, threaded=True,
                       ssl_context=(tls["certfile"], tls["keyfile"]) if tls else None)
    print(f"mock upstream listening on {scheme}://{host}:{http.server_port} (werkzeug)", flush=True)
    http.serve_forever()
