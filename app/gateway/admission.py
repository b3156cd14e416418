"""Admission: the checks a request passes, in order, before anything is forwarded.

key -> expiry -> org status -> model -> access -> plan -> body -> limits, caps, the
plan's concurrency, wallet and provider capacity (one Redis round trip). Each failure is
a GatewayError the caller sees in its own API format.
"""
import datetime as dt
import itertools
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from flask import current_app, request

from ..billing import holds
from ..jobs import cap_alerts
from ..keys import hash_key
from ..models.base import utcnow
from . import catalog, keycache, pricing, validate
from .catalog import ModelInfo
from .errors import GatewayError, invalid, unavailable
from .keycache import KeyContext

CAP_NAMES = {
    "cap_5h": "rolling 5-hour spend cap",
    "cap_1d": "rolling 1-day spend cap",
    "cap_7d": "rolling 7-day spend cap",
    "quota": "lifetime quota",
    "model_cap": "per-model quota cap",
    "plan_window": "plan's message allowance for this 12-hour window",
}


# Request ids: a random per-process prefix and a counter; unique without a syscall per request.
_ID_PREFIX = f"req_{secrets.token_hex(6)}{os.getpid():x}_"
_ids = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):x}"


@dataclass
class Call:
    """Everything one request needs, copied out of the database session so a stream can outlive it."""
    api: str  # the caller's format: "openai" | "anthropic"
    op: str  # "chat" | "messages" | "embeddings" | "responses"
    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.monotonic)
    forwarded_at: float = 0.0  # when the request last left for a provider (monotonic; 0: never)
    created_at: dt.datetime = field(default_factory=utcnow)
    key: KeyContext | None = None
    model_name: str | None = None
    model: ModelInfo | None = None
    multiplier: Decimal | None = None
    body: dict | None = None
    stream: bool = False
    include_usage: bool = False
    prompt_bound: int = 0
    requested_output: int | None = None
    max_output: int = 0
    cap_limited: bool = False  # the per-request cap, not the caller, set max_output
    hold: int = 0
    held: bool = False
    wallet_available: int | None = None
    key_remaining: int | None = None
    routes: list = field(default_factory=list)  # the routes to try, in order; admission may drop full ones
    turn: Any = None  # /v1/responses: the conversation and response id (app.gateway.responses.Turn)
    media: Any = None  # images, speech, transcription: the checked request (app.gateway.media.MediaRequest)


def authenticate(call: Call, fresh: bool = False) -> KeyContext:
    secret = _presented_key()
    if not secret:
        raise GatewayError(401, "authentication_error", "missing API key: send 'Authorization: Bearer <key>' "
                           "or 'x-api-key: <key>'", code="missing_api_key")
    key = keycache.lookup(secret, current_app.config["GATEWAY_KEY_CACHE_SECONDS"], fresh)
    if key is None:
        raise GatewayError(401, "authentication_error", "invalid API key", code="invalid_api_key")
    if key.status == "revoked":
        raise GatewayError(401, "authentication_error", "this API key has been revoked", code="revoked_api_key")
    if key.status == "expired" or (key.expires_at is not None and key.expires_at <= utcnow()):
        raise GatewayError(401, "authentication_error", "this API key has expired", code="expired_api_key")
    call.key = key
    if key.org_status != "active":
        raise GatewayError(403, "permission_error", f"this key's organization is {key.org_status}",
                           code="org_" + key.org_status)
    return key


def _presented_key() -> str | None:
    auth = request.headers.get("Authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return request.headers.get("x-api-key") or None


def key_bucket() -> str:
    """The flask-limiter bucket of the presented key, for endpoints limited per key rather than by its RPM."""
    secret = request.headers.get("x-api-key") or request.headers.get("Authorization", "")
    return "me:" + hash_key(secret)[:32]


def resolve_model(call: Call, name: str) -> ModelInfo:
    call.model_name = name
    cat = catalog.current()
    model = cat.models.get(name)
    if model is None or not model.enabled:
        raise GatewayError(404, "not_found_error", f"model '{name}' does not exist or is disabled",
                           code="model_not_found", param="model")
    try:
        multiplier = _access(call.key, model, cat)
    except GatewayError:
        # A cached key refused a model: its groups may have just been changed by an admin
        # (a grant, a lifted restriction). Only this refusal path pays the Redis read.
        if keycache.is_current(call.key):
            raise
        multiplier = _access(authenticate(call, fresh=True), model, cat)
    kind = model.kind if model.kind in MODEL_KINDS else "chat"
    if kind != _KIND_FOR_OP.get(call.op, "chat"):
        raise invalid(f"model '{name}' is {'an' if kind[0] in 'aei' else 'a'} {kind} model and cannot be used "
                      f"on this endpoint", "model")
    call.model = model
    call.multiplier = multiplier
    return model


MODEL_KINDS = ("chat", "embedding", "image", "speech", "transcription")
# The kind of model each operation needs; chat models serve chat, messages and responses.
_KIND_FOR_OP = {"embeddings": "embedding", "images": "image", "speech": "speech", "transcription": "transcription"}


def _access(key: KeyContext, model: ModelInfo, cat) -> Decimal:
    """The key's multiplier for ``model``, or the refusal when the key may not call it."""
    name = model.public_id
    multiplier = cat.multiplier_for(model, key.granted_groups, key.public_groups)
    if (key.allowed_models and name not in key.allowed_models) or multiplier is None:
        raise GatewayError(403, "permission_error", f"this key may not call model '{name}'",
                           code="model_not_allowed", param="model")
    if model.plan_ids and key.plan_id not in model.plan_ids:
        raise GatewayError(403, "permission_error", f"model '{name}' is not available on this organization's plan",
                           code="model_not_on_plan", param="model")
    return multiplier


def size_request(call: Call, requested_output: int | None, prompt_bound: int) -> None:
    """Set the output limit and the hold; the per-request cap may lower the limit."""
    model, key = call.model, call.key
    call.prompt_bound, call.requested_output = prompt_bound, requested_output
    limit = requested_output or model.max_output_tokens
    if prompt_bound > model.context_length:
        raise invalid(f"the prompt may need up to {prompt_bound} tokens, above this model's context of "
                      f"{model.context_length}", "messages")
    if key.per_request_cap is not None and call.op != "embeddings":
        affordable = pricing.affordable_output(model, call.multiplier, prompt_bound, key.per_request_cap)
        if affordable < 1:
            raise invalid(f"this prompt alone may cost more than the key's per-request cap of "
                          f"{key.per_request_cap} credits", "messages")
        if affordable < limit:
            limit, call.cap_limited = affordable, True
    call.max_output = limit
    output = 0 if call.op == "embeddings" else limit
    call.hold = pricing.hold_amount(model, call.multiplier, prompt_bound, output)


def reserve(call: Call, routes: list) -> None:
    """Admit the request and place its hold; ``call.routes`` becomes ``routes`` from the first
    one whose provider has room in its RPM limit for this caller."""
    call.routes = routes
    # TPM counts what the request may use while it is in flight; settlement corrects it.
    tokens = call.prompt_bound + (0 if call.op == "embeddings" else call.max_output)
    result = holds.reserve(_hold_request(call, tokens))
    if result.error == "stale_key":
        # A key was revoked somewhere since this process cached the caller's: reload it (a
        # revoked key, deleted owner or paused org is refused here) and admit on what is true now.
        authenticate(call, fresh=True)
        call.multiplier = _access(call.key, call.model, catalog.current())  # its allowlist may have narrowed too
        size_request(call, call.requested_output, call.prompt_bound)  # and its caps changed
        tokens = call.prompt_bound + (0 if call.op == "embeddings" else call.max_output)
        result = holds.reserve(_hold_request(call, tokens))
    if not result.ok:
        cap_alerts.note_refusal(call.key.key_id, result.error, call.model_name)  # refusals only
        raise refusal(result, tokens)
    call.held = True
    call.wallet_available, call.key_remaining = result.wallet_available, result.key_remaining
    call.routes = call.routes[result.route:]


def _hold_request(call: Call, tokens: int) -> holds.HoldRequest:
    key = call.key
    return holds.HoldRequest(
        request_id=call.request_id, wallet_id=key.wallet_id, key_id=key.key_id, org_id=key.org_id,
        model=call.model_name, amount=call.hold, est_tokens=tokens,
        rpm_limit=key.rpm_limit, tpm_limit=key.tpm_limit, quota=key.quota,
        cap_5h=key.cap_5h, cap_1d=key.cap_1d, cap_7d=key.cap_7d,
        model_cap=key.model_caps.get(call.model_name), messages_per_12h=key.messages_per_12h,
        key_generation=key.generation, concurrency=key.concurrency, routes=route_caps(call.routes, key.priority),
    )


def route_caps(routes: list, priority: bool) -> tuple:
    """(provider id, this caller's cap, RPM limit) per route; () when no provider has a limit."""
    if not any(r.provider.rpm_limit for r in routes):
        return ()
    return tuple((r.provider.id, provider_cap(r.provider.rpm_limit, priority), r.provider.rpm_limit)
                 for r in routes)


def fallback_allowed(call: Call, route) -> bool:
    """Admission counted the request against its first route only: a later one with an RPM
    limit must have room for this caller too (a Redis call on this rare path only)."""
    cap = provider_cap(route.provider.rpm_limit, call.key.priority)
    return cap is None or holds.take_provider_slot(call.request_id, route.provider.id, cap)


def provider_cap(limit: int | None, priority: bool) -> int | None:
    """The requests per minute a caller may count against a provider's limit: all of it on a
    priority plan, the limit less the share kept for priority plans otherwise."""
    if limit is None or priority:
        return limit
    return limit - math.ceil(limit * current_app.config["GATEWAY_PRIORITY_SHARE_PERCENT"] / 100)


def refusal(result, tokens: int = 0) -> GatewayError:
    """The caller's error for a refused hold; ``tokens`` is what the request counts in TPM."""
    err = result.error
    if err == "stale_key":
        return unavailable()  # keys were revoked again while this one reloaded: the caller retries
    if err == "tpm" and tokens > result.limit:
        return GatewayError(429, "rate_limit_error", f"this request may use up to {tokens} tokens (its prompt "
                            f"plus its maximum output), above this key's limit of {result.limit} tokens per "
                            f"minute; lower max_tokens or shorten the prompt", code="tpm_limit_exceeded")
    if err in ("rpm", "tpm"):
        unit = "requests" if err == "rpm" else "tokens"
        wait = f"; retry in {result.retry_after} s" if result.retry_after else ""
        return GatewayError(429, "rate_limit_error", f"this key's limit of {result.limit} {unit} per minute "
                            f"(any 60 s) is reached{wait}", code=f"{err}_limit_exceeded",
                            headers=_retry_after(result))
    if err == "concurrency":
        return GatewayError(429, "rate_limit_error", f"this organization's plan allows {result.limit} requests in "
                            f"flight at once and {result.used} are running; retry when one ends",
                            code="concurrency_limit_exceeded")
    if err == "provider_priority":
        return GatewayError(429, "rate_limit_error", "the providers of this model are near their rate limits and "
                            "the capacity left is kept for priority plans; retry shortly or upgrade the plan",
                            code="priority_capacity_reserved", headers=_retry_after(result))
    if err == "provider_rpm":
        return GatewayError(429, "rate_limit_error", "the providers of this model are at their rate limits "
                            f"({result.limit} requests per minute on the first); retry shortly",
                            code="provider_rate_limited", headers=_retry_after(result))
    if err == "plan_window":
        return GatewayError(429, "rate_limit_error", f"the {CAP_NAMES[err]} ({result.limit} messages) is used up",
                            code="plan_window_exhausted", headers=_retry_after(result))
    if err in CAP_NAMES:
        return GatewayError(429, "rate_limit_error", f"this key's {CAP_NAMES[err]} is exhausted ({result.used} of "
                            f"{result.limit} credits used or held)", code=f"{err}_exhausted",
                            headers=_retry_after(result))
    if err == "insufficient_funds":
        return GatewayError(402, "insufficient_quota", f"the wallet cannot cover this request's hold of "
                            f"{result.limit} credits ({result.used} available)", code="insufficient_quota")
    return GatewayError(500, "api_error", f"unexpected admission result {err!r}")


def _retry_after(result) -> dict:
    return {"Retry-After": result.retry_after} if result.retry_after else {}


def parse_body(call: Call) -> dict:
    raw = read_body(current_app.config["GATEWAY_MAX_BODY_BYTES"])
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"request body is not valid JSON: {exc}") from None
    body = validate.require_object(body)
    validate.require_shallow(body)
    call.body = body
    return body


def read_body(limit: int) -> bytes:
    """The request body, refused with 413 from its Content-Length or once a body without one passes ``limit``."""
    length = request.content_length
    if length is not None:
        if length > limit:
            raise too_large(limit)
        return request.get_data(cache=False)
    stream, buf = request.stream, bytearray()
    while part := stream.read(min(1 << 20, limit + 1 - len(buf))):
        buf += part
        if len(buf) > limit:
            raise too_large(limit)
    return bytes(buf)


def too_large(limit: int) -> GatewayError:
    return GatewayError(413, "request_too_large", f"the request body is larger than this gateway's limit of "
                        f"{limit} bytes", code="request_too_large")
