"""Factories for tests: each returns committed rows with sensible defaults."""
import itertools
from decimal import Decimal

from app.accounts import add_member, create_api_key, create_org, create_user
from app.billing import money
from app.billing.units import usd_to_credits
from app.crypto import encrypt
from app.extensions import db
from app.models import (LlmModel, ModelGroup, ModelRoute, OrgRole, Provider, ProviderKind, TxType,
                        UserTier)

_seq = itertools.count(1)


def make_user(username=None, role_name=None, tier=UserTier.individual, password="password-123"):
    n = next(_seq)
    username = username or f"user{n}"
    user = create_user(username, f"{username}@example.test", password, role_name=role_name, tier=tier)
    db.session.commit()
    return user


def make_org(name=None, plan="pro", balance_usd=None, owner=None, **fields):
    org = create_org(name or f"Org {next(_seq)}", plan_code=plan, **fields)
    if owner is not None:
        add_member(org, owner, OrgRole.owner)
    if balance_usd:
        fund(org.wallet.id, balance_usd)
    db.session.commit()
    return org


def fund(wallet_id: int, usd) -> None:
    money.post(db.session, money.Posting(wallet_id=wallet_id, amount=usd_to_credits(str(usd)),
                                         type=TxType.admin_credit, comment="test funding"))
    db.session.commit()


def make_key(user, org=None, name="test key", **limits):
    key, secret = create_api_key(user, name, org=org, **limits)
    db.session.commit()
    return key, secret


def make_provider(base_url, kind=ProviderKind.openai, name=None, **fields):
    provider = Provider(name=name or f"provider{next(_seq)}", kind=kind, base_url=base_url,
                        api_key_encrypted=encrypt("upstream-key"), **fields)
    db.session.add(provider)
    db.session.commit()
    return provider


def make_group(name=None, multiplier="1", exclusive=False):
    group = ModelGroup(name=name or f"group{next(_seq)}", multiplier=Decimal(multiplier), exclusive=exclusive)
    db.session.add(group)
    db.session.commit()
    return group


def make_model(public_id=None, providers=(), groups=(), input_price=1_000_000, output_price=2_000_000,
               cached_input_price=100_000, **fields):
    model = LlmModel(public_id=public_id or f"model-{next(_seq)}", upstream_name=fields.pop("upstream_name", "up-model"),
                     input_price=input_price, output_price=output_price, cached_input_price=cached_input_price,
                     groups=list(groups), **fields)
    model.routes = [ModelRoute(provider=p) for p in providers]
    db.session.add(model)
    db.session.commit()
    return model
