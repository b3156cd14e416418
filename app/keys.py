"""API key secrets: ``tg-`` + 43 URL-safe random characters; only the SHA-256 is stored."""
import hashlib
import secrets

KEY_PREFIX = "tg-"
VISIBLE_CHARS = 11  # "tg-" + 8 characters, shown in lists to tell keys apart


def generate_key() -> tuple[str, str, str]:
    """Return (secret, visible prefix, sha256 hex)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:VISIBLE_CHARS], hash_key(secret)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
