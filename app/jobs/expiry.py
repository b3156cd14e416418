"""Keys past their ``expires_at`` become ``expired``: status, a ``key.expired`` event, caches told.
Secrets issued to members that can no longer be read are deleted.

The gateway already refuses such a key on its own clock; this job makes the database, the
console and webhook receivers agree within a minute.
"""
from sqlalchemy import select

from ..console import key_delivery
from ..events import emitters
from ..extensions import db
from ..gateway import keycache
from ..models import ApiKey, KeyStatus, utcnow
from . import app_context

EXPIRE_EVERY_S = 30
DROP_UNREAD_EVERY_S = 3600


def expire_keys() -> int:
    """Mark every active key past its expiry as expired; returns how many were."""
    with app_context():
        session = db.session
        keys = session.scalars(select(ApiKey).where(ApiKey.status == KeyStatus.active,
                                                    ApiKey.expires_at <= utcnow())
                               .order_by(ApiKey.id).with_for_update(skip_locked=True)).all()
        for key in keys:
            key.status = KeyStatus.expired
            emitters.key_expired(session, key)
        if keys:
            keycache.announce_revocation(session)
        session.commit()
        return len(keys)


def drop_unread_secrets() -> int:
    """Delete issued secrets whose key is no longer active or whose reveal window has passed."""
    with app_context():
        dropped = key_delivery.drop_unread()
        db.session.commit()
        return dropped
