"""GET /api/v1/me/account: the low-balance flag at its threshold, and the org a key belongs to."""
from app.accounts import add_member
from app.extensions import db
from app.models import OrgRole
from tests.factories import make_key, make_org

from .conftest import headers


def test_low_balance_is_not_flagged_above_the_threshold(client, world):
    world.org.low_balance_threshold = 9_999_999  # $10 available is one credit above it
    db.session.commit()
    balance = client.get("/api/v1/me/account", headers=world.headers).json["balance"]
    assert balance["available_usd"] == 10.0
    assert balance["low_balance_threshold_usd"] == 9.999999
    assert balance["low_balance_flagged"] is False


def test_low_balance_is_flagged_at_the_threshold(client, world):
    world.org.low_balance_threshold = 10_000_000
    db.session.commit()
    balance = client.get("/api/v1/me/account", headers=world.headers).json["balance"]
    assert balance["low_balance_threshold_usd"] == 10.0
    assert balance["low_balance_flagged"] is True


def test_a_user_in_two_orgs_sees_the_org_of_the_key_they_call_with(client, world):
    second = make_org("Second Co", plan="pro", balance_usd="3")
    add_member(second, world.owner, OrgRole.admin)
    db.session.commit()
    _, secret = make_key(world.owner, second, name="second org key")
    body = client.get("/api/v1/me/account", headers=headers(secret)).json
    assert body["org"] == {"id": second.id, "name": "Second Co", "role": "admin"}
    assert body["balance"]["available_usd"] == 3.0
    assert body["user"]["id"] == world.owner.id
    first = client.get("/api/v1/me/account", headers=world.headers).json
    assert first["org"] == {"id": world.org.id, "name": "Acme", "role": "owner"}
    assert first["balance"]["available_usd"] == 10.0
