"""A provider whose stored API key cannot be decrypted (the encryption key changed) is left
out of routing: the other providers keep serving, and a model with no other route gets a
clear error in the caller's format instead of every call failing with a 500."""
from app.extensions import db
from app.models import ModelRoute, ProviderKind
from tests.factories import make_provider

from .helpers import chat


def _unreadable_first(world):
    broken = make_provider("http://127.0.0.1:9/v1", ProviderKind.openai, name="rotated-secret", priority=-1)
    broken.api_key_encrypted = "gAAAAA-not-a-token-of-this-secret"
    db.session.add(ModelRoute(model_id=world.gpt.id, provider_id=broken.id))
    db.session.commit()
    return broken


def test_other_providers_keep_serving_when_one_key_is_unreadable(client, world):
    _unreadable_first(world)
    resp = chat(client, world.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_a_model_whose_only_provider_key_is_unreadable_gets_a_json_error(client, world):
    _unreadable_first(world)
    db.session.execute(db.delete(ModelRoute).where(ModelRoute.provider_id == world.openai_provider.id))
    db.session.commit()
    resp = chat(client, world.headers)
    assert resp.status_code in (502, 503), resp.get_data(as_text=True)
    assert resp.is_json and resp.json["error"]["message"]
