"""The official openai and anthropic SDKs work against Tollgate unchanged, streams and cross-format included."""
import anthropic
import openai
import pytest

from .helpers import usage_charges, usage_rows


@pytest.fixture
def oai(world, live_tollgate):
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


@pytest.fixture
def claude(world, live_tollgate):
    return anthropic.Anthropic(base_url=live_tollgate.url, api_key=world.secret, max_retries=0)


@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
def test_openai_sdk_chat(oai, model):
    resp = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=20)
    assert resp.model == model
    assert resp.choices[0].message.content
    assert resp.usage.completion_tokens > 0
    assert usage_charges()[0] < 0


@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
def test_openai_sdk_stream(oai, model):
    stream = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}],
                                         max_tokens=20, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage.completion_tokens > 0
    assert usage_rows()[-1].stream is True


@pytest.mark.parametrize("model", ["claude-test", "gpt-test"])
def test_anthropic_sdk_messages(claude, model):
    msg = claude.messages.create(model=model, max_tokens=20, system="Be brief.",
                                 messages=[{"role": "user", "content": "Hi"}])
    assert msg.model == model
    assert msg.content[0].text
    assert msg.usage.output_tokens > 0
    assert usage_charges()[0] < 0


@pytest.mark.parametrize("model", ["claude-test", "gpt-test"])
def test_anthropic_sdk_stream(claude, model):
    with claude.messages.stream(model=model, max_tokens=20, messages=[{"role": "user", "content": "Hi"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text
    assert final.usage.output_tokens > 0
    assert usage_rows()[-1].total_cost > 0


def test_openai_sdk_embeddings_and_models(oai):
    emb = oai.embeddings.create(model="embed-test", input=["a", "b"])
    assert len(emb.data) == 2
    ids = [m.id for m in oai.models.list()]
    assert ids == ["claude-test", "embed-test", "gpt-test"]


def test_openai_sdk_sees_errors_as_typed_exceptions(world, live_tollgate):
    bad = openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key="tg-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "Hi"}])


def test_anthropic_sdk_tool_use_across_formats(claude, mock_upstream):
    import requests

    requests.post(f"{mock_upstream.url}/_control", json={"tool_call": "get_weather"}, timeout=5)
    try:
        msg = claude.messages.create(
            model="gpt-test", max_tokens=50, messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[{"name": "get_weather", "description": "weather", "input_schema": {
                "type": "object", "properties": {"location": {"type": "string"}}}}])
    finally:
        requests.post(f"{mock_upstream.url}/_control/reset", timeout=5)
    assert msg.stop_reason == "tool_use"
    tool = [b for b in msg.content if b.type == "tool_use"][0]
    assert tool.name == "get_weather" and tool.input == {"location": "Paris"}
