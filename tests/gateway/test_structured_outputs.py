"""Structured outputs through both provider kinds, read with the official SDK's parse helpers."""
import json

import openai
import pydantic
import pytest
import requests

from .helpers import knobs, usage_rows

MODELS = ["gpt-test", "claude-test"]
EXPECTED = {"name": "tok0", "attendees": ["tok0"], "day": 1}


class Event(pydantic.BaseModel):
    name: str
    attendees: list[str]
    day: int


@pytest.fixture
def oai(world, live_tollgate):
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_chat_parse_returns_the_schemas_object(oai, model):
    done = oai.chat.completions.parse(model=model, messages=[{"role": "user", "content": "Plan it"}],
                                      response_format=Event)
    choice = done.choices[0]
    assert choice.message.parsed == Event(**EXPECTED)
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert usage_rows()[-1].total_cost > 0


def test_anthropic_provider_gets_a_forced_tool_with_the_schema(oai, mock_upstream):
    oai.chat.completions.parse(model="claude-test", messages=[{"role": "user", "content": "Plan it"}],
                               response_format=Event)
    sent = mock_upstream.last("messages")
    assert sent["tool_choice"] == {"type": "tool", "name": "structured_output"}
    assert sent["tools"][0]["name"] == "structured_output"
    assert sent["tools"][0]["input_schema"]["properties"].keys() == {"name", "attendees", "day"}


@pytest.mark.parametrize("model", MODELS)
def test_chat_stream_parse_returns_the_schemas_object(oai, model):
    with oai.chat.completions.stream(model=model, messages=[{"role": "user", "content": "Plan it"}],
                                     response_format=Event) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.parsed == Event(**EXPECTED)
    assert final.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("model", MODELS)
def test_responses_parse_returns_the_schemas_object(oai, model):
    resp = oai.responses.parse(model=model, input="Plan it", text_format=Event)
    assert resp.output_parsed == Event(**EXPECTED)


@pytest.mark.parametrize("model", MODELS)
def test_responses_stream_parse_returns_the_schemas_object(oai, model):
    with oai.responses.stream(model=model, input="Plan it", text_format=Event) as stream:
        final = stream.get_final_response()
    assert final.output_parsed == Event(**EXPECTED)


@pytest.fixture
def native(world):
    """The Anthropic provider takes Anthropic's structured-output parameter."""
    from app.extensions import db
    from app.gateway import catalog

    world.anthropic_provider.structured_outputs = True
    db.session.commit()
    catalog.invalidate()


@pytest.mark.parametrize("stream", [False, True])
def test_native_structured_outputs_send_the_schema_as_output_config(oai, mock_upstream, native, stream):
    if stream:
        with oai.chat.completions.stream(model="claude-test", messages=[{"role": "user", "content": "Plan it"}],
                                         response_format=Event) as s:
            done = s.get_final_completion()
    else:
        done = oai.chat.completions.parse(model="claude-test", messages=[{"role": "user", "content": "Plan it"}],
                                          response_format=Event)
    assert done.choices[0].message.parsed == Event(**EXPECTED) and done.choices[0].finish_reason == "stop"
    sent = mock_upstream.last("messages")
    assert sent["output_config"]["format"]["type"] == "json_schema"
    assert sent["output_config"]["format"]["schema"]["properties"].keys() == {"name", "attendees", "day"}
    assert "tools" not in sent and "tool_choice" not in sent


def test_native_responses_parse(oai, native):
    assert oai.responses.parse(model="claude-test", input="Plan it", text_format=Event).output_parsed == Event(
        **EXPECTED)


@pytest.mark.parametrize("model", MODELS)
def test_json_object_mode_returns_a_json_object(oai, model):
    done = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "JSON please"}],
                                       response_format={"type": "json_object"})
    assert isinstance(json.loads(done.choices[0].message.content), dict)


def test_user_tools_stay_callable_beside_the_structured_answer(oai, mock_upstream):
    tools = [{"type": "function", "function": {"name": "get_weather", "strict": True, "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"],
        "additionalProperties": False}}}]
    with knobs(mock_upstream, tool_call="get_weather"):
        done = oai.chat.completions.parse(model="claude-test", messages=[{"role": "user", "content": "Weather?"}],
                                          response_format=Event, tools=tools)
        assert mock_upstream.last("messages")["tool_choice"] == {"type": "any"}
    assert done.choices[0].finish_reason == "tool_calls"
    assert done.choices[0].message.tool_calls[0].function.name == "get_weather"


@pytest.mark.parametrize("path, body, param", [
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "L", "schema": {"type": "array", "items": {}}}}},
     "response_format.json_schema.schema"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "L"}}}, "response_format.json_schema.schema"),
    ("/v1/responses", {"input": "x", "text": {"format": {"type": "json_schema", "name": "L",
                                                         "schema": {"type": "string"}}}},
     "text.format.schema"),
])
def test_a_schema_claude_cannot_honour_is_a_400_naming_it(world, live_tollgate, mock_upstream, path, body, param):
    before = requests.get(f"{mock_upstream.url}/_control", timeout=5).json()["requests"]["messages"]
    resp = requests.post(f"{live_tollgate.url}{path}", json={"model": "claude-test", **body}, headers=world.headers,
                         timeout=10)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == param
    assert requests.get(f"{mock_upstream.url}/_control", timeout=5).json()["requests"]["messages"] == before
