"""The mock upstream's Responses API, structured output and count_tokens, read by the official SDKs."""
import anthropic
import openai
import pydantic
import pytest

TEXT_16 = " ".join(f"tok{i}" for i in range(16))


class Event(pydantic.BaseModel):
    name: str
    attendees: list[str]
    day: int


@pytest.fixture
def oai(mock_upstream):
    return openai.OpenAI(base_url=f"{mock_upstream.url}/v1", api_key="x", max_retries=0, timeout=10)


@pytest.fixture
def claude(mock_upstream):
    return anthropic.Anthropic(base_url=mock_upstream.url, api_key="x", max_retries=0, timeout=10)


def test_responses_create_returns_text_and_usage(oai):
    resp = oai.responses.create(model="gpt-x", input="hello world!", instructions="be brief")
    assert resp.status == "completed" and resp.output_text == TEXT_16
    assert resp.usage.output_tokens == 16 and resp.usage.input_tokens == 5
    assert resp.usage.total_tokens == 21


def test_responses_stream_follows_openai_event_order(oai):
    events = list(oai.responses.create(model="gpt-x", input="hello world!", max_output_tokens=16, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[4:-4] == ["response.output_text.delta"] * 16
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.usage.output_tokens == 16


def test_responses_max_output_tokens_ends_incomplete(oai):
    events = list(oai.responses.create(model="gpt-x", input="hi", max_output_tokens=16, stream=True,
                                       extra_headers={"X-Mock-Completion-Tokens": "40"}))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


def test_responses_function_call_streams_its_arguments(oai):
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    with oai.responses.stream(model="gpt-x", input="weather?", tools=tools,
                              extra_headers={"X-Mock-Tool-Call": "get_weather"}) as stream:
        final = stream.get_final_response()
    call = final.output[0]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.arguments == '{"location": "Paris"}'


def test_responses_refuses_previous_response_id_it_never_stored(oai):
    with pytest.raises(openai.BadRequestError) as exc:
        oai.responses.create(model="gpt-x", input="hi", previous_response_id="resp_unknown")
    assert exc.value.body["param"] == "previous_response_id"


def test_chat_parse_gets_json_matching_the_schema(oai):
    done = oai.chat.completions.parse(model="gpt-x", messages=[{"role": "user", "content": "plan"}],
                                      response_format=Event)
    assert done.choices[0].message.parsed == Event(name="tok0", attendees=["tok0"], day=1)


def test_chat_stream_of_structured_output_concatenates_to_the_json(oai):
    with oai.chat.completions.stream(model="gpt-x", messages=[{"role": "user", "content": "plan"}],
                                     response_format=Event) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.parsed.attendees == ["tok0"]


def test_responses_parse_gets_json_matching_the_schema(oai):
    resp = oai.responses.parse(model="gpt-x", input="plan", text_format=Event)
    assert resp.output_parsed == Event(name="tok0", attendees=["tok0"], day=1)


def test_anthropic_forced_tool_gets_input_matching_its_schema(claude):
    schema = Event.model_json_schema()
    msg = claude.messages.create(model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "plan"}],
                                 tools=[{"name": "Event", "input_schema": schema}],
                                 tool_choice={"type": "tool", "name": "Event"})
    assert msg.stop_reason == "tool_use" and msg.content[0].input == {"name": "tok0", "attendees": ["tok0"], "day": 1}
    with claude.messages.stream(model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "plan"}],
                                tools=[{"name": "Event", "input_schema": schema}],
                                tool_choice={"type": "tool", "name": "Event"}) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == {"name": "tok0", "attendees": ["tok0"], "day": 1}


def test_anthropic_count_tokens_counts_system_and_messages(claude):
    counted = claude.messages.count_tokens(model="claude-x", system="be brief",
                                           messages=[{"role": "user", "content": "hello world!"}])
    assert counted.input_tokens == 5
