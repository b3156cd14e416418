"""A provider's 429 on every route reaches the caller as a 429 with the provider's Retry-After, not a 502."""
from app.extensions import db
from app.models import ModelRoute
from tests.factories import make_provider

from .helpers import assert_nothing_charged, chat, knobs


def _second_route(world, mock_upstream):
    spare = make_provider(f"{mock_upstream.url}/v1", name="up-openai-2")
    db.session.add(ModelRoute(model_id=world.gpt.id, provider_id=spare.id))
    db.session.commit()


def _attempts(mock_upstream) -> int:
    import requests

    return requests.get(f"{mock_upstream.url}/_control", timeout=5).json()["requests"]["chat_completions"]


def test_429_from_every_route_is_a_429_with_the_providers_retry_after(client, world, mock_upstream):
    _second_route(world, mock_upstream)
    before = _attempts(mock_upstream)
    with knobs(mock_upstream, error="429"):
        resp = chat(client, world.headers)
        attempts = _attempts(mock_upstream) - before
    assert attempts == 2  # both routes were tried
    assert resp.status_code == 429
    assert resp.json["error"]["type"] == "rate_limit_error"
    assert resp.json["error"]["code"] == "upstream_rate_limited"
    assert resp.headers["Retry-After"] == "7"
    assert_nothing_charged(world)


def test_429_reaches_an_anthropic_caller_in_its_format(client, world, mock_upstream):
    with knobs(mock_upstream, error="429"):
        resp = client.post("/v1/messages", json={"model": "gpt-test", "max_tokens": 10,
                                                 "messages": [{"role": "user", "content": "hi"}]},
                           headers=world.headers)
    assert resp.status_code == 429
    assert resp.json["type"] == "error" and resp.json["error"]["type"] == "rate_limit_error"
    assert resp.headers["Retry-After"] == "7"
    assert_nothing_charged(world)


def test_a_429_then_a_working_route_is_served(client, world, mock_upstream):
    _second_route(world, mock_upstream)
    with knobs(mock_upstream, error="429", error_once_key="first-route-only"):
        resp = chat(client, world.headers)
    assert resp.status_code == 200


def test_5xx_on_every_route_is_still_a_502_without_retry_after(client, world, mock_upstream):
    with knobs(mock_upstream, error="500"):
        resp = chat(client, world.headers)
    assert resp.status_code == 502
    assert "Retry-After" not in resp.headers
    assert_nothing_charged(world)
