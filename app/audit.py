"""The audit trail: one helper every back-office write calls, in the caller's transaction.

``record`` only adds a row; the caller's single commit makes the change and its audit
row durable together, so there is never an audited change without its row or the reverse.
"""
import datetime as dt
import decimal
import enum

from flask import has_request_context, request
from sqlalchemy import inspect

from .extensions import db
from .models import AuditLog


def record(action: str, target=None, details: dict | None = None, actor=None) -> AuditLog:
    """Add an audit row for ``action`` on ``target`` (a model instance or a (type, id) pair)."""
    actor = actor if actor is not None else _current_user()
    target_type, target_id = _target(target)
    row = AuditLog(
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None),
        details=jsonable(details) if details else None,
    )
    if has_request_context():
        row.ip = (request.remote_addr or "")[:64] or None
        row.user_agent = (request.headers.get("User-Agent") or "")[:512] or None
    db.session.add(row)
    return row


def snapshot(obj, columns=None) -> dict:
    """The plain column values of ``obj``, for before/after details."""
    mapper = inspect(type(obj))
    names = columns or [c.key for c in mapper.column_attrs]
    return {name: jsonable(getattr(obj, name, None)) for name in names if name not in _SECRET_COLUMNS}


def changes(before: dict, after: dict) -> dict:
    """Only the columns that changed, as {"before": {...}, "after": {...}}."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# Never copied into the audit log, even encrypted.
_SECRET_COLUMNS = {"password", "api_key_encrypted", "key_hash", "secret", "totp_secret_encrypted",
                   "client_secret_encrypted", "public_key"}


def _current_user():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def _target(target):
    if target is None:
        return None, None
    if isinstance(target, tuple):
        return target
    ident = inspect(target).identity
    return type(target).__name__, ident[0] if ident and len(ident) == 1 else (ident and "-".join(map(str, ident)))
