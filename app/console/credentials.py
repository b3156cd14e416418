"""Passwords, hashed the way FAB's login checks them; the caller commits with its audit row."""
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..signin.flow import end_other_sessions


def set_password(user, raw: str) -> None:
    # FAB's reset_password commits on its own; setting the hash here keeps change and audit row together.
    cfg = current_app.config
    user.password = generate_password_hash(raw, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                           salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    # Whoever knew the old password may hold a session: every session but the caller's ends.
    end_other_sessions(user)


def password_matches(user, raw: str) -> bool:
    return bool(user.password) and check_password_hash(user.password, raw)
