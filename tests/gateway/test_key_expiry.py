"""Keys past their expiry become ``expired``: status, a ``key.expired`` event, and gateway caches told."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gateway import keycache
from app.jobs.expiry import expire_keys
from app.models import ApiKey, Event, KeyStatus, utcnow
from tests.gateway.helpers import chat


@pytest.fixture
def cached_keys(app, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)


def test_expired_key_is_marked_expired_with_an_event_and_refused_at_once(client, world, cached_keys):
    assert chat(client, world.headers).status_code == 200  # now cached for 30 s
    generation = keycache._generation()
    # An expiry set behind the cache's back: the cached copy (no expiry) would serve for 30 s.
    db.session.get(ApiKey, world.key.id).expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert chat(client, world.headers).status_code == 200

    assert expire_keys() == 1

    key = db.session.get(ApiKey, world.key.id)
    assert key.status == KeyStatus.expired
    [event] = db.session.scalars(select(Event).where(Event.type == "key.expired")).all()
    assert (event.org_id, event.data["key_id"], event.data["prefix"]) == (world.org.id, key.id, key.prefix)
    assert keycache._generation() != generation  # every gateway process reloads its cached keys
    refused = chat(client, world.headers)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "expired_api_key"
    assert expire_keys() == 0  # a second run finds nothing more to do


def test_keys_not_yet_expired_or_without_expiry_stay_active(world):
    db.session.get(ApiKey, world.key.id).expires_at = utcnow() + dt.timedelta(days=1)
    db.session.commit()
    assert expire_keys() == 0
    assert db.session.get(ApiKey, world.key.id).status == KeyStatus.active
