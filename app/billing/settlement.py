"""The settlement flusher: writes settled usage from Redis to PostgreSQL in batches.

``holds.settle`` queues each request's usage record in ``tg:usage:q``. A flusher claims
up to ``GATEWAY_FLUSH_BATCH`` records (lua/claim.lua), writes them in ONE transaction
(usage rows, one ``usage`` ledger row per charged request, key and key-model spend),
then finishes the batch in Redis (lua/finish.lua) so "available" stays exact without a
reload. A batch claimed but not finished within ``STALE_MS`` (its flusher died) is claimed
again by any flusher, and one whose database connection failed is handed out again at once; every write is idempotent on the request id, so a crash can neither lose nor
double a charge. When a batch fails for any reason but a lost database connection, its
records are written one by one and each one PostgreSQL refuses is parked with its reason
(``parking``), to be replayed by the reconciler (``reconcile``); the others are booked.

``Flusher`` runs this in a daemon thread (a greenlet under gevent) every ``INTERVAL_S``,
or at once when ``GATEWAY_FLUSH_BATCH`` records wait, and sweeps expired holds every
``SWEEP_EVERY_S``. ``stop(drain=True)`` empties the queue: call it at normal shutdown
(``app.serving`` registers it with atexit in each web process).
"""
import datetime as dt
import json
import logging
import threading
import time
from collections import defaultdict
from decimal import Decimal

from flask import Flask, current_app
from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..extensions import db
from ..models import ApiKey, KeyModelSpend, UsageLog
from . import flush_wake, holds, mirror, money, parking

INTERVAL_S = 0.15
SWEEP_EVERY_S = 3.0
STALE_MS = 60_000
log = logging.getLogger(__name__)

_USAGE_COLUMNS = {c.key for c in UsageLog.__table__.columns} - {"id"}


def flush_all(app: Flask | None = None, now_ms: int | None = None) -> int:
    """Write every queued record now; returns how many. One cheap round trip when the queue is empty."""
    with (app.app_context() if app is not None else _nullcontext()):
        written = 0
        while True:
            count = flush_batch(now_ms)
            if count == 0:
                return written
            written += count


def flush_batch(now_ms: int | None = None) -> int:
    """Claim, write and finish one batch; returns its record count (0: nothing waiting)."""
    scripts = mirror.scripts()
    size = int(current_app.config.get("GATEWAY_FLUSH_BATCH", 500))
    try:
        _hand_back_unfinished()
        reply = scripts.claim(args=[holds.clock_ms() if now_ms is None else now_ms, size, STALE_MS])
    except holds._REDIS_DOWN as exc:
        raise holds.MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    if not reply:
        return 0
    batch_id, envelopes = reply[0].decode(), [json.loads(item) for item in reply[1:]]
    costs = _account_costs(envelopes)
    try:
        if not scripts.begin(args=[batch_id, *costs]):
            return len(envelopes)  # another flusher finished it meanwhile
    except holds._REDIS_DOWN as exc:
        _unfinished.add(batch_id)
        raise holds.MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    parked: set[int] = set()
    try:
        write_records(envelopes)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - whatever one record does, the others must still be written
        db.session.rollback()
        if unreachable(exc):
            _release_claim(batch_id)
            raise
        parked = _write_one_by_one(envelopes)
        costs = _account_costs([env for env in envelopes if id(env) not in parked])
    finish_args = [batch_id]
    for account, cost in costs.items():
        finish_args += [account, cost]
    try:
        if not parked:
            scripts.finish(args=finish_args)
            return len(envelopes)
        # One MULTI: a batch is never finished without its parked costs recorded as phantoms.
        pipe = current_app.extensions["tollgate_redis"].client.pipeline(transaction=True)
        parking.mark_phantoms(batch_id, [env for env in envelopes if id(env) in parked], pipe)
        scripts.finish(args=finish_args, client=pipe)
        pipe.execute()
    except holds._REDIS_DOWN as exc:  # committed: the batch is redone, idempotently, then finished
        _unfinished.add(batch_id)
        raise holds.MeterUnavailable(f"Redis is unreachable: {exc}") from exc
    return len(envelopes)


# Batches this process claimed but could not finish because Redis went away. They are handed
# out again as soon as Redis answers (by the next flush of any process), not STALE_MS later.
_unfinished: set[str] = set()


def _hand_back_unfinished() -> None:
    if not _unfinished:
        return
    batches = set(_unfinished)
    # xx: only batches still claimed; one finished meanwhile is gone and stays gone.
    current_app.extensions["tollgate_redis"].client.zadd(mirror.PREFIX + "usage:batches",
                                                         {b: 0 for b in batches}, xx=True)
    _unfinished.difference_update(batches)


def still_queued(app: Flask) -> int | None:
    """Records waiting in Redis: the queue plus every claimed, unfinished batch (None if Redis is away)."""
    with app.app_context():
        client = app.extensions["tollgate_redis"].client
        try:
            batches = client.zrange(mirror.PREFIX + "usage:batches", 0, -1)
            pipe = client.pipeline(transaction=False)
            pipe.llen(mirror.USAGE_QUEUE)
            for batch_id in batches:
                pipe.llen(mirror.PREFIX + "usage:b:" + batch_id.decode())
            return sum(pipe.execute())
        except holds._REDIS_DOWN:
            return None


def _release_claim(batch_id: str) -> None:
    """The database went away mid-batch: let the next flush (any process's) take the batch at once
    instead of after STALE_MS, so a restarted or failed-over PostgreSQL books it within seconds."""
    _unfinished.add(batch_id)
    try:
        _hand_back_unfinished()
    except holds._REDIS_DOWN:
        pass  # handed back once Redis answers again


def unreachable(exc: BaseException) -> bool:
    """The database itself failed (connection lost, server gone), as opposed to refusing one record."""
    return isinstance(exc, (OperationalError, InterfaceError)) or \
        (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _write_one_by_one(envelopes: list[dict]) -> set[int]:
    """Write each record in its own savepoint; park each one that fails, with its reason.

    A parked record's cost stays in "unflushed" (the meter keeps counting it, conservatively)
    until the reconciler replays or writes it off (app.billing.reconcile).
    """
    parked: set[int] = set()
    for env in envelopes:
        try:
            with db.session.begin_nested():
                write_records([env])
        except Exception as exc:  # noqa: BLE001 - see flush_batch
            if unreachable(exc):
                raise
            parked.add(id(env))
            reason = f"{type(exc).__name__}: {exc}"
            log.error("usage record %r cannot be written and was parked: %s", env["r"].get("request_id"), reason)
            try:
                parking.park(db.session, env, reason)
            except Exception as park_exc:  # noqa: BLE001 - keep it in Redis rather than lose it
                if unreachable(park_exc):
                    raise
                parking.park_in_redis(env, reason)
    db.session.commit()
    return parked


def _account_costs(envelopes: list[dict]) -> dict[str, int]:
    # Exactly the accounts settle.lua added the costs to (zero-cost ones still need begin/finish).
    costs: dict[str, int] = defaultdict(int)
    for env in envelopes:
        for account in mirror.envelope_accounts(env):
            costs[account] += int(env["cost"])
    return dict(costs)


def write_records(envelopes: list[dict]) -> None:
    """Usage rows, ledger charges and key spend for these records, in the caller's transaction.

    Idempotent on the request id: a record whose usage row exists already is not charged again.
    """
    session = db.session
    rows = [_usage_row(env) for env in envelopes]
    fresh = _insert_usage(session, rows)
    charged = [env for env in envelopes if env["r"]["request_id"] in fresh and env.get("w") is not None]
    applied = money.post_usage_batch(session, [
        money.UsageCharge(int(env["w"]), env["r"]["request_id"], int(env["cost"]),
                          {"model": env["m"], "api_key_id": env["k"], **({"clamped": True} if env["clamped"] else {})})
        for env in charged if int(env["cost"]) > 0])
    key_spend: dict[int, int] = defaultdict(int)
    model_spend: dict[tuple[int, str], int] = defaultdict(int)
    last_used: dict[int, dt.datetime] = {}
    for env in charged:
        key_id, rid = int(env["k"]), env["r"]["request_id"]
        created = dt.datetime.fromisoformat(env["r"]["created_at"])
        last_used[key_id] = max(last_used.get(key_id, created), created)
        if rid in applied:
            key_spend[key_id] += int(env["cost"])
            model_spend[(key_id, env["m"])] += int(env["cost"])
    for key_id in sorted(last_used):
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(
            spent=ApiKey.spent + key_spend.get(key_id, 0),
            # Batches can settle out of order; the later use wins (CASE, not greatest(): SQLite lacks it).
            last_used_at=case((ApiKey.last_used_at > last_used[key_id], ApiKey.last_used_at), else_=last_used[key_id]),
        ).execution_options(synchronize_session=False))
    if model_spend:
        _upsert_model_spend(session, model_spend)


def _usage_row(env: dict) -> dict:
    record = env["r"]
    row = {k: v for k, v in record.items() if k in _USAGE_COLUMNS}
    row["created_at"] = dt.datetime.fromisoformat(record["created_at"])
    row["multiplier"] = Decimal(str(record.get("multiplier") or "1"))
    # Records queued by an older release lack the newer columns; a batch must share one shape.
    for name in ("cache_write_tokens", "cache_write_cost", "unbilled_cost"):
        row.setdefault(name, 0)
    row.setdefault("cost_clamped", False)
    if env.get("clamped") or row["cost_clamped"]:
        row["error_type"] = row.get("error_type") or "cost_clamped_to_hold"
        row["cost_clamped"] = True
    return row


def _insert_usage(session, rows: list[dict]) -> set[str]:
    """Insert usage rows not yet present; returns the request ids inserted now (the receipt of a charge)."""
    if not rows:
        return set()
    unique = list({r["request_id"]: r for r in rows}.values())
    # One statement on both databases (SQLite has ON CONFLICT ... RETURNING since 3.35): a row
    # another flusher wrote meanwhile is skipped, never an error. executemany
    # ("insertmanyvalues"): a multi-VALUES statement would be compiled afresh per batch.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(UsageLog.__table__).on_conflict_do_nothing(index_elements=["request_id"])
    return set(session.connection().execute(stmt.returning(UsageLog.__table__.c.request_id), unique).scalars())


def _upsert_model_spend(session, spend: dict[tuple[int, str], int]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = [{"api_key_id": k, "model": m, "spent": v} for (k, m), v in sorted(spend.items())]
    table = KeyModelSpend.__table__
    stmt = dialect.insert(table)
    session.connection().execute(stmt.on_conflict_do_update(
        index_elements=["api_key_id", "model"], set_={"spent": table.c.spent + stmt.excluded.spent}), values)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class Flusher:
    """Background flush + sweep loop for one process: ``Flusher().start(app)``, ``stop(drain=True)``."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, app: Flask) -> "Flusher":
        self.app = app
        self._thread = threading.Thread(target=self._run, name="tollgate-flusher", daemon=True)
        self._thread.start()
        flush_wake.register(self._wake)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, drain: bool = True, timeout: float = 30.0) -> int | None:
        """Stop the loop; with ``drain``, write everything still queued before returning.

        Returns how many records are still in Redis afterwards (queued or in a claimed
        batch), None when Redis cannot tell. Records parked meanwhile are not counted:
        they are in PostgreSQL (``reconcile.summary``).
        """
        flush_wake.unregister(self._wake)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if drain and self.app is not None:
            try:
                flush_all(self.app)
            except Exception:  # noqa: BLE001 - at exit, what is left stays queued in Redis for the next process
                log.exception("could not drain the usage queue at stop; it stays queued in Redis")
        return still_queued(self.app) if self.app is not None else None

    def _run(self) -> None:
        last_sweep = 0.0
        with self.app.app_context():
            while not self._stopping.is_set():
                self._wake.wait(float(self.app.config.get("GATEWAY_FLUSH_INTERVAL_S", INTERVAL_S)))
                self._wake.clear()
                try:
                    while not self._stopping.is_set() and flush_batch():
                        pass
                    if time.monotonic() - last_sweep >= SWEEP_EVERY_S:
                        holds.sweep_expired()
                        last_sweep = time.monotonic()
                except Exception:  # noqa: BLE001 - the loop must survive an outage; batches wait in Redis
                    log.exception("settlement flush failed; retrying")
                    db.session.rollback()
                    self._stopping.wait(1.0)
                finally:
                    db.session.remove()

