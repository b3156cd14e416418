"""The models an actor may call and what each costs them: the gateway's catalog and access rules,
read for display.

Access is the gateway's own (``Catalog.callable_models``: enabled, a group that gives the
model to this caller, the plan); the price is the catalog's per-1M-token price times the
multiplier the gateway would charge (``Catalog.multiplier_for``). What the snapshot does not
hold for routing (display name, capability tags, plan names) is read from the tables in two
small queries.
"""
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from .actor import Actor
from .billing.units import credits_to_usd
from .extensions import db
from .gateway import catalog
from .models import LlmModel, Plan, model_plans


@dataclass(frozen=True)
class Offer:
    public_id: str
    display_name: str
    kind: str
    context_length: int
    max_output_tokens: int
    multiplier: Decimal
    input_usd: Decimal  # per 1M tokens, multiplier applied
    output_usd: Decimal
    cached_usd: Decimal
    capabilities: tuple
    plans: tuple  # plan names; empty = every plan


def offers(actor: Actor) -> list[Offer]:
    """Every model ``actor`` may call, by id, priced for them."""
    cat = catalog.current()
    caller = SimpleNamespace(granted_groups=actor.granted_groups, public_groups=actor.public_groups,
                             plan_id=actor.plan_id, allowed_models=frozenset())
    models = cat.callable_models(caller)
    ids = [m.id for m in models]
    shown = {row.id: row for row in db.session.execute(
        select(LlmModel.id, LlmModel.display_name, LlmModel.capabilities).where(LlmModel.id.in_(ids)))}
    plans: dict[int, list[str]] = {}
    for model_id, name in db.session.execute(select(model_plans.c.model_id, Plan.name)
                                             .join(Plan, Plan.id == model_plans.c.plan_id)
                                             .where(model_plans.c.model_id.in_(ids)).order_by(Plan.sort_order)):
        plans.setdefault(model_id, []).append(name)
    result = []
    for m in models:
        mult = cat.multiplier_for(m, actor.granted_groups)
        row = shown.get(m.id)
        result.append(Offer(
            public_id=m.public_id, display_name=(row.display_name if row else None) or m.public_id, kind=m.kind,
            context_length=m.context_length, max_output_tokens=m.max_output_tokens, multiplier=mult,
            input_usd=_usd(m.input_price, mult), output_usd=_usd(m.output_price, mult),
            cached_usd=_usd(m.cached_input_price, mult),
            capabilities=tuple(sorted((row.capabilities if row else None) or ())), plans=tuple(plans.get(m.id, ()))))
    return result


def _usd(credits_per_million: int, multiplier: Decimal) -> Decimal:
    return (credits_to_usd(credits_per_million) * multiplier).normalize()
