"""Holds: the gateway's admission check and settlement, one Redis round trip each.

``reserve`` runs lua/reserve.lua: RPM, TPM, plan window, rolling 5h/1d/7d caps, lifetime
quota, per-model cap and wallet, in that order; when all pass it counts the request and
places a hold of the worst-case cost on the wallet, the key and the key-model account.
A replay of an admitted request id answers the first result and holds nothing more (redis-py
resends a script whose reply timed out). A refusal's ``retry_after`` is the time at which
every failing check passes, or None when no time will (docs/billing.md "Limits and windows").
``settle`` releases the hold, books the actual cost and queues the usage record, which
``settlement`` writes to PostgreSQL in batches. A stream's ``heartbeat`` keeps its hold
alive and checkpoints what it has delivered; ``sweep_expired`` settles an expired hold
at its checkpoint, or releases it when nothing was delivered. Key names: see ``mirror``.

Fails closed: if Redis, or PostgreSQL while loading a snapshot, is unreachable,
``MeterUnavailable`` is raised and the gateway answers 503 without forwarding.
"""
import random
import time

import orjson
from dataclasses import dataclass

import redis.exceptions
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import ApiKey, KeyModelSpend, UnsettledUsage, Wallet
from ..models.unsettled import OPEN, UNSETTLED
from . import flush_wake, mirror

# Snapshot loads race with commits; each retry means a commit landed meanwhile. On a busy
# wallet flushes can land faster than a load completes, so later attempts wait a jittered,
# growing pause (about 1 s in all) to fall between two flushes instead of failing with 503.
_LOAD_ATTEMPTS = 10
_LOAD_PAUSE_S = 0.01
_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


# The error_type of a usage row the sweep settled at a stream's last checkpoint.
SETTLED_BY_SWEEP = "settled_by_sweep"


class MeterUnavailable(RuntimeError):
    """Redis or PostgreSQL cannot be reached: nothing may be forwarded or charged."""


@dataclass(frozen=True)
class HoldRequest:
    request_id: str
    wallet_id: int
    key_id: int
    org_id: int | None
    model: str
    amount: int
    est_tokens: int  # counted in TPM while in flight: prompt bound + maximum output
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    quota: int | None = None
    cap_5h: int | None = None
    cap_1d: int | None = None
    cap_7d: int | None = None
    model_cap: int | None = None
    messages_per_12h: int | None = None
    key_generation: str = ""  # the key cache's revocation generation ("" = not checked)
    concurrency: int | None = None  # requests in flight allowed on the wallet (one org's or one person's)
    # The routes the request may take, in the order they are tried, as (provider id, requests this
    # caller may count in the provider's trailing minute, the provider's RPM limit); empty when no
    # route's provider has an RPM limit. See "Provider capacity" in docs/billing.md.
    routes: tuple = ()


@dataclass(frozen=True)
class HoldResult:
    ok: bool
    # stale_key rpm tpm plan_window concurrency cap_5h cap_1d cap_7d quota model_cap insufficient_funds
    # provider_priority provider_rpm duplicate
    error: str | None = None
    limit: int | None = None
    used: int | None = None
    retry_after: int | None = None
    wallet_available: int | None = None
    key_remaining: int | None = None  # None = unlimited
    clamped: bool = False  # settle: the cost exceeded the hold and was cut to it
    route: int = 0  # reserve: index of the first route with room in its provider's RPM (0 with no routes)


def clock_ms() -> int:
    return time.time_ns() // 1_000_000


def reserve(req: HoldRequest, now_ms: int | None = None) -> HoldResult:
    ttl_ms = _hold_ttl_ms()
    args = [req.request_id, int(req.wallet_id), int(req.key_id), _opt(req.org_id), req.model, int(req.amount),
            int(req.est_tokens), _opt(req.rpm_limit), _opt(req.tpm_limit), _opt(req.quota), _opt(req.cap_5h),
            _opt(req.cap_1d), _opt(req.cap_7d), _opt(req.model_cap), _opt(req.messages_per_12h),
            clock_ms() if now_ms is None else now_ms, ttl_ms, req.key_generation, _opt(req.concurrency)]
    for provider_id, cap, limit in req.routes:
        args += [int(provider_id), _opt(cap), _opt(limit)]
    reply = _run("reserve", args)
    if reply[0] == b"ok":
        return HoldResult(True, wallet_available=int(reply[1]), key_remaining=_remaining(reply[2]),
                          route=max(int(reply[3]) - 1, 0) if len(reply) > 3 else 0)
    return HoldResult(False, error=reply[0].decode(), limit=int(reply[1]), used=int(reply[2]),
                      retry_after=int(reply[3]) or None)


def settle(request_id: str, cost: int, actual_tokens: int, record: dict, now_ms: int | None = None) -> HoldResult:
    """Charge ``cost`` (at most the hold) once per request id; replays change nothing."""
    if not isinstance(cost, int) or isinstance(cost, bool):
        raise TypeError(f"cost must be an integer number of credits, got {cost!r}")
    wallet_id, key_id, model = int(record["wallet_id"]), int(record["api_key_id"]), str(record["model"])
    args = [request_id, max(cost, 0), int(actual_tokens), orjson.dumps(record),
            clock_ms() if now_ms is None else now_ms, wallet_id, key_id, model, orjson.dumps(model)]
    reply = _run("settle", args)
    if reply[0] != b"ok":
        return HoldResult(False, error="duplicate", wallet_available=None if reply[1] is None else int(reply[1]))
    flush_wake.notify(int(reply[3]))
    wallet, key = reply[1], reply[2]
    if wallet is None or key is None:  # a snapshot expired meanwhile: load it
        quota = reply[5].decode() if isinstance(reply[5], bytes) else reply[5]
        wallet, key = balances(wallet_id, key_id, int(quota) if quota not in ("", None) else None)
        key = -1 if key is None else key
    return HoldResult(True, wallet_available=int(wallet), key_remaining=_remaining(key), clamped=bool(reply[4]))


def release(request_id: str, record: dict, now_ms: int | None = None) -> HoldResult:
    """The request failed: release its hold, charge nothing, still log it."""
    return settle(request_id, 0, 0, record, now_ms=now_ms)


def take_provider_slot(request_id: str, provider_id: int, cap: int, now_ms: int | None = None) -> bool:
    """Count a fallback attempt in its provider's trailing minute; False when it has no room for the caller."""
    args = [request_id, int(provider_id), int(cap), clock_ms() if now_ms is None else now_ms]
    try:
        return bool(mirror.scripts().provider(args=args))
    except _REDIS_DOWN as exc:
        raise MeterUnavailable(f"Redis is unreachable: {exc}") from exc


def log_only(record: dict) -> None:
    """Queue the usage row of a request refused before any hold."""
    envelope = {"cost": 0, "clamped": False, "held": False, "w": None, "k": None, "m": None, "r": record}
    try:
        waiting = current_app.extensions["tollgate_redis"].client.rpush(
            mirror.USAGE_QUEUE, orjson.dumps(envelope))
    except _REDIS_DOWN as exc:
        raise MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    flush_wake.notify(int(waiting))


def balances(wallet_id: int, key_id: int, quota: int | None) -> tuple[int, int | None]:
    """(wallet available, key quota remaining or None if unlimited) right now."""
    reply = _run("balances", [int(wallet_id), int(key_id), _opt(quota)])
    return int(reply[1]), _remaining(reply[2])


def heartbeat(request_id: str, checkpoint: tuple[int, int, dict] | None = None, now_ms: int | None = None) -> bool:
    """Keep a live stream's hold from expiring; store what it delivered so far, if anything.

    ``checkpoint`` is (cost so far in credits, tokens so far, usage record): what the sweep
    charges should this process die. False means the hold is gone (settled, or taken by
    the sweep): nothing sent from then on could be charged, so the stream must stop.
    """
    ttl_ms = _hold_ttl_ms()
    cost, tokens, record = ("", "", b"") if checkpoint is None else (
        int(checkpoint[0]), int(checkpoint[1]), orjson.dumps(checkpoint[2]))
    args = [request_id, clock_ms() if now_ms is None else now_ms, ttl_ms, cost, tokens, record]
    try:
        return bool(mirror.scripts().heartbeat(args=args))
    except _REDIS_DOWN as exc:
        raise MeterUnavailable(f"Redis is unreachable: {exc}") from exc


def sweep_expired(now_ms: int | None = None, limit: int = 1000) -> int:
    """End holds past their expiry; returns how many. Run by the flusher every few seconds.

    A hold with a checkpoint is settled at it, exactly as its own settle would have been;
    one without (nothing was delivered) is released with nothing charged.
    """
    when = clock_ms() if now_ms is None else now_ms
    try:
        reply = mirror.scripts().sweep(args=[when, limit])
    except _REDIS_DOWN as exc:
        raise MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    swept = [(reply[i].decode(), int(reply[i + 1]), int(reply[i + 2]), orjson.loads(reply[i + 3]))
             for i in range(1, len(reply), 4)]
    # A request whose own settlement was kept in PostgreSQL (Redis was away when it ended) is
    # booked in full by the reconciler, which then releases its hold: its checkpoint, older and
    # smaller, must not be charged first. Such a hold stays due until then.
    kept = _kept_unsettled([rid for rid, *_ in swept])
    for request_id, cost, tokens, record in swept:
        if request_id not in kept:
            settle(request_id, cost, tokens, record, now_ms=when)
    return int(reply[0]) + (len(reply) - 1) // 4


def _kept_unsettled(request_ids: list[str]) -> set[str]:
    if not request_ids:
        return set()
    with db.engine.connect() as conn:  # its own connection: the caller's session is not ours to use
        return set(conn.scalars(select(UnsettledUsage.request_id).where(
            UnsettledUsage.request_id.in_(request_ids), UnsettledUsage.kind == UNSETTLED,
            UnsettledUsage.status == OPEN)))


def _hold_ttl_ms() -> int:
    return int(current_app.config["GATEWAY_HOLD_TTL_S"]) * 1000


def _run(name: str, args: list) -> list:
    """Run a meter script; load the snapshots it asks for and run it again."""
    try:
        script = getattr(mirror.scripts(), name)
        for attempt in range(_LOAD_ATTEMPTS):
            reply = script(args=args)
            if reply[0] != b"load":
                return reply
            if attempt >= 2:
                time.sleep(random.uniform(1, 2) * _LOAD_PAUSE_S * min(2 ** (attempt - 2), 16))
            _load([account.decode() for account in reply[1:]])
    except _REDIS_DOWN as exc:
        raise MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    raise MeterUnavailable("balances kept changing while being loaded; try again")


def _load(accounts: list[str]) -> None:
    # gen is read before the database so that a commit landing in between is detected.
    client = current_app.extensions["tollgate_redis"].client
    pipe = client.pipeline(transaction=False)
    for account in accounts:
        pipe.hget(mirror.account_key(account), "gen")
    gens = pipe.execute()
    args = []
    for account, gen in zip(accounts, gens):
        args += [account, (gen or b"").decode(), _database_value(account)]
    mirror.scripts().load(args=args)  # a refused load leaves the snapshot missing: the caller asks again


def _database_value(account: str) -> int:
    # Its own short connection: the caller's session may hold work it has not committed.
    kind, _, rest = account.partition(":")
    if kind == "w":
        query = select(Wallet.balance).where(Wallet.id == int(rest))
    elif kind == "k":
        query = select(ApiKey.spent).where(ApiKey.id == int(rest))
    else:
        key_id, _, model = rest.partition(":")
        query = select(KeyModelSpend.spent).where(KeyModelSpend.api_key_id == int(key_id),
                                                  KeyModelSpend.model == model)
    try:
        with db.engine.connect() as conn:
            value = conn.scalar(query)
    except SQLAlchemyError as exc:
        raise MeterUnavailable(f"the database is unreachable: {exc}") from exc
    if value is None and kind == "w":
        raise MeterUnavailable(f"wallet {rest} does not exist")
    return int(value or 0)


def _opt(value: int | None) -> int | str:
    return "" if value is None else int(value)


def _remaining(value) -> int | None:
    value = int(value)
    return None if value == -1 else value
