"""Secrets issued by an owner or admin to members, each readable once by its member.

The secret is kept encrypted (``app.crypto``, keyed from the app's secret) in ``key_reveals``
until the member reads it: reading deletes the row in the same transaction, so it is shown in
one response only. A revoked key, or one whose row is older than CONSOLE_KEY_REVEAL_DAYS, is
never shown; its row is dropped when found, and by the hourly ``drop_unread`` job otherwise,
so an encrypted secret nobody will ever read does not stay in the database.
"""
import datetime as dt

from flask import current_app
from sqlalchemy import delete, select

from ..crypto import decrypt, encrypt
from ..extensions import db
from ..models import ApiKey, KeyReveal, KeyStatus, utcnow


def hold(key: ApiKey, secret: str, issued_by_id: int) -> None:
    db.session.add(KeyReveal(api_key_id=key.id, user_id=key.user_id, secret_encrypted=encrypt(secret),
                             issued_by_id=issued_by_id))


def _oldest() -> dt.datetime:
    return utcnow() - dt.timedelta(days=current_app.config["CONSOLE_KEY_REVEAL_DAYS"])


def _in(org_id: int | None):
    return ApiKey.org_id.is_(None) if org_id is None else ApiKey.org_id == org_id


def waiting(user_id: int, org_id: int | None) -> list[ApiKey]:
    """The caller's keys in ``org_id`` whose secret still waits to be read."""
    return list(db.session.scalars(
        select(ApiKey).join(KeyReveal, KeyReveal.api_key_id == ApiKey.id)
        .where(KeyReveal.user_id == user_id, _in(org_id), ApiKey.status == KeyStatus.active,
               KeyReveal.created_at > _oldest()).order_by(ApiKey.id)))


def reveal(user_id: int, org_id: int | None, key_id: int) -> tuple[ApiKey, str] | None:
    """The key and its secret, once; None when there is nothing (left) to show this user here."""
    row = db.session.scalar(select(KeyReveal).join(ApiKey, ApiKey.id == KeyReveal.api_key_id)
                            .where(KeyReveal.api_key_id == key_id, KeyReveal.user_id == user_id, _in(org_id))
                            .with_for_update(of=KeyReveal))
    if row is None:
        return None
    # Deleted before anything is shown: two clicks racing cannot both read the secret.
    db.session.execute(delete(KeyReveal).where(KeyReveal.api_key_id == key_id))
    key = row.key
    if key.status != KeyStatus.active or row.created_at <= _oldest():
        return None
    return key, decrypt(row.secret_encrypted)


def drop_unread() -> int:
    """Delete the secrets that can no longer be shown (key not active, or past the window); the caller commits."""
    inactive = select(ApiKey.id).where(ApiKey.status != KeyStatus.active)
    result = db.session.execute(delete(KeyReveal).where(
        (KeyReveal.created_at <= _oldest()) | KeyReveal.api_key_id.in_(inactive)))
    return result.rowcount
