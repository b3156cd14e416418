"""Keeping usage that could not be booked, in PostgreSQL, until the reconciler replays it.

Two ways in: the flusher parks a record PostgreSQL refused (``park``, in the flusher's own
transaction), and the gateway records a request whose settlement failed because Redis
was unreachable after the answer was sent (``record_unsettled``, on its own connection).
Both store the record's envelope, the same shape as ``tg:usage:q`` items, so the
reconciler replays it through the flusher's own write. ``app.billing.reconcile`` reads
them back.
"""
import json
import logging

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import UnsettledUsage, utcnow
from ..models.unsettled import OPEN, PARKED, UNSETTLED
from . import mirror

log = logging.getLogger(__name__)


def storable(value: str | None, limit: int | None = None) -> str | None:
    """Text PostgreSQL accepts: no NUL (it cannot hold one), valid UTF-8, at most ``limit`` characters."""
    if value is None:
        return None
    value = str(value).replace("\x00", "\ufffd")
    value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return value[:limit] if limit else value


def escaped(envelope: dict) -> str:
    """The envelope as JSON text with every non-ASCII character escaped: a NUL is kept as \\u0000."""
    return json.dumps(envelope, ensure_ascii=True, default=str)


def _row(envelope: dict, kind: str, reason: str) -> dict:
    record = envelope.get("r") or {}
    return {"request_id": storable(record.get("request_id") or "?", 64), "kind": kind, "status": OPEN,
            "wallet_id": envelope.get("w"), "api_key_id": envelope.get("k"), "cost": int(envelope.get("cost") or 0),
            "reason": storable(reason, 2000), "envelope": escaped(envelope), "attempts": 0, "created_at": utcnow()}


def _insert(session_or_conn, rows: list[dict]) -> None:
    bind = session_or_conn if hasattr(session_or_conn, "dialect") else session_or_conn.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(UnsettledUsage.__table__).on_conflict_do_nothing(index_elements=["request_id"])
    session_or_conn.execute(stmt, rows)


def park(session, envelope: dict, reason: str) -> None:
    """Keep a record the flusher could not write; raises if PostgreSQL refuses this too."""
    with session.begin_nested():
        _insert(session, [_row(envelope, PARKED, reason)])


def park_in_redis(envelope: dict, reason: str) -> None:
    """Last resort when even the parked row cannot be written: ``tg:usage:dead``, adopted by the reconciler."""
    current_app.extensions["tollgate_redis"].client.rpush(
        mirror.USAGE_DEAD, json.dumps({"error": storable(reason, 500), **envelope}))


def mark_phantoms(batch_id: str, envelopes: list[dict], client) -> None:
    """Remember the parked records' costs, still counted as unflushed, for unpark.lua to take out once.

    ``client`` is the flusher's MULTI pipeline, which finishes the batch in the same step.
    """
    args = [batch_id]
    for env in envelopes:
        accounts = mirror.envelope_accounts(env)
        if accounts and int(env.get("cost") or 0) > 0:
            args += [env["r"]["request_id"], "\n".join([str(int(env["cost"])), *accounts])]
    if len(args) > 1:
        mirror.scripts().park(args=args, client=client)


def record_unsettled(record: dict, cost: int, reason: str) -> bool:
    """The request ended but could not be settled in Redis: keep it for the reconciler.

    Written on its own connection and committed at once: the caller's session belongs to
    the request. Returns False (and logs the record in full) when PostgreSQL refuses too.
    """
    envelope = {"cost": int(cost), "clamped": False, "held": True, "w": record.get("wallet_id"),
                "k": record.get("api_key_id"), "m": record.get("model"), "r": record}
    try:
        with db.engine.begin() as conn:
            _insert(conn, [_row(envelope, UNSETTLED, reason)])
        return True
    except SQLAlchemyError:
        log.exception("UNSETTLED USAGE NOT RECORDED, book it by hand: %s", escaped(envelope))
        return False
