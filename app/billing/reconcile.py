"""The reconciler: books parked and unsettled usage exactly once, or writes it off.

``replay_all`` runs periodically (app/jobs/reconcile.py) and from ``flask tollgate usage
replay``. Each open record is repaired (text made storable, references to deleted rows
dropped) and written through the flusher's own ``write_records``, which is idempotent on
the request id: replaying twice, or replaying a request whose settlement did land after
all, charges once. A record that still fails stays open with the new reason.

After the commit, lua/unpark.lua takes a parked record's cost out of "unflushed" (once)
and drops the snapshots, so the meter shows what the database now holds.
"""
import json
import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import String, func, select

from ..extensions import db
from ..models import UnsettledUsage, UsageLog, utcnow
from ..models.unsettled import OPEN, REPLAYED, UNSETTLED, WRITTEN_OFF
from . import holds, mirror, parking, settlement

log = logging.getLogger(__name__)

# Usage rows the expiry sweep settled at a checkpoint rather than the request itself.
SWEEP_SETTLED = holds.SETTLED_BY_SWEEP
_TEXT_LIMITS = {c.key: c.type.length for c in UsageLog.__table__.columns if isinstance(c.type, String)}


@dataclass
class Replay:
    replayed: int = 0
    cost: int = 0  # credits of the records booked now (charged unless their usage row existed already)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (request id, reason)
    adopted: int = 0  # records moved from tg:usage:dead into PostgreSQL


def replay_all(limit: int | None = 500) -> Replay:
    """Replay the open records (up to ``limit``, None = all); raises only if PostgreSQL is unreachable."""
    session = db.session
    result = Replay(adopted=adopt_dead_list())
    rows = session.scalars(select(UnsettledUsage).where(UnsettledUsage.status == OPEN)
                           .order_by(UnsettledUsage.id).limit(limit).with_for_update(skip_locked=True)).all()
    booked = []
    for row in rows:
        row.attempts += 1
        try:
            envelope = _repaired(json.loads(row.envelope))
            with session.begin_nested():
                settlement.write_records([envelope])
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            if settlement.unreachable(exc):
                raise
            row.reason = parking.storable(f"{type(exc).__name__}: {exc}", 2000)
            result.failed.append((row.request_id, row.reason))
            continue
        row.status, row.resolved_at = REPLAYED, utcnow()
        result.replayed += 1
        result.cost += row.cost
        booked.append((row.request_id, mirror.envelope_accounts(envelope), row.kind, envelope["r"]))
    session.commit()
    for request_id, accounts, kind, record in booked:
        _unpark(request_id, accounts)
        if kind == UNSETTLED:
            _end_hold(request_id, record)
    clear_resolved_phantoms()
    return result


def write_off(request_id: str, note: str) -> bool:
    """Give up on an open record: nothing is charged, its phantom unflushed spend is cleared."""
    session = db.session
    row = session.scalar(select(UnsettledUsage).where(UnsettledUsage.request_id == request_id,
                                                      UnsettledUsage.status == OPEN).with_for_update())
    if row is None:
        return False
    row.status, row.resolved_at, row.note = WRITTEN_OFF, utcnow(), parking.storable(note, 2000)
    session.commit()
    _unpark(request_id, [])
    return True


def adopt_dead_list() -> int:
    """Move records parked in Redis (older releases, or PostgreSQL refusing the parked row) into PostgreSQL."""
    client = current_app.extensions["tollgate_redis"].client
    items = client.lrange(mirror.USAGE_DEAD, 0, -1)
    if not items:
        return 0
    envelopes = []
    for raw in items:
        envelope = json.loads(raw)
        parking.park(db.session, envelope, envelope.pop("error", None) or "parked in Redis")
        envelopes.append(envelope)
    db.session.commit()
    still_open = set(db.session.scalars(select(UnsettledUsage.request_id).where(
        UnsettledUsage.request_id.in_([e["r"]["request_id"] for e in envelopes]), UnsettledUsage.status == OPEN)))
    pipe = client.pipeline(transaction=True)
    for raw, envelope in zip(items, envelopes):
        accounts, rid = mirror.envelope_accounts(envelope), envelope["r"]["request_id"]
        # Their cost was left in "unflushed": it is a phantom to clear once, like a freshly parked one.
        if accounts and int(envelope["cost"]) > 0 and rid in still_open:
            pipe.hsetnx(mirror.PHANTOMS, rid, "\n".join([str(int(envelope["cost"])), *accounts]))
        pipe.lrem(mirror.USAGE_DEAD, 1, raw)
    pipe.execute()
    return len(items)


def clear_resolved_phantoms() -> int:
    """Clear phantoms whose records were resolved but whose clearing never ran (Redis was away)."""
    client = current_app.extensions["tollgate_redis"].client
    pending = [rid.decode() for rid in client.hkeys(mirror.PHANTOMS)]
    if not pending:
        return 0
    resolved = db.session.scalars(select(UnsettledUsage.request_id).where(
        UnsettledUsage.request_id.in_(pending), UnsettledUsage.status != OPEN)).all()
    for request_id in resolved:
        _unpark(request_id, [])
    return len(resolved)


def summary() -> dict:
    """Counts and credit totals of what is not (or not normally) booked, for the back office and the CLI."""
    out = {name: {"count": 0, "cost": 0} for name in ("parked", "unsettled", REPLAYED, WRITTEN_OFF)}
    rows = db.session.execute(select(UnsettledUsage.kind, UnsettledUsage.status, func.count(),
                                     func.coalesce(func.sum(UnsettledUsage.cost), 0))
                              .group_by(UnsettledUsage.kind, UnsettledUsage.status)).all()
    for kind, status, count, cost in rows:
        bucket = out[kind if status == OPEN else status]
        bucket["count"] += int(count)
        bucket["cost"] += int(cost)
    count, cost = db.session.execute(select(func.count(), func.coalesce(func.sum(UsageLog.total_cost), 0))
                                     .where(UsageLog.error_type == SWEEP_SETTLED)).one()
    out["sweep_settled"] = {"count": int(count), "cost": int(cost)}
    try:
        out["redis_dead"] = int(current_app.extensions["tollgate_redis"].client.llen(mirror.USAGE_DEAD))
    except holds._REDIS_DOWN:
        out["redis_dead"] = None  # unknown while Redis is away
    return out


def open_records(limit: int) -> list[UnsettledUsage]:
    """The oldest open records first: those waiting longest need a look."""
    return list(db.session.scalars(select(UnsettledUsage).where(UnsettledUsage.status == OPEN)
                                   .order_by(UnsettledUsage.id).limit(limit)))


def _repaired(envelope: dict) -> dict:
    record = dict(envelope["r"])
    for name, limit in _TEXT_LIMITS.items():
        if isinstance(record.get(name), str):
            record[name] = parking.storable(record[name], limit)
    for fk in UsageLog.__table__.foreign_keys:
        # A provider or project deleted since keeps the row, unlinked; a missing wallet still fails the charge.
        value = record.get(fk.parent.key)
        if value is not None and db.session.scalar(select(fk.column).where(fk.column == value)) is None:
            record[fk.parent.key] = None
    return {**envelope, "r": record}


def _end_hold(request_id: str, record: dict) -> None:
    """A request booked here could not settle because Redis went away; if its hold came back with
    Redis, release it now (a zero settlement: the charge is booked already) instead of leaving
    its credits blocked until the expiry sweep."""
    try:
        holds.release(request_id, record)
    except holds.MeterUnavailable:
        log.warning("could not release the hold of %s: Redis unreachable; the expiry sweep will", request_id)


def _unpark(request_id: str, accounts: list[str]) -> None:
    try:
        mirror.scripts().unpark(args=[request_id, *accounts])
    except holds._REDIS_DOWN:
        # The next run clears the phantom (clear_resolved_phantoms); snapshots expire on their own.
        log.warning("could not clear the meter's phantom spend of %s: Redis unreachable", request_id)
