"""JSON answers, in the caller's format, for errors raised outside the gateway's own handlers.

Under /v1 and /api a wrong path or method (Flask), a rate limit or an unreachable limit store
(flask-limiter) or an exception nobody expected would otherwise be an HTML page, and the last
one a full traceback in the log. Each becomes the caller's JSON error and at most one log line
of bounded length. Other paths (the back office) keep Flask's pages.
"""
import logging
import time
import traceback

from flask import Flask, Response, abort, request
from limits.errors import StorageError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..billing.holds import MeterUnavailable
from ..extensions import limiter
from .admission import new_request_id
from .errors import GatewayError, error_response, unavailable

log = logging.getLogger(__name__)

_JSON_ROOTS = ("/v1", "/api")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Raised when Redis or PostgreSQL cannot be reached: the caller may retry, so 503, not 500.
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, StorageError, MeterUnavailable, OperationalError)
_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
          413: "request_too_large", 429: "rate_limit_error"}


def register_json_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_refuse_nul_in_url)


def _refuse_nul_in_url():
    """A NUL character in the path, the query or (pages) a form is refused up front: PostgreSQL text
    cannot hold one, so an id, a filter or a field with it would otherwise fail deep inside a query."""
    environ = request.environ  # raw WSGI strings first: every request passes here
    query = environ.get("QUERY_STRING", "")
    in_url = "\x00" in environ.get("PATH_INFO", "") or "%00" in query or "\x00" in query
    if not in_url and not environ.get("CONTENT_TYPE", "").startswith(_FORM_TYPES):
        return None
    json_path = _is_json_path()
    where = None
    if in_url:
        where = "the path" if "\x00" in request.path else next(
            (f"query parameter '{name}'" for name, value in request.args.items(multi=True)
             if "\x00" in name or "\x00" in value), None)
    if where is None and not json_path:  # the console's and the back office's forms
        where = next((f"form field '{name}'" for name, value in request.form.items(multi=True)
                      if "\x00" in name or "\x00" in value), None)
    if where is None:
        return None
    if not json_path:
        abort(400, description=f"{where} contains a NUL character")
    err = GatewayError(400, "invalid_request_error", f"{where} contains a NUL character (%00)",
                       code="invalid_request")
    return error_response(err, caller_api(), {"X-Request-Id": new_request_id()})


def caller_api() -> str:
    """The caller's format, as the routes decide it: Anthropic's on /v1/messages, OpenAI's on the
    OpenAI-only paths and /api, and elsewhere (/v1/models, unknown paths) by anthropic-version."""
    path = request.path
    if path.startswith("/v1/messages"):
        return "anthropic"
    if path.startswith(("/v1/chat/", "/v1/embeddings", "/v1/responses", "/v1/images/", "/v1/audio/", "/api/")):
        return "openai"
    return "anthropic" if request.headers.get("anthropic-version") else "openai"


def _is_json_path() -> bool:
    root = "/" + request.path.lstrip("/").split("/", 1)[0]
    return root in _JSON_ROOTS


def http_error(exc: HTTPException):
    if not _is_json_path() or exc.code is None:
        return exc  # Flask renders it as before
    if exc.code == 429:
        err = GatewayError(429, "rate_limit_error", f"the limit of {exc.description} on this endpoint is reached",
                           code="rate_limit_exceeded", headers={"Retry-After": _limit_retry_after()})
    else:
        default = "invalid_request_error" if exc.code < 500 else "api_error"
        err = GatewayError(exc.code, _TYPES.get(exc.code, default),
                           f"{request.method} {request.path}: {exc.description}",
                           code=exc.name.lower().replace(" ", "_"))
    resp = error_response(err, caller_api(), {"X-Request-Id": new_request_id()})
    if exc.code == 405:
        resp.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ())
    return resp


def _unexpected(exc: Exception) -> Response:
    if not _is_json_path():
        raise exc
    request_id = new_request_id()
    if isinstance(exc, _UNREACHABLE):
        log.warning("%s %s %s: 503, %s", request_id, request.method, request.path, brief(exc))
        return error_response(unavailable(), caller_api(), {"X-Request-Id": request_id})
    log.error("%s %s %s: unexpected %s", request_id, request.method, request.path, brief(exc))
    err = GatewayError(500, "api_error", f"Tollgate failed unexpectedly on this request ({type(exc).__name__}); "
                       f"quote request id {request_id} to the operator", code="internal_error")
    return error_response(err, caller_api(), {"X-Request-Id": request_id})


def brief(exc: BaseException, limit: int = 300) -> str:
    """The exception's type, the start of its message and where it was raised, on one line."""
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[:limit] + "..."
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {'/'.join(frames[-1].filename.split('/')[-2:])}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"


def _limit_retry_after() -> int:
    try:
        return max(1, int(limiter.current_limit.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the window is unknown; one second is a safe hint
        return 1
