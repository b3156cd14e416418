"""/me API fixtures: the gateway's world (an org, its owner, models) plus members of each role."""
import itertools

import pytest

from app.accounts import add_member
from app.extensions import db
from app.models import OrgRole
from tests.factories import make_key, make_user
from tests.gateway.conftest import _fresh_gateway_caches, mock_upstream, world  # noqa: F401 - shared fixtures

_n = itertools.count(1)


def headers(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def join(world):
    """``join(role)`` -> (user, their key's headers) for a new member of world's org."""
    def _join(role: OrgRole, org=None):
        user = make_user(f"{role.value}{next(_n)}")
        add_member(org or world.org, user, role)
        db.session.commit()
        _, secret = make_key(user, org or world.org, name=f"{role.value} key")
        return user, headers(secret)
    return _join
