"""What every /api/v1/me endpoint shares: who is calling, errors in OpenAI's format, JSON in and out.

A handler is ``@me_endpoint`` and receives the acting ``Actor``; whatever it raises for bad
input, a key out of reach or an unreachable store becomes the caller's JSON error, and a
refusal rolls back whatever the handler had begun.
"""
import functools

import orjson
from flask import Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from .. import actor as actors
from ..billing import holds
from ..extensions import db, limiter
from ..gateway import admission
from ..gateway.admission import key_bucket
from ..gateway.errors import GatewayError, error_response, invalid, unavailable
from ..inputs import InputError, nul_field
from ..key_admin import KeyForbidden, KeyNotFound


def current_actor(call: admission.Call) -> actors.Actor:
    """The acting user and org. Today an API key names them (its owner, in the key's org).

    The console's signed-in session is the second source to add here, as ``actors.for_user``
    with the org the session works in; it needs its own CSRF check, since key callers are exempt.
    """
    return actors.for_key(admission.authenticate(call))


def me_endpoint(view):
    """Authenticate, run ``view(actor, **args)`` and answer JSON or the caller's error."""
    @functools.wraps(view)
    def wrapper(**kwargs):
        call = admission.Call(api="openai", op="me")
        headers = {"X-Request-Id": call.request_id}
        try:
            result = view(current_actor(call), **kwargs)
        except GatewayError as err:
            return _refused(err, headers)
        except InputError as exc:
            return _refused(invalid(str(exc), exc.field), headers)
        except KeyNotFound as exc:
            return _refused(GatewayError(404, "not_found_error", str(exc), code="key_not_found", param="id"), headers)
        except KeyForbidden as exc:
            return _refused(GatewayError(403, "permission_error", str(exc), code="read_only_role"), headers)
        except (holds.MeterUnavailable, SQLAlchemyError):
            return _refused(unavailable(), headers)
        if isinstance(result, Response):  # a stream (CSV) or a download the view built itself
            result.headers.update(headers)
            return result
        body, status = result if isinstance(result, tuple) else (result, 200)
        if body is None:  # 204 No Content
            return Response(status=status, headers=headers)
        return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)

    return limiter.limit(lambda: current_app.config["ME_API_RATE_LIMIT"], key_func=key_bucket)(wrapper)


def _refused(err: GatewayError, headers: dict) -> Response:
    db.session.rollback()
    return error_response(err, "openai", headers)


def json_object(*known: str) -> dict:
    """The request body, which must be a JSON object; with ``known``, a field outside it is a 400 naming it."""
    try:
        body = orjson.loads(request.get_data(cache=False) or b"null")
    except orjson.JSONDecodeError:
        raise InputError("body", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InputError("body", "the body must be a JSON object")
    where = nul_field(body)
    if where:
        raise InputError(where, f"'{where}' contains a NUL character (\\u0000)")
    unknown = sorted(set(body) - set(known)) if known else []
    if unknown:
        raise InputError(unknown[0], f"unknown field '{unknown[0]}'; known fields: {', '.join(sorted(known))}")
    return body


def int_arg(name: str, default: int | None = None, low: int = 1, high: int = 2**63 - 1) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InputError(name, f"{name} must be an integer") from None
    if not low <= number <= high:
        raise InputError(name, f"{name} must be between {low} and {high}")
    return number
