"""Responses API <-> Chat Completions translation, and structured output through Anthropic's tools.

Outputs are validated against the official SDKs' types, as in test_translate.
"""
from __future__ import annotations

import json

import pytest
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.responses import response_create_params as responses_params
from openai import omit
from pydantic import TypeAdapter

from app.gateway.translate import (
    STRUCTURED_TOOL,
    AnthropicToOpenAIStream,
    ChatToResponsesStream,
    TranslationError,
    anthropic_response_to_openai,
    chat_response_to_responses,
    envelope,
    input_items,
    openai_request_to_anthropic,
    responses_request_to_chat,
)

from .test_translate import ANTHROPIC_EVENTS, _materialize, anthropic_message, valid_anthropic_request
from .test_translate import valid_openai_request

RESPONSES_REQUEST = TypeAdapter(responses_params.ResponseCreateParamsNonStreaming)
STREAM_EVENT = TypeAdapter(ResponseStreamEvent)
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
          "additionalProperties": False}


def tool_round_trip_request() -> dict:
    body = {
        "model": "m", "instructions": "Be brief.", "max_output_tokens": 100, "temperature": 0.3,
        "tools": [{"type": "function", "name": "get_weather", "parameters": SCHEMA, "strict": True}],
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
            {"type": "function_call", "call_id": "call_2", "name": "get_weather", "arguments": '{"city":"Rome"}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": "rain"},
        ],
    }
    _materialize(RESPONSES_REQUEST.validate_python(body))
    return body


def test_responses_request_to_chat_carries_tools_and_results():
    body = tool_round_trip_request()
    chat = valid_openai_request(responses_request_to_chat(body, input_items(body)))
    assert chat["messages"][0] == {"role": "system", "content": "Be brief."}
    assert chat["messages"][1] == {"role": "user", "content": "Weather?"}
    assert [c["id"] for c in chat["messages"][2]["tool_calls"]] == ["call_1", "call_2"]  # one parallel turn
    assert chat["messages"][3:] == [{"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                                    {"role": "tool", "tool_call_id": "call_2", "content": "rain"}]
    assert (chat["max_tokens"], chat["temperature"]) == (100, 0.3)
    assert chat["tools"][0]["function"]["strict"] is True
    anthropic = valid_anthropic_request(openai_request_to_anthropic(chat, "claude-up", 100))
    assert anthropic["messages"][1]["content"][1]["id"] == "call_2"


def test_a_string_input_is_one_user_message():
    assert input_items({"input": "Hi"}) == [{"type": "message", "role": "user", "content": "Hi"}]


@pytest.mark.parametrize("item", [
    {"type": "web_search_call", "id": "ws_1", "status": "completed"},
    {"type": "message", "role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]},
])
def test_items_without_a_chat_form_are_refused_by_name(item):
    with pytest.raises(TranslationError) as exc:
        responses_request_to_chat({"model": "m"}, [item])
    assert exc.value.param.startswith("input[0]")


def test_text_format_becomes_response_format():
    body = {"model": "m", "input": "x", "text": {"format": {"type": "json_schema", "name": "City", "schema": SCHEMA,
                                                            "strict": True}}}
    chat = valid_openai_request(responses_request_to_chat(body, input_items(body)))
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {"name": "City", "schema": SCHEMA,
                                                                              "strict": True}}


def chat_completion(message: dict, finish_reason: str) -> dict:
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37,
                      "prompt_tokens_details": {"cached_tokens": 10}}}


def test_chat_answer_to_response_object():
    shell = envelope({"model": "m", "metadata": {"a": "b"}}, "resp_1", "public", False, None)
    message = {"role": "assistant", "content": "Hi",
               "tool_calls": [{"id": "call_9", "type": "function",
                               "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]}
    resp = Response.model_validate(chat_response_to_responses(chat_completion(message, "tool_calls"), shell))
    assert resp.id == "resp_1" and resp.model == "public" and resp.status == "completed"
    assert resp.output_text == "Hi" and resp.output[1].call_id == "call_9"
    assert (resp.usage.input_tokens, resp.usage.output_tokens, resp.usage.input_tokens_details.cached_tokens) == (
        30, 7, 10)
    assert resp.metadata == {"a": "b"}
    cut = chat_response_to_responses(chat_completion({"role": "assistant", "content": "Hi"}, "length"), shell)
    assert Response.model_validate(cut).incomplete_details.reason == "max_output_tokens"


def test_anthropic_stream_becomes_the_responses_event_sequence():
    chat = AnthropicToOpenAIStream("public", include_usage=True)
    out = ChatToResponsesStream(envelope({"model": "m"}, "resp_2", "public", False, None))
    events = [e for name, data in ANTHROPIC_EVENTS for chunk in chat.feed(name, data) for e in out.feed(chunk)]
    events += out.finish()
    state = ResponseStreamState(input_tools=omit, text_format=omit)
    for name, data in events:
        assert name == data["type"]
        state.handle_event(STREAM_EVENT.validate_python(data))
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert [n for n, _ in events][:4] == ["response.created", "response.in_progress", "response.output_item.added",
                                          "response.content_part.added"]
    final = Response.model_validate(events[-1][1]["response"])
    assert events[-1][0] == "response.completed"
    assert final.output_text == "Let me check."
    assert final.output[1].name == "get_weather" and json.loads(final.output[1].arguments) == {"city": "Paris"}
    assert final.usage.output_tokens == 42 and final.usage.input_tokens == 130


# ---------------------------------------------------------------- structured output


def structured_chat(**extra) -> dict:
    return valid_openai_request({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "City", "schema": SCHEMA}}, **extra})


def test_response_format_becomes_a_forced_tool():
    out = valid_anthropic_request(openai_request_to_anthropic(structured_chat(), "claude-up", 100))
    assert out["tool_choice"] == {"type": "tool", "name": STRUCTURED_TOOL}
    assert out["tools"] == [{"name": STRUCTURED_TOOL, "description": "Answer with the City JSON object.",
                             "input_schema": SCHEMA}]


def test_response_format_becomes_output_config_where_the_provider_takes_it():
    out = valid_anthropic_request(openai_request_to_anthropic(structured_chat(), "claude-up", 100, True))
    assert out["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert "tools" not in out and "tool_choice" not in out


def test_response_format_with_a_non_object_schema_is_refused_by_name():
    body = structured_chat()
    body["response_format"]["json_schema"]["schema"] = {"type": "array", "items": {"type": "string"}}
    with pytest.raises(TranslationError) as exc:
        openai_request_to_anthropic(body, "claude-up", 100)
    assert exc.value.param == "response_format.json_schema.schema"


def test_forced_tool_answer_becomes_content_with_stop():
    msg = anthropic_message(content=[{"type": "tool_use", "id": "toolu_1", "name": STRUCTURED_TOOL,
                                      "input": {"city": "Paris"}}], stop_reason="tool_use")
    choice = anthropic_response_to_openai(msg, "m", structured=True)["choices"][0]
    assert json.loads(choice["message"]["content"]) == {"city": "Paris"}
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]
    assert anthropic_response_to_openai(msg, "m")["choices"][0]["finish_reason"] == "tool_calls"


def test_forced_tool_stream_becomes_content_deltas():
    events = [
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_1", "name": STRUCTURED_TOOL, "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": '{"city": '}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": '"Paris"}'}}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
    ]
    translator = AnthropicToOpenAIStream("m", include_usage=False, structured=True)
    chunks = [c for name, data in events for c in translator.feed(name, data)]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == '{"city": "Paris"}'
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
