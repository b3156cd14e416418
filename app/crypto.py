"""Encryption at rest for provider API keys (Fernet, keyed from config)."""
import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    # A Fernet key is 32 url-safe base64 bytes; derive one from whatever secret is configured.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def _secret() -> str:
    cfg = current_app.config
    return cfg.get("TOLLGATE_ENCRYPTION_KEY") or cfg["SECRET_KEY"]


def encrypt(plaintext: str | None) -> str | None:
    if not plaintext:
        return None
    return _fernet(_secret()).encrypt(plaintext.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet(_secret()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("provider API key cannot be decrypted: TOLLGATE_ENCRYPTION_KEY or SECRET_KEY changed") from None


def mask(plaintext: str | None) -> str:
    if not plaintext:
        return ""
    return plaintext[:3] + "…" + plaintext[-4:] if len(plaintext) > 8 else "…"
