"""POST /v1/messages/count_tokens with the official anthropic SDK: the provider's count or a marked estimate, free."""
import anthropic
import pytest

from .helpers import assert_nothing_charged, knobs, usage_rows

MESSAGES = [{"role": "user", "content": "hello world!"}]


@pytest.fixture
def claude(world, live_tollgate):
    return anthropic.Anthropic(base_url=live_tollgate.url, api_key=world.secret, max_retries=0)


def test_anthropic_served_model_gets_the_providers_count(claude, world, mock_upstream):
    raw = claude.messages.with_raw_response.count_tokens(model="claude-test", system="be brief", messages=MESSAGES)
    assert raw.parse().input_tokens == 5  # the mock's count: 20 characters of text
    assert raw.headers["X-Tollgate-Token-Count"] == "provider"
    assert mock_upstream.last("count_tokens")["model"] == "claude-upstream"
    assert usage_rows() == []
    assert_nothing_charged(world)


def test_openai_served_model_gets_the_local_estimate_marked_as_such(claude, world):
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    raw = claude.messages.with_raw_response.count_tokens(model="gpt-test", messages=MESSAGES, tools=tools)
    assert raw.headers["X-Tollgate-Token-Count"] == "estimate"
    # 12 characters of text plus the tools' 57 characters of JSON, one token per 4
    assert raw.parse().input_tokens == 18
    assert_nothing_charged(world)


def test_a_provider_without_count_tokens_gets_the_estimate(claude, mock_upstream):
    with knobs(mock_upstream, error="404"):
        raw = claude.messages.with_raw_response.count_tokens(model="claude-test", messages=MESSAGES)
    assert raw.headers["X-Tollgate-Token-Count"] == "estimate" and raw.parse().input_tokens == 3


def test_provider_refusal_is_relayed_in_anthropics_shape(claude, mock_upstream):
    with knobs(mock_upstream, error="400"):
        with pytest.raises(anthropic.BadRequestError) as exc:
            claude.messages.count_tokens(model="claude-test", messages=MESSAGES)
    assert exc.value.body["error"]["type"] == "invalid_request_error"


def test_bad_input_and_bad_keys_are_anthropic_errors(claude, world, live_tollgate):
    with pytest.raises(anthropic.BadRequestError) as exc:
        claude.messages.count_tokens(model="claude-test", messages=[])
    assert "messages" in exc.value.message
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.count_tokens(model="no-such-model", messages=MESSAGES)
    stranger = anthropic.Anthropic(base_url=live_tollgate.url, api_key="tg-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        stranger.messages.count_tokens(model="claude-test", messages=MESSAGES)


def test_rate_limited_per_key_like_the_account_endpoint(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ME_API_RATE_LIMIT", "2/minute")
    headers = {"x-api-key": world.secret, "anthropic-version": "2023-06-01"}
    body = {"model": "gpt-test", "messages": MESSAGES}
    assert [client.post("/v1/messages/count_tokens", json=body, headers=headers).status_code
            for _ in range(2)] == [200, 200]
    resp = client.post("/v1/messages/count_tokens", json=body, headers=headers)
    assert resp.status_code == 429 and resp.json["error"]["type"] == "rate_limit_error"
    assert resp.json["type"] == "error"  # Anthropic's shape
    # Chat requests of the same key are not counted against it: their own RPM applies.
    chat = client.post("/v1/messages", json=dict(body, max_tokens=10), headers=headers)
    assert chat.status_code == 200
