"""The model catalog as the gateway sees it: an immutable snapshot reloaded every few seconds.

Admins edit models, groups and providers rarely; requests read them constantly. One
snapshot per process, rebuilt at most every GATEWAY_CATALOG_SECONDS, keeps those reads off
the database.
"""
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..crypto import decrypt
from ..extensions import db
from ..models import LlmModel, ModelGroup, Provider
from . import egress
from .egress import Egress

log = logging.getLogger(__name__)
STALE_RETRY_S = 1.0

@dataclass(frozen=True)
class ProviderInfo:
    id: int
    name: str
    kind: str  # "openai-compatible" | "anthropic"
    base_url: str
    api_key: str | None
    timeout_s: int
    egress: Egress | None = None  # None: direct, system CAs (the plain fast path)
    rpm_limit: int | None = None  # requests per minute Tollgate sends it, all callers together
    structured_outputs: bool = False  # Anthropic: answers output_config.format natively


@dataclass(frozen=True)
class RouteInfo:
    provider: ProviderInfo
    upstream_name: str
    priority: int
    weight: int


@dataclass(frozen=True)
class ModelInfo:
    id: int
    public_id: str
    kind: str
    context_length: int
    max_output_tokens: int
    input_price: int
    output_price: int
    cached_input_price: int
    cache_write_price: int  # the input price when the model sets none
    enabled: bool
    group_ids: frozenset
    plan_ids: frozenset  # empty = every plan
    routes: tuple = field(default_factory=tuple)
    created: int = 0
    image_prices: dict = field(default_factory=dict)  # size -> quality -> credits per image
    char_price: int = 0  # credits per 1M characters of speech input
    second_price: int = 0  # credits per second of transcribed audio


@dataclass(frozen=True)
class Catalog:
    models: dict  # public_id -> ModelInfo
    groups: dict  # id -> (multiplier: Decimal, exclusive: bool)

    def multiplier_for(self, model: ModelInfo, granted: frozenset, public: frozenset | None = None) -> Decimal | None:
        """Lowest multiplier among the groups that give this caller the model; None = no access.

        ``granted``: exclusive groups granted; ``public``: the public groups a restricted
        caller keeps (None = every public group). See app/group_access.py.
        """
        best = None
        for gid in model.group_ids:
            mult, exclusive = self.groups[gid]
            if (gid not in granted) if exclusive else (public is not None and gid not in public):
                continue
            if best is None or mult < best:
                best = mult
        return best


    def callable_models(self, key) -> list[ModelInfo]:
        """The enabled models a key may call (allowlist, groups and plan), sorted by id."""
        return sorted(
            (m for m in self.models.values()
             if m.enabled and self.multiplier_for(m, key.granted_groups, key.public_groups) is not None
             and (not key.allowed_models or m.public_id in key.allowed_models)
             and (not m.plan_ids or key.plan_id in m.plan_ids)),
            key=lambda m: m.public_id,
        )


_snapshot: tuple[float, Catalog] | None = None
_lock = threading.Lock()


def current() -> Catalog:
    global _snapshot
    snap = _snapshot
    now = time.monotonic()
    if snap is not None and snap[0] > now:
        return snap[1]
    with _lock:
        snap = _snapshot
        if snap is None or snap[0] <= now:
            try:
                _snapshot = (now + current_app.config["GATEWAY_CATALOG_SECONDS"], _load())
            except SQLAlchemyError:
                if snap is None:
                    raise
                # The database is away: keep serving the catalog this process holds (the
                # readiness probe counts on it) and try again in a second.
                log.warning("catalog not refreshed: database unreachable; serving the one loaded before")
                _snapshot = (now + STALE_RETRY_S, snap[1])
        return _snapshot[1]


def loaded() -> bool:
    """Whether this process holds a catalog (possibly past its refresh time: the database may be away)."""
    return _snapshot is not None


def invalidate() -> None:
    global _snapshot
    _snapshot = None


def ordered_routes(model: ModelInfo) -> list[RouteInfo]:
    """Routes by priority; among equal priorities a weighted random order spreads the load."""
    routes = list(model.routes)
    keyed = [(r.priority, -random.random() ** (1.0 / max(r.weight, 1)), r) for r in routes]
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [r for _, _, r in keyed]


def _egress_for(p: Provider) -> Egress | None:
    cfg = current_app.config
    try:
        return egress.resolve(p.base_url, p.proxy_url, p.ca_bundle, cfg["HTTPS_PROXY"], cfg["NO_PROXY"])
    except ValueError as exc:
        log.warning("provider %s: %s", p.name, exc)
        return Egress(error=f"provider {p.name}: {exc}")


def _load() -> Catalog:
    session = db.session
    try:
        groups = {g.id: (Decimal(g.multiplier), g.exclusive) for g in session.scalars(select(ModelGroup))}
        providers = {}
        for p in session.scalars(select(Provider).where(Provider.enabled.is_(True))):
            try:
                api_key = decrypt(p.api_key_encrypted)
            except ValueError as exc:
                # One provider's unreadable key must not fail every call: its routes are left out.
                log.error("provider %s is skipped: %s", p.name, exc)
                continue
            providers[p.id] = (p, ProviderInfo(id=p.id, name=p.name, kind=p.kind.value, base_url=p.base_url.rstrip("/"),
                                               api_key=api_key, timeout_s=p.timeout_s, egress=_egress_for(p),
                                               rpm_limit=p.rpm_limit if p.rpm_limit and p.rpm_limit > 0 else None,
                                               structured_outputs=bool(p.structured_outputs)))
        models = {}
        stmt = select(LlmModel).options(selectinload(LlmModel.groups), selectinload(LlmModel.plans),
                                        selectinload(LlmModel.routes))
        for m in session.scalars(stmt):
            routes = tuple(
                RouteInfo(provider=providers[r.provider_id][1], upstream_name=r.upstream_name or m.upstream_name,
                          priority=r.priority if r.priority is not None else providers[r.provider_id][0].priority,
                          weight=r.weight if r.weight is not None else providers[r.provider_id][0].weight)
                for r in m.routes if r.enabled and r.provider_id in providers
            )
            models[m.public_id] = ModelInfo(
                id=m.id, public_id=m.public_id, kind=m.kind, context_length=m.context_length,
                max_output_tokens=m.max_output_tokens, input_price=m.input_price, output_price=m.output_price,
                cached_input_price=m.cached_input_price,
                cache_write_price=m.input_price if m.cache_write_price is None else m.cache_write_price,
                enabled=m.enabled,
                group_ids=frozenset(g.id for g in m.groups), plan_ids=frozenset(p.id for p in m.plans),
                routes=routes, created=int(m.created_at.timestamp()) if m.created_at else 0,
                image_prices=m.image_prices or {}, char_price=m.char_price or 0, second_price=m.second_price or 0,
            )
        return Catalog(models=models, groups=groups)
    finally:
        session.rollback()


