"""Passwords, hashed the way FAB's login checks them; the caller commits with its audit row."""
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash


def set_password(user, raw: str) -> None:
    # FAB's reset_password commits on its own; setting the hash here keeps change and audit row together.
    cfg = current_app.config
    user.password = generate_password_hash(raw, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                           salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def password_matches(user, raw: str) -> bool:
    return bool(user.password) and check_password_hash(user.password, raw)
