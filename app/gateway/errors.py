"""Gateway errors, rendered in the caller's API format (OpenAI or Anthropic)."""
import orjson
from flask import Response

# Anthropic's error types differ from OpenAI's for a few statuses.
_ANTHROPIC_TYPES = {
    "insufficient_quota": "billing_error",
    "upstream_error": "api_error",
    "timeout": "timeout_error",
    "service_unavailable": "overloaded_error",
}


class GatewayError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None,
                 param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code or type_
        self.param = param
        self.headers = headers or {}


def invalid(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, "invalid_request_error", message, code="invalid_request", param=param)


def unavailable() -> GatewayError:
    return GatewayError(503, "service_unavailable", "Tollgate cannot reach its database or Redis right now; "
                        "nothing was forwarded or charged. Retry shortly.", code="service_unavailable",
                        headers={"Retry-After": 2})


def error_body(err: GatewayError, api: str) -> dict:
    if api == "anthropic":
        return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(err.type, err.type), "message": err.message}}
    body = {"type": err.type, "message": err.message, "code": err.code}
    if err.param:
        body["param"] = err.param
    return {"error": body}


def error_response(err: GatewayError, api: str, headers: dict | None = None) -> Response:
    resp = Response(orjson.dumps(error_body(err, api)), status=err.status, mimetype="application/json")
    for name, value in {**err.headers, **(headers or {})}.items():
        resp.headers[name] = str(value)
    return resp
