"""The TOTP second factor (RFC 6238, as authenticator apps speak it) and its one-time recovery codes.

The secret is encrypted at rest like provider keys. A code is accepted once: a second use
within its validity window (someone watching over a shoulder) is refused through Redis.
"""
import hashlib
import secrets

import pyotp
from flask import current_app
from sqlalchemy import delete, select

from ..crypto import decrypt, encrypt
from ..extensions import db, redis_conn
from ..models import RecoveryCode, utcnow

RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.username,
                                               issuer_name=current_app.config.get("APP_NAME", "Tollgate"))


def accept(user_id: int, secret: str, code: str) -> bool:
    """``code`` is valid now for ``secret`` and was not accepted before for this user."""
    code = (code or "").strip().replace(" ", "")
    # One step either side: a phone clock a little off still works.
    if not (code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)):
        return False
    # The code stays refused for the three steps it could be valid in.
    return bool(redis_conn.client.set(f"totp-used:{user_id}:{code}", 1, nx=True, ex=95))


def enable(user, secret: str) -> list[str]:
    """Turn the second factor on with a confirmed secret; returns fresh recovery codes (shown once)."""
    user.totp_secret_encrypted = encrypt(secret)
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(user)


def disable(user) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def check(user, code: str) -> str | None:
    """"totp" or "recovery code" when ``code`` passes for ``user`` (a recovery code is used up), else None."""
    secret = decrypt(user.totp_secret_encrypted)
    if secret and accept(user.id, secret, code):
        return "totp"
    row = db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                       RecoveryCode.code_hash == _hash(code),
                                                       RecoveryCode.used_at.is_(None)))
    if row is None:
        return None
    row.used_at = utcnow()
    return "recovery code"


def new_recovery_codes(user) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))).all())


def _hash(code: str) -> str:
    # Recovery codes carry 64 random bits: a plain digest cannot be reversed by guessing.
    return hashlib.sha256((code or "").strip().lower().encode()).hexdigest()
