"""API key lookup by SHA-256, cached in-process for a few seconds.

The cache holds a frozen snapshot of everything the checks need about the key, its
owner, org and plan, so a cached request never touches PostgreSQL for authentication.
Entries live GATEWAY_KEY_CACHE_SECONDS (<= 5 s). Revoking keys (a revoke, a deleted user
or org, an org's status change) bumps a generation number in Redis when its transaction
commits. Each entry carries the generation it was loaded under, and the admission script
(lua/reserve.lua) compares it with the current one in the round trip it makes anyway: a
stale entry is reloaded before anything is held or forwarded, so revocations take effect
at once on every process at no extra Redis call. Requests refused before admission (a bad
body, an unknown model) may still see a cached entry for up to its lifetime: they are
neither forwarded nor charged. Without Redis nothing is cached.
"""
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, replace

from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db, redis_conn
from ..keys import hash_key
from .. import group_access
from ..models import ApiKey, Organization, OrgStatus, Plan


@dataclass(frozen=True)
class KeyContext:
    key_id: int
    user_id: int
    org_id: int | None
    project_id: int | None
    wallet_id: int
    status: str
    expires_at: dt.datetime | None
    allowed_models: frozenset
    per_request_cap: int | None
    rpm_limit: int | None
    tpm_limit: int | None
    quota: int | None
    cap_5h: int | None
    cap_1d: int | None
    cap_7d: int | None
    model_caps: dict
    org_status: str
    plan_id: int | None
    messages_per_12h: int | None
    granted_groups: frozenset
    public_groups: frozenset | None  # None = every public group (app/group_access.py)
    concurrency: int | None = None  # the plan's requests in flight per wallet (None = unlimited)
    priority: bool = False  # the plan may use the provider capacity kept for priority plans
    generation: str = ""  # the revocation generation it was loaded under ("" = not checked)
    prefix: str = ""  # the key's visible prefix, for logs


GENERATION_KEY = "tg:keycache:gen"  # same "tg:" namespace as the billing mirror
log = logging.getLogger(__name__)

# digest -> (monotonic expiry, context)
_cache: dict[str, tuple[float, KeyContext | None]] = {}
_lock = threading.Lock()


def lookup(secret: str, ttl: float, fresh: bool = False) -> KeyContext | None:
    """The key's context; ``fresh`` skips the cache (admission found the cached one stale)."""
    digest = hash_key(secret)
    if ttl <= 0:
        return _load(digest)
    now = time.monotonic()
    hit = None if fresh else _cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    # Read before the database: a revocation committed after this read bumps past it, so
    # what is loaded below can never pass admission under a generation that outlives it.
    generation = _generation()
    ctx = _load(digest)
    if generation is not None:
        if ctx is not None:
            ctx = replace(ctx, generation=generation)
        with _lock:
            if len(_cache) > 50_000:  # bounded: unknown keys must not grow it forever
                _cache.clear()
            _cache[digest] = (now + ttl, ctx)
    return ctx


def is_current(ctx: KeyContext) -> bool:
    """False when revocations (or group changes) were announced since ``ctx`` was loaded."""
    if not ctx.generation:
        return True  # loaded straight from the database, or Redis unreachable
    return _generation() in (None, ctx.generation)


def clear() -> None:
    with _lock:
        _cache.clear()


def announce_revocation(session: Session) -> None:
    """After ``session`` commits, every gateway process stops serving its cached keys."""
    session.info["tollgate_keys_revoked"] = True


def _generation() -> str | None:
    try:
        return (redis_conn.client.get(GENERATION_KEY) or b"0").decode()
    except RedisError:
        return None


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("tollgate_keys_revoked", False):
        try:
            redis_conn.client.incr(GENERATION_KEY)
        except RedisError as exc:
            # The database already refuses the keys; cached copies expire within the TTL.
            log.warning("could not announce revoked keys to gateway caches: %s", exc)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("tollgate_keys_revoked", None)


def _load(digest: str) -> KeyContext | None:
    session = db.session
    try:
        row = session.execute(
            select(ApiKey, Organization.status, Organization.plan_id, Plan.messages_per_12h, Plan.concurrency,
                   Plan.priority)
            .outerjoin(Organization, Organization.id == ApiKey.org_id)
            .outerjoin(Plan, Plan.id == Organization.plan_id)
            .where(ApiKey.key_hash == digest)
        ).first()
        if row is None:
            return None
        key, org_status, plan_id, msgs, concurrency, priority = row
        access = group_access.load(session, key.user_id)
        if key.org_id is None:
            # Individuals are on the free plan's model availability, message window and concurrency.
            free = session.execute(select(Plan.id, Plan.messages_per_12h, Plan.concurrency, Plan.priority)
                                   .where(Plan.code == "free")).first()
            plan_id, msgs, concurrency, priority = (free if free else (None, None, None, False))
        return KeyContext(
            key_id=key.id, user_id=key.user_id, org_id=key.org_id, project_id=key.project_id,
            wallet_id=key.wallet_id, status=key.status.value, expires_at=key.expires_at,
            allowed_models=frozenset(key.allowed_models or ()), per_request_cap=key.per_request_cap,
            rpm_limit=key.rpm_limit, tpm_limit=key.tpm_limit, quota=key.quota,
            cap_5h=key.cap_5h, cap_1d=key.cap_1d, cap_7d=key.cap_7d, model_caps=dict(key.model_caps or {}),
            org_status=(org_status.value if org_status else OrgStatus.active.value),
            plan_id=plan_id, messages_per_12h=msgs, granted_groups=access.granted,
            public_groups=access.public, prefix=key.prefix,
            concurrency=concurrency if concurrency and concurrency > 0 else None, priority=bool(priority),
        )
    finally:
        session.rollback()  # read-only: end the transaction so the connection returns to the pool


