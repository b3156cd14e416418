"""/v1/responses with the official openai SDK, for models served by OpenAI-compatible and Anthropic providers."""
import openai
import pytest
import requests

from app.models import StoredResponse
from tests.factories import make_key, make_org, make_user

from .helpers import balance, knobs, usage_charges, usage_rows

MODELS = ["gpt-test", "claude-test"]
WEATHER = [{"type": "function", "name": "get_weather", "description": "weather in a city",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}]


@pytest.fixture
def oai(world, live_tollgate):
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_create_returns_text_and_usage_and_is_charged(oai, world, model):
    resp = oai.responses.create(model=model, input="Hello there", instructions="Be brief.", max_output_tokens=50,
                                temperature=0.5, metadata={"ticket": "42"})
    assert resp.id.startswith("resp_") and resp.model == model and resp.status == "completed"
    assert resp.output_text.startswith("tok0 tok1")
    assert resp.usage.output_tokens == 16 and resp.usage.input_tokens > 0
    assert resp.metadata == {"ticket": "42"} and resp.store is False
    row = usage_rows()[-1]
    assert (row.endpoint, row.model, row.completion_tokens, row.status) == ("responses", model, 16, "success")
    assert usage_charges() == [-row.total_cost] and row.total_cost > 0
    assert balance(world.org.wallet.id) == 10_000_000 - row.total_cost


@pytest.mark.parametrize("model", MODELS)
def test_upstream_gets_the_request_in_its_own_format(oai, mock_upstream, model):
    oai.responses.create(model=model, input="Hello there", instructions="Be brief.", max_output_tokens=50)
    if model == "gpt-test":
        sent = mock_upstream.last("responses")
        assert (sent["model"], sent["instructions"], sent["max_output_tokens"]) == ("gpt-upstream", "Be brief.", 50)
        assert sent["store"] is False and sent["input"] == [{"type": "message", "role": "user",
                                                              "content": "Hello there"}]
    else:
        sent = mock_upstream.last("messages")
        assert (sent["model"], sent["system"], sent["max_tokens"]) == ("claude-upstream", "Be brief.", 50)
        assert sent["messages"] == [{"role": "user", "content": "Hello there"}]


@pytest.mark.parametrize("model", MODELS)
def test_stream_sends_the_responses_event_sequence_with_usage(oai, model):
    events = list(oai.responses.create(model=model, input="Hello there", max_output_tokens=50, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert final.output_text == text and final.usage.output_tokens == 16 and final.model == model
    row = usage_rows()[-1]
    assert row.stream is True and row.endpoint == "responses" and row.completion_tokens == 16


@pytest.mark.parametrize("model", MODELS)
def test_stream_helper_builds_the_final_response(oai, model):
    with oai.responses.stream(model=model, input="Hello there", max_output_tokens=50) as stream:
        final = stream.get_final_response()
    assert final.output_text.startswith("tok0") and final.usage.total_tokens > 16


@pytest.mark.parametrize("model", MODELS)
def test_function_tool_round_trip(oai, mock_upstream, model):
    with knobs(mock_upstream, tool_call="get_weather"):
        first = oai.responses.create(model=model, input="Weather in Paris?", tools=WEATHER)
    call = first.output[0]
    assert (call.type, call.name) == ("function_call", "get_weather")
    assert call.arguments.replace(" ", "") == '{"location":"Paris"}'
    follow = [{"type": "message", "role": "user", "content": "Weather in Paris?"},
              {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
              {"type": "function_call_output", "call_id": call.call_id, "output": "18 C and sunny"}]
    second = oai.responses.create(model=model, input=follow, tools=WEATHER)
    assert second.output_text.startswith("tok0")
    if model == "claude-test":
        sent = mock_upstream.last("messages")["messages"]
        assert sent[1]["content"][0]["type"] == "tool_use" and sent[1]["content"][0]["id"] == call.call_id
        assert sent[2]["content"][0] == {"type": "tool_result", "tool_use_id": call.call_id,
                                         "content": "18 C and sunny"}
    else:
        assert mock_upstream.last("responses")["input"][2]["output"] == "18 C and sunny"


@pytest.mark.parametrize("model", MODELS)
def test_streamed_function_call_arrives_as_argument_deltas(oai, mock_upstream, model):
    with knobs(mock_upstream, tool_call="get_weather"):
        with oai.responses.stream(model=model, input="Weather?", tools=WEATHER) as stream:
            final = stream.get_final_response()
    assert final.output[0].type == "function_call"
    assert final.output[0].arguments.replace(" ", "") == '{"location":"Paris"}'


@pytest.mark.parametrize("model", MODELS)
def test_max_output_tokens_ends_the_response_incomplete(oai, mock_upstream, model):
    with knobs(mock_upstream, completion_tokens=40):
        resp = oai.responses.create(model=model, input="Hello there", max_output_tokens=20)
    assert resp.status == "incomplete" and resp.incomplete_details.reason == "max_output_tokens"
    assert resp.usage.output_tokens == 20


@pytest.mark.parametrize("field, value, param", [
    ("tools", [{"type": "web_search"}], "tools[0].type"),
    ("tools", [{"type": "file_search", "vector_store_ids": ["vs_1"]}], "tools[0].type"),
    ("background", True, "background"),
    ("input", 5, "input"),
    ("max_output_tokens", 5000, "max_output_tokens"),
    ("max_output_tokens", 15, "max_output_tokens"),
    ("text", {"format": {"type": "xml"}}, "text.format"),
])
@pytest.mark.parametrize("model", MODELS)
def test_unsupported_or_bad_parameters_are_a_400_naming_them(world, live_tollgate, mock_upstream, model, field,
                                                             value, param):
    before = requests.get(f"{mock_upstream.url}/_control", timeout=5).json()["requests"]
    body = {"model": model, "input": "Hi", field: value}
    resp = requests.post(f"{live_tollgate.url}/v1/responses", json=body, headers=world.headers, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == param and resp.json()["error"]["type"] == "invalid_request_error"
    assert "X-Quota-Remaining-Credits" in resp.headers
    assert requests.get(f"{mock_upstream.url}/_control", timeout=5).json()["requests"] == before
    assert usage_charges() == []


def test_items_only_openai_knows_pass_through_but_are_a_400_naming_them_for_claude(oai, mock_upstream):
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                                            {"type": "input_image", "file_id": "file_abc"}]}
    assert oai.responses.create(model="gpt-test", input=[item]).status == "completed"
    assert mock_upstream.last("responses")["input"][0]["content"][1]["file_id"] == "file_abc"
    with pytest.raises(openai.BadRequestError) as exc:
        oai.responses.create(model="claude-test", input=[item])
    assert exc.value.body["param"] == "input[0].content"


def test_errors_are_typed_sdk_exceptions(world, live_tollgate):
    bad = openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key="tg-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.responses.create(model="gpt-test", input="Hi")


@pytest.mark.parametrize("model", MODELS)
def test_quota_headers_as_for_chat_completions(oai, model):
    raw = oai.responses.with_raw_response.create(model=model, input="Hi")
    assert raw.headers["X-Request-Id"].startswith("req_")
    assert raw.headers["X-Quota-Remaining-Credits"] == "unlimited"
    assert int(raw.headers["X-Org-Quota-Remaining-Credits"]) < 10_000_000


@pytest.mark.parametrize("model", MODELS)
def test_upstream_rejection_is_relayed_in_the_openai_error_shape(oai, mock_upstream, model):
    with knobs(mock_upstream, error="400"):
        with pytest.raises(openai.BadRequestError) as exc:
            oai.responses.create(model=model, input="Hi")
    assert "injected" in exc.value.body["message"]
    assert usage_rows()[-1].status == "error" and usage_charges() == []


@pytest.mark.parametrize("model", MODELS)
def test_stream_cut_upstream_ends_with_an_error_event_and_charges_what_was_sent(world, live_tollgate, mock_upstream,
                                                                              model):
    import json

    with knobs(mock_upstream, cut_after=3):
        resp = requests.post(f"{live_tollgate.url}/v1/responses", headers=world.headers, stream=True, timeout=10,
                             json={"model": model, "input": "Hello there", "stream": True})
        events = [json.loads(line[6:]) for line in resp.iter_lines() if line.startswith(b"data: ")]
    assert sum(e["type"] == "response.output_text.delta" for e in events) == 3
    assert events[-1]["type"] == "error" and events[-1]["code"] == "stream_cut"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    row = usage_rows()[-1]
    assert row.usage_estimated and 0 < row.completion_tokens <= 4 and row.total_cost > 0


@pytest.mark.parametrize("model", MODELS)
def test_per_request_cap_ends_a_stream_as_incomplete(client, world, mock_upstream, model):
    import json

    _, secret = make_key(world.owner, world.org, per_request_cap=40)
    with knobs(mock_upstream, completion_tokens=200, ignore_max_tokens=True):
        resp = client.post("/v1/responses", headers={"Authorization": f"Bearer {secret}"}, buffered=True,
                           json={"model": model, "input": "Hello there", "stream": True})
        body = resp.get_data(as_text=True)
    events = [json.loads(e.split("data: ", 1)[1]) for e in body.split("\n\n") if "data: {" in e]
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert 0 < -usage_charges()[0] <= 40
