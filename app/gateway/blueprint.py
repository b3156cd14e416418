"""The /v1 routes. Each handler admits the request, forwards it and settles what it cost."""
import logging
import time

import orjson
from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from ..billing import holds
from ..extensions import limiter
from . import (admission, catalog, count_tokens, forward, media, media_call, media_tasks, pricing, relay, responses,
               upstream, validate)
from .admission import Call
from .errors import GatewayError, error_response, invalid, unavailable
from .settle import charge_for, fail, local_tokens, settle
from .translate import TranslationError

bp = Blueprint("gateway", __name__, url_prefix="/v1")
log = logging.getLogger(__name__)


@bp.post("/chat/completions")
def chat_completions():
    return handle(Call(api="openai", op="chat"))


@bp.post("/messages")
def messages():
    return handle(Call(api="anthropic", op="messages"))


@bp.post("/responses")
def create_response():
    return handle(Call(api="openai", op="responses"))


@bp.get("/responses/<response_id>")
def get_response(response_id: str):
    return _unmetered(Call(api="openai", op="responses"),
                      lambda call: responses.retrieve(admission.authenticate(call), response_id))


@bp.get("/responses/<response_id>/input_items")
def list_response_input_items(response_id: str):
    return _unmetered(Call(api="openai", op="responses"),
                      lambda call: responses.input_items(admission.authenticate(call), response_id, request.args))


@bp.delete("/responses/<response_id>")
def delete_response(response_id: str):
    return _unmetered(Call(api="openai", op="responses"),
                      lambda call: responses.remove(admission.authenticate(call), response_id))


@bp.post("/messages/count_tokens")
@limiter.limit(lambda: current_app.config["ME_API_RATE_LIMIT"], key_func=admission.key_bucket)
def count_message_tokens():
    return _unmetered(Call(api="anthropic", op="count_tokens"), count_tokens.count)


@bp.post("/embeddings")
def embeddings():
    return handle(Call(api="openai", op="embeddings"))


@bp.post("/images/generations")
def generate_images():
    return handle_media(Call(api="openai", op="images"))


@bp.post("/audio/speech")
def create_speech():
    return handle_media(Call(api="openai", op="speech"))


@bp.post("/audio/transcriptions")
def create_transcription():
    return handle_media(Call(api="openai", op="transcription"))


@bp.get("/models")
def list_models():
    api = "anthropic" if request.headers.get("anthropic-version") else "openai"
    return _unmetered(Call(api=api, op="models"), _model_list)


def _model_list(call: Call) -> Response:
    key = admission.authenticate(call)  # before the catalog: a bad key costs nothing more
    visible = catalog.current().callable_models(key)
    if call.api == "anthropic":
        data = [{"type": "model", "id": m.public_id, "display_name": m.public_id,
                 "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(m.created))} for m in visible]
        body = {"data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None}
    else:
        body = {"object": "list", "data": [{"id": m.public_id, "object": "model", "created": m.created,
                                            "owned_by": "tollgate"} for m in visible]}
    return Response(orjson.dumps(body), mimetype="application/json")


def _unmetered(call: Call, action) -> Response:
    """Run ``action(call)`` for an endpoint that holds and charges nothing; errors in the caller's format."""
    try:
        resp = action(call)
    except GatewayError as err:
        return error_response(err, call.api, {"X-Request-Id": call.request_id})
    except (holds.MeterUnavailable, SQLAlchemyError):
        return error_response(unavailable(), call.api, {"X-Request-Id": call.request_id})
    resp.headers["X-Request-Id"] = call.request_id
    return resp


def handle(call: Call) -> Response:
    cfg = current_app.config
    try:
        admission.authenticate(call)
        body = admission.parse_body(call)
        model = admission.resolve_model(call, validate.require_model(body))
        requested, bound = _check_body(call, body, model.max_output_tokens)
        call.stream = bool(body.get("stream")) and call.op != "embeddings"
        options = body.get("stream_options")  # checked where the API has it; ignored where it has not
        call.include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        admission.size_request(call, requested, bound)
        routes = catalog.ordered_routes(model)
        if call.op == "embeddings":
            routes = [r for r in routes if not forward.upstream_is_anthropic(r)]
        admission.reserve(call, routes)
        reply = upstream.call(call.routes, lambda route: forward.request_body(call, route), call.op,
                              cfg["GATEWAY_MAX_ATTEMPTS"], cfg["GATEWAY_TOTAL_DEADLINE_S"],
                              may_try=lambda route: admission.fallback_allowed(call, route))
    except TranslationError as exc:
        param = responses.caller_param(exc.param) if call.op == "responses" else exc.param
        return _refuse(call, invalid(str(exc), param))
    except GatewayError as err:
        return _refuse(call, err)
    except (holds.MeterUnavailable, SQLAlchemyError):
        return _refuse(call, unavailable())
    status = reply.status
    if status >= 400:
        try:
            raw = reply.body()
        except OSError:
            raw = b""  # the rejection's text was lost; its status still tells the caller
        fail(call, status, "upstream_rejected", reply.route.provider.id, _ms(call))
        return _json(call, forward.error_body(call, reply.route, status, raw), status)
    if call.stream:
        app = current_app._get_current_object()
        resp = Response(relay.stream(call, reply, app), mimetype="text/event-stream")
        resp.headers.update(_quota_headers(call))
        resp.headers["Cache-Control"] = "no-cache"
        resp.headers["X-Accel-Buffering"] = "no"  # tell proxies in front not to buffer the stream
        return resp
    return _finish(call, reply)


def handle_media(call: Call) -> Response:
    """Images, speech and transcription: the same admission, hold and settlement as chat."""
    try:
        admission.authenticate(call)
        fields = media.read(call)
        admission.resolve_model(call, validate.require_model(fields))
        media.price(call)
        as_task = media_tasks.wanted(call)
        admission.reserve(call, media.routes(call.model))
        if as_task:
            task = media_tasks.start(call)
            return _json(call, media_tasks.describe(task), 202)
    except GatewayError as err:
        return _refuse(call, err)
    except (holds.MeterUnavailable, SQLAlchemyError):
        return _refuse(call, unavailable())
    out = media_call.run(call)
    resp = Response(out.body, status=out.status, content_type=out.content_type)
    resp.headers.update(_quota_headers(call, fresh=out.status >= 400))
    return resp


def _check_body(call: Call, body: dict, max_output: int) -> tuple[int | None, int]:
    if call.op == "embeddings":
        items = validate.embeddings(body)
        return None, pricing.prompt_bound([], extra_text=orjson.dumps(items).decode())
    if call.op == "messages":
        requested, system = validate.messages(body, max_output), body.get("system")
    elif call.op == "responses":
        requested, system = validate.responses(body, max_output), None
        call.turn = responses.prepare(call, body)
        body = call.turn.priced(body)
    else:
        requested, system = validate.chat(body, max_output), None
    limit = current_app.config["GATEWAY_MAX_ATTACHMENT_BYTES"]
    try:
        return requested, pricing.prompt_bound(body["messages"], system, _tools_text(body), limit)
    except pricing.AttachmentTooLarge as exc:
        raise invalid(str(exc), exc.where or "messages") from None


def _tools_text(body: dict) -> str:
    return orjson.dumps(body["tools"]).decode() if body.get("tools") else ""


def _finish(call: Call, reply) -> Response:
    try:
        out, tokens = forward.response_body(call, reply.route, orjson.loads(reply.body()))
    except (OSError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # Cut off, not JSON, or JSON of a shape the provider's API does not have: nothing to charge for.
        fail(call, 502, "upstream_error", reply.route.provider.id, _ms(call))
        return _refuse(call, GatewayError(502, "upstream_error", f"the provider's answer could not be read "
                                          f"({type(exc).__name__})"), logged=True)
    if tokens is None:
        tokens = local_tokens(call, len(forward.output_text(out)))
    provider_id, latency = reply.route.provider.id, _ms(call)
    if current_app.config["GATEWAY_SYNC_SETTLE"]:
        _settle_quietly(call, tokens, provider_id, latency)
        return _json(call, out, 200)
    # Settle once the answer is on its way: the caller does not wait for that Redis call.
    # The headers show the balances this settlement leaves, worked out from the hold.
    refund = call.hold - charge_for(call, tokens).total_cost
    call.wallet_available += refund
    if call.key_remaining is not None:
        call.key_remaining += refund
    resp = _json(call, out, 200)
    app = current_app._get_current_object()

    def settle_after_response():
        with app.app_context():
            _settle_quietly(call, tokens, provider_id, latency)

    resp.call_on_close(settle_after_response)
    return resp


def _settle_quietly(call: Call, tokens, provider_id: int, latency: int) -> None:
    try:
        settle(call, tokens, provider_id, latency, None)
    except holds.MeterUnavailable:
        # Redis went away after the answer was produced: settle() kept the usage in PostgreSQL
        # for the reconciler (flask tollgate usage replay); the expiry sweep releases the hold.
        log.error("usage of %s not settled: Redis unreachable; kept for the reconciler", call.request_id)


def _refuse(call: Call, err: GatewayError, logged: bool = False) -> Response:
    if not logged:
        try:
            fail(call, err.status, err.code, None, _ms(call))
        except (holds.MeterUnavailable, SQLAlchemyError):
            pass  # the refusal itself must still reach the caller
    headers = {"X-Request-Id": call.request_id}
    if call.key is not None and err.status != 503:
        headers.update(_quota_headers(call, fresh=True))
    return error_response(err, call.api, headers)


def _json(call: Call, body: dict, status: int) -> Response:
    resp = Response(orjson.dumps(body), status=status, mimetype="application/json")
    resp.headers.update(_quota_headers(call, fresh=status >= 400))
    return resp


def _quota_headers(call: Call, fresh: bool = False) -> dict:
    if fresh or call.wallet_available is None:
        try:
            call.wallet_available, call.key_remaining = holds.balances(call.key.wallet_id, call.key.key_id,
                                                                       call.key.quota)
        except (holds.MeterUnavailable, SQLAlchemyError):
            return {"X-Request-Id": call.request_id}
    return {
        "X-Request-Id": call.request_id,
        "X-Quota-Remaining-Credits": "unlimited" if call.key_remaining is None else str(call.key_remaining),
        "X-Org-Quota-Remaining-Credits": str(call.wallet_available),
    }


def _ms(call: Call) -> int:
    return int((time.monotonic() - call.started) * 1000)
