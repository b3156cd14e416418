"""Plans every deployment starts with, and the demo data behind `flask tollgate demo`."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from .accounts import add_member, create_api_key, create_org, create_user
from .billing import money
from .billing.units import usd_to_credits
from .crypto import encrypt
from .extensions import db
from .models import (ApiKey, KeyStatus, LlmModel, ModelGroup, ModelRoute, Organization, OrgRole, Plan, Provider,
                     ProviderKind, TxType, UserTier, utcnow)

DEFAULT_PLANS = [
    # code, name, monthly USD, messages per 12h, concurrency, top-up bonus bps, priority, bundled USD
    ("free", "Free", "0", 50, 2, 0, False, "0"),
    ("pro", "Pro", "20", 500, 8, 500, True, "20"),
    ("max", "Max", "200", 5000, 32, 1120, True, "200"),
    ("enterprise", "Enterprise", "0", None, 256, 0, True, "0"),
]

DEMO_ORG = "Demo Org"
DEMO_KEY_NAME = "demo"
# The demo's two providers and where each sits under the mock upstream's root.
DEMO_PROVIDERS = {"mock-openai": "/v1", "mock-anthropic": ""}


@dataclass
class Demo:
    org: Organization
    api_key: str


def ensure_plans() -> None:
    existing = set(db.session.scalars(select(Plan.code)))
    for order, (code, name, usd, msgs, conc, bonus, prio, bundled) in enumerate(DEFAULT_PLANS):
        if code not in existing:
            db.session.add(Plan(code=code, name=name, monthly_price=usd_to_credits(usd), messages_per_12h=msgs,
                                concurrency=conc, topup_bonus_bps=bonus, priority=prio, sort_order=order,
                                bundled_credits=usd_to_credits(bundled)))
    db.session.flush()


def seed_demo(upstream_root: str) -> Demo:
    """Create (once) a demo org with $100, two users, groups, models and mock providers; return a fresh key.

    Run again, it points the demo providers at ``upstream_root`` (the address may have
    changed since) and revokes the keys it printed before: only the latest one works.
    """
    ensure_plans()
    org = db.session.scalar(select(Organization).where(Organization.name == DEMO_ORG))
    if org is None:
        org = _create_demo_org(upstream_root)
    else:
        _point_demo_providers(upstream_root)
        db.session.execute(update(ApiKey).where(ApiKey.org_id == org.id, ApiKey.name == DEMO_KEY_NAME,
                                                ApiKey.status == KeyStatus.active)
                           .values(status=KeyStatus.revoked, revoked_at=utcnow()))
    owner = next(m.user for m in org.memberships if m.role == OrgRole.owner)
    _, secret = create_api_key(owner, DEMO_KEY_NAME, org=org)
    db.session.commit()
    return Demo(org=org, api_key=secret)


def _point_demo_providers(upstream_root: str) -> None:
    for provider in db.session.scalars(select(Provider).where(Provider.name.in_(DEMO_PROVIDERS))):
        provider.base_url = upstream_root + DEMO_PROVIDERS[provider.name]


def _create_demo_org(upstream_root: str) -> Organization:
    org = create_org(DEMO_ORG, plan_code="pro", billing_email="billing@demo.example")
    owner = create_user("demo-owner", "owner@demo.example", "demo-owner-password", tier=UserTier.enterprise)
    member = create_user("demo-member", "member@demo.example", "demo-member-password", tier=UserTier.enterprise)
    add_member(org, owner, OrgRole.owner)
    add_member(org, member, OrgRole.member)
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=usd_to_credits("100"),
                                         type=TxType.credit_gift, comment="demo credits"))
    # Pro and Max on sale at prices the Stripe stand-in accepts, so the demo can subscribe offline.
    for plan in db.session.scalars(select(Plan).where(Plan.code.in_(["pro", "max"]), Plan.stripe_price_id.is_(None))):
        plan.stripe_price_id = f"price_demo_{plan.code}"
    openai_p = Provider(name="mock-openai", kind=ProviderKind.openai, base_url=f"{upstream_root}/v1",
                        api_key_encrypted=encrypt("mock-key"), priority=0)
    anthropic_p = Provider(name="mock-anthropic", kind=ProviderKind.anthropic, base_url=upstream_root,
                           api_key_encrypted=encrypt("mock-key"), priority=0)
    general = ModelGroup(name="general", multiplier=Decimal("1"), description="Every member may call these")
    discount = ModelGroup(name="discount", multiplier=Decimal("0.8"), description="Cheaper models at 0.8x")
    frontier = ModelGroup(name="frontier", multiplier=Decimal("1"), exclusive=True,
                          description="Granted to named users only")
    db.session.add_all([openai_p, anthropic_p, general, discount, frontier])
    models = [
        _model("gpt-5-4", "gpt-5.4", openai_p, 1_250_000, 10_000_000, 125_000, [general]),
        _model("gpt-5-4-mini", "gpt-5.4-mini", openai_p, 250_000, 2_000_000, 25_000, [discount]),
        # Anthropic charges 1.25x the input price for (5-minute) prompt-cache writes.
        _model("claude-sonnet-4-6", "claude-sonnet-4-6", anthropic_p, 3_000_000, 15_000_000, 300_000, [general],
               cache_write=3_750_000),
        _model("claude-opus-4-6", "claude-opus-4-6", anthropic_p, 15_000_000, 75_000_000, 1_500_000, [frontier],
               cache_write=18_750_000),
        _model("text-embedding-3-small", "text-embedding-3-small", openai_p, 20_000, 0, 0, [general],
               kind="embedding"),
    ]
    db.session.add_all(models)
    db.session.flush()
    return org


def _model(public_id, upstream, provider, inp, out, cached, groups, kind="chat", cache_write=None) -> LlmModel:
    caps = ["embeddings"] if kind == "embedding" else ["streaming", "tools", "vision"]
    model = LlmModel(public_id=public_id, upstream_name=upstream, kind=kind, context_length=200_000,
                     max_output_tokens=8192, input_price=inp, output_price=out, cached_input_price=cached,
                     cache_write_price=cache_write, capabilities=caps, groups=groups)
    model.routes = [ModelRoute(provider=provider)]
    return model
