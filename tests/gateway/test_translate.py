"""Translation between OpenAI Chat Completions and Anthropic Messages.

Outputs are validated against the official SDK types, so the shapes are the real ones.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import Message, RawMessageStreamEvent
from anthropic.types import message_create_params as anthropic_params
from anthropic.types.shared import ErrorResponse
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat import completion_create_params as openai_params
from openai.types.shared import ErrorObject
from pydantic import TypeAdapter

from app.gateway.translate import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    SSEParser,
    TranslationError,
    anthropic_error_to_openai,
    anthropic_request_to_openai,
    anthropic_response_to_openai,
    openai_error_to_anthropic,
    openai_request_to_anthropic,
    openai_response_to_anthropic,
    sse_event,
)

ANTHROPIC_REQUEST = TypeAdapter(anthropic_params.MessageCreateParams)
OPENAI_REQUEST = TypeAdapter(openai_params.CompletionCreateParams)
STREAM_EVENT = TypeAdapter(RawMessageStreamEvent)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _materialize(value: Any) -> Any:
    # The SDK request types are TypedDicts with Iterable fields, which pydantic validates
    # lazily; walking every iterator forces validation of the whole tree.
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or hasattr(value, "__next__"):
        return [_materialize(v) for v in value]
    return value


def valid_anthropic_request(body: dict) -> dict:
    _materialize(ANTHROPIC_REQUEST.validate_python(body))
    return body


def valid_openai_request(body: dict) -> dict:
    _materialize(OPENAI_REQUEST.validate_python(body))
    return body


def tool_conversation_openai() -> dict:
    return {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": "24C clear"},
        ],
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
    }


# ---------------------------------------------------------------- requests


def test_openai_text_request_to_anthropic():
    body = {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hello"},
            {"role": "user", "content": [{"type": "text", "text": "Still there?"}]},
            {"role": "assistant", "content": "Oui."},
            {"role": "user", "content": "Thanks"},
        ],
        "temperature": 1.6,
        "top_p": 0.9,
        "stop": "END",
        "user": "u-42",
        "stream": True,
        "stream_options": {"include_usage": True},
        "logprobs": True,
        "frequency_penalty": 0.3,
    }
    out = valid_anthropic_request(openai_request_to_anthropic(body, "claude-up", 1024))
    assert out == {
        "model": "claude-up",
        "system": "You are terse.\n\nAnswer in French.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "Still there?"}]},
            {"role": "assistant", "content": "Oui."},
            {"role": "user", "content": "Thanks"},
        ],
        "max_tokens": 1024,
        "temperature": 1.0,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "stream": True,
        "metadata": {"user_id": "u-42"},
    }


def test_openai_max_tokens_variants():
    msgs = [{"role": "user", "content": "hi"}]
    assert openai_request_to_anthropic({"messages": msgs, "max_tokens": 50}, "m", 9)["max_tokens"] == 50
    out = openai_request_to_anthropic({"messages": msgs, "max_tokens": 50, "max_completion_tokens": 70}, "m", 9)
    assert out["max_tokens"] == 70


def test_openai_images_to_anthropic():
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
                ],
            }
        ]
    }
    out = valid_anthropic_request(openai_request_to_anthropic(body, "m", 100))
    assert out["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


def test_openai_tools_and_results_to_anthropic():
    body = tool_conversation_openai()
    body["parallel_tool_calls"] = False
    out = valid_anthropic_request(openai_request_to_anthropic(body, "m", 100))
    assert out["system"] == "Be brief."
    assert out["tools"] == [
        {
            "name": "get_weather",
            "description": "Current weather for a city",
            "input_schema": WEATHER_TOOL["function"]["parameters"],
        }
    ]
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assistant, results = out["messages"][1], out["messages"][2]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }
    # Both tool results share a single user turn, as Anthropic requires.
    assert results == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C sunny"},
            {"type": "tool_result", "tool_use_id": "call_2", "content": "24C clear"},
        ],
    }
    assert len(out["messages"]) == 3


def test_tool_results_followed_by_user_text_share_one_turn():
    body = tool_conversation_openai()
    body["messages"].append({"role": "user", "content": "And tomorrow?"})
    out = valid_anthropic_request(openai_request_to_anthropic(body, "m", 100))
    last = out["messages"][-1]["content"]
    assert [b["type"] for b in last] == ["tool_result", "tool_result", "text"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_openai_tool_choice(choice, expected):
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER_TOOL], "tool_choice": choice}
    assert valid_anthropic_request(openai_request_to_anthropic(body, "m", 10))["tool_choice"] == expected


def test_tool_choice_without_tools_is_dropped():
    body = {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "auto"}
    assert "tool_choice" not in openai_request_to_anthropic(body, "m", 10)


def test_openai_request_rejects_what_anthropic_cannot_do():
    with pytest.raises(TranslationError):
        openai_request_to_anthropic({"messages": [{"role": "user", "content": "hi"}], "n": 2}, "m", 10)
    audio = {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}
    with pytest.raises(TranslationError):
        openai_request_to_anthropic({"messages": [audio]}, "m", 10)


def test_anthropic_request_to_openai():
    body = {
        "model": "claude-x",
        "max_tokens": 300,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "18C"}]},
                    {"type": "text", "text": "Go on"},
                ],
            },
        ],
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "stop_sequences": ["###"],
        "temperature": 0.2,
        "top_k": 5,
        "metadata": {"user_id": "u-1"},
        "stream": True,
    }
    out = valid_openai_request(anthropic_request_to_openai(body, "gpt-up"))
    assert out == {
        "model": "gpt-up",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                ],
            },
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "user", "content": "Go on"},
        ],
        "max_tokens": 300,
        "temperature": 0.2,
        "stop": ["###"],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}, "description": "Weather"},
            }
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "user": "u-1",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_anthropic_server_tools_are_refused():
    body = {"max_tokens": 5, "messages": [], "tools": [{"type": "web_search_20250305", "name": "web_search"}]}
    with pytest.raises(TranslationError):
        anthropic_request_to_openai(body, "m")


def test_request_round_trip_openai_anthropic_openai():
    original = tool_conversation_openai()
    anthropic_body = openai_request_to_anthropic(original, "claude-up", 512)
    back = valid_openai_request(anthropic_request_to_openai(anthropic_body, "gpt-x"))
    assert back["messages"][0] == {"role": "system", "content": "Be brief."}
    assert back["messages"][1] == {"role": "user", "content": "Weather in Paris and Rome?"}
    calls = back["messages"][2]["tool_calls"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Rome"}]
    assert back["messages"][3:] == original["messages"][3:]
    assert back["tools"] == [WEATHER_TOOL]
    assert back["tool_choice"] == "auto"


def test_request_round_trip_anthropic_openai_anthropic():
    original = {
        "model": "claude-x",
        "max_tokens": 200,
        "system": "Be kind.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": [1, 2]}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "done"}]},
        ],
        "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}],
        "tool_choice": {"type": "tool", "name": "f"},
        "stop_sequences": ["x", "y"],
    }
    openai_body = anthropic_request_to_openai(original, "gpt-x")
    back = valid_anthropic_request(openai_request_to_anthropic(openai_body, "claude-x", 999))
    assert back["system"] == original["system"]
    assert back["messages"] == original["messages"]
    assert back["tools"] == original["tools"]
    assert back["tool_choice"] == original["tool_choice"]
    assert back["stop_sequences"] == ["x", "y"]
    assert back["max_tokens"] == 200


# ---------------------------------------------------------------- responses


def anthropic_message(**overrides: Any) -> dict:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-up",
        "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 90, "cache_creation_input_tokens": 0},
    }
    return {**message, **overrides}


def test_anthropic_response_to_openai_text_and_cached_usage():
    out = anthropic_response_to_openai(anthropic_message(), "public-model")
    completion = ChatCompletion.model_validate(out)
    assert completion.model == "public-model"
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 100
    assert completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 105
    assert completion.usage.prompt_tokens_details.cached_tokens == 90


def test_anthropic_response_with_tool_use_to_openai():
    content = [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Oslo"}},
    ]
    out = anthropic_response_to_openai(anthropic_message(content=content, stop_reason="tool_use"), "m")
    choice = ChatCompletion.model_validate(out).choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].id == "toolu_9"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"city": "Oslo"}


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls")],
)
def test_stop_reason_mapping(stop_reason, finish_reason):
    out = anthropic_response_to_openai(anthropic_message(stop_reason=stop_reason), "m")
    assert out["choices"][0]["finish_reason"] == finish_reason


def openai_completion(message: dict, finish_reason: str, usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-up",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": usage
        or {"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127, "prompt_tokens_details": {"cached_tokens": 100}},
    }


def test_openai_response_to_anthropic_text_and_usage():
    resp = openai_completion({"role": "assistant", "content": "Hi!"}, "stop")
    message = Message.model_validate(openai_response_to_anthropic(resp, "public-model"))
    assert message.content[0].text == "Hi!"
    assert message.stop_reason == "end_turn"
    assert message.model == "public-model"
    assert message.usage.input_tokens == 20
    assert message.usage.cache_read_input_tokens == 100
    assert message.usage.output_tokens == 7


def test_openai_tool_calls_response_to_anthropic():
    msg = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Lima"}'}}],
    }
    message = Message.model_validate(openai_response_to_anthropic(openai_completion(msg, "tool_calls"), "m"))
    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "tool_use"
    assert message.content[0].input == {"city": "Lima"}


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "end_turn")],
)
def test_finish_reason_mapping(finish_reason, stop_reason):
    resp = openai_completion({"role": "assistant", "content": "x"}, finish_reason)
    assert openai_response_to_anthropic(resp, "m")["stop_reason"] == stop_reason


def test_response_round_trip_keeps_usage():
    original = anthropic_message()
    back = openai_response_to_anthropic(anthropic_response_to_openai(original, "m"), "claude-up")
    assert back["usage"]["input_tokens"] == 10
    assert back["usage"]["cache_read_input_tokens"] == 90
    assert back["usage"]["output_tokens"] == 5
    assert back["content"] == [{"type": "text", "text": "Hello there"}]


# ---------------------------------------------------------------- errors


def test_openai_error_to_anthropic():
    body = {"error": {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    out = openai_error_to_anthropic(429, body)
    assert ErrorResponse.model_validate(out).error.type == "rate_limit_error"
    assert out["error"]["message"] == "Rate limit reached"
    assert openai_error_to_anthropic(503, b"<html>down</html>")["error"] == {"type": "overloaded_error", "message": "<html>down</html>"}
    for status in (400, 401, 403, 404, 413, 500, 502, 504):
        ErrorResponse.model_validate(openai_error_to_anthropic(status, {}))


def test_anthropic_error_to_openai():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    out = anthropic_error_to_openai(529, json.dumps(body).encode())
    err = ErrorObject.model_validate(out["error"])
    assert (err.type, err.message, err.code) == ("server_error", "Overloaded", "overloaded_error")
    bad = anthropic_error_to_openai(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}})
    assert bad["error"]["type"] == "invalid_request_error"


# ---------------------------------------------------------------- streams

ANTHROPIC_EVENTS: list[tuple[str, dict]] = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_s1", "type": "message", "role": "assistant", "model": "claude-up", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "check."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 42}}),
    ("message_stop", {"type": "message_stop"}),
]


def test_anthropic_events_are_real_sdk_events():
    for _, data in ANTHROPIC_EVENTS:
        if data["type"] != "ping":
            STREAM_EVENT.validate_python(data)


def test_anthropic_stream_to_openai_chunks():
    translator = AnthropicToOpenAIStream("public-model", include_usage=True)
    chunks = [chunk for event, data in ANTHROPIC_EVENTS for chunk in translator.feed(event, data)]
    state = ChatCompletionStreamState()
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 172
    final = state.get_final_completion()
    choice = final.choices[0]
    assert choice.message.content == "Let me check."
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].id == "toolu_01"
    assert choice.message.tool_calls[0].function.name == "get_weather"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"city": "Paris"}
    assert translator.finish_reason == "tool_calls"
    usage = translator.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.cache_creation_tokens) == (130, 42, 100, 5)


def test_anthropic_stream_without_usage_chunk():
    translator = AnthropicToOpenAIStream("m", include_usage=False)
    chunks = [c for event, data in ANTHROPIC_EVENTS for c in translator.feed(event, data)]
    assert all(c["choices"] for c in chunks)
    assert "usage" not in chunks[-1]
    assert translator.usage.completion_tokens == 42  # the gateway still sees usage for billing


def test_anthropic_stream_error_event():
    translator = AnthropicToOpenAIStream("m", include_usage=True)
    out = translator.feed("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert out == [{"error": {"message": "Overloaded", "type": "server_error", "param": None, "code": "overloaded_error"}}]


def openai_chunk(delta: dict | None, finish_reason: str | None = None, usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-s1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-up",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        "usage": usage,
    }


OPENAI_CHUNKS = [
    openai_chunk({"role": "assistant", "content": ""}),
    openai_chunk({"content": "Let me "}),
    openai_chunk({"content": "check."}),
    openai_chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
    openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
    openai_chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}}]}),
    openai_chunk({}, finish_reason="tool_calls"),
    openai_chunk(None, usage={"prompt_tokens": 150, "completion_tokens": 30, "total_tokens": 180, "prompt_tokens_details": {"cached_tokens": 128}}),
]


def anthropic_accumulator():
    module = pytest.importorskip("anthropic.lib.streaming._messages")
    return module.accumulate_event


def test_openai_stream_to_anthropic_events():
    for chunk in OPENAI_CHUNKS:
        ChatCompletionChunk.model_validate(chunk)
    translator = OpenAIToAnthropicStream("public-model")
    events = [e for chunk in OPENAI_CHUNKS for e in translator.feed(chunk)]
    assert "message_delta" not in [name for name, _ in events]  # usage is still to come
    events += translator.finish()
    assert translator.finish() == []

    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop",
        "content_block_start", "content_block_delta",
        "content_block_stop",
        "message_delta", "message_stop",
    ]
    accumulate = anthropic_accumulator()
    snapshot, json_bufs = None, {}
    for name, data in events:
        assert data["type"] == name
        event = STREAM_EVENT.validate_python(data)
        snapshot = accumulate(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot.content[0].text == "Let me check."
    assert [(b.id, b.input) for b in snapshot.content[1:]] == [("call_a", {"city": "Paris"}), ("call_b", {"city": "Rome"})]
    assert snapshot.stop_reason == "tool_use"
    assert snapshot.usage.output_tokens == 30
    message_delta = events[-2][1]
    assert message_delta["usage"] == {"output_tokens": 30, "input_tokens": 22, "cache_read_input_tokens": 128}
    usage = translator.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (150, 30, 128)


def test_openai_stream_text_only_and_empty_upstream():
    translator = OpenAIToAnthropicStream("m")
    events = translator.feed(openai_chunk({"role": "assistant", "content": "Hi"}, finish_reason="stop")) + translator.finish()
    assert [n for n, _ in events] == [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert events[-2][1]["usage"] == {"output_tokens": 0}
    for _, data in events:
        STREAM_EVENT.validate_python(data)

    empty = OpenAIToAnthropicStream("m").finish()
    assert [n for n, _ in empty] == ["message_start", "message_delta", "message_stop"]


def test_round_trip_stream_anthropic_openai_anthropic():
    to_openai = AnthropicToOpenAIStream("m", include_usage=True)
    to_anthropic = OpenAIToAnthropicStream("m")
    events = []
    for name, data in ANTHROPIC_EVENTS:
        for chunk in to_openai.feed(name, data):
            events += to_anthropic.feed(chunk)
    events += to_anthropic.finish()
    accumulate = anthropic_accumulator()
    snapshot, json_bufs = None, {}
    for _, data in events:
        snapshot = accumulate(event=STREAM_EVENT.validate_python(data), current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot.content[0].text == "Let me check."
    assert snapshot.content[1].input == {"city": "Paris"}
    assert snapshot.stop_reason == "tool_use"
    assert to_anthropic.usage.completion_tokens == 42


# ---------------------------------------------------------------- SSE


def test_sse_event_encoding():
    assert sse_event({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse_event(b"[DONE]") == b"data: [DONE]\n\n"
    assert sse_event({"type": "ping"}, event="ping") == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert sse_event("line1\nline2") == b"data: line1\ndata: line2\n\n"


def test_sse_parser_handles_split_reads_and_crlf():
    stream = (
        b": keep-alive\r\n\r\n"
        b"event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n"
        b"data: line1\r\ndata: line2\r\n\r\n"
        + "data: {\"text\":\"caf\u00e9 \u2615\"}\n\n".encode()
        + b"event: message_stop\rdata: {}\r\r"
        b"data: [DONE]\n\n"
    )
    expected = [
        ("message_start", '{"type":"message_start"}'),
        (None, "line1\nline2"),
        (None, '{"text":"caf\u00e9 \u2615"}'),
        ("message_stop", "{}"),
        (None, "[DONE]"),
    ]
    whole = SSEParser().feed(stream)
    assert whole == expected
    for size in (1, 2, 3, 7, 16):
        parser = SSEParser()
        got = [ev for i in range(0, len(stream), size) for ev in parser.feed(stream[i:i + size])]
        assert got == expected, size


def test_sse_parser_flush_dispatches_unterminated_event():
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.flush() == [(None, "[DONE]")]


def test_sse_round_trip_of_translated_stream():
    translator = OpenAIToAnthropicStream("m")
    wire = b"".join(sse_event(data, name) for chunk in OPENAI_CHUNKS for name, data in translator.feed(chunk))
    wire += b"".join(sse_event(data, name) for name, data in translator.finish())
    parsed = SSEParser().feed(wire)
    assert [name for name, _ in parsed][0] == "message_start"
    assert all(json.loads(data)["type"] == name for name, data in parsed)


# ---------------------------------------------------------------- edge cases


def test_unparseable_tool_arguments_are_kept_not_fatal():
    msg = {"role": "assistant", "content": None,
           "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}
    message = Message.model_validate(openai_response_to_anthropic(openai_completion(msg, "tool_calls"), "m"))
    assert message.content[0].input == {"_raw_arguments": "{not json"}


def test_stop_after_tool_calls_still_means_tool_use():
    msg = {"role": "assistant", "content": "",
           "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    assert openai_response_to_anthropic(openai_completion(msg, "stop"), "m")["stop_reason"] == "tool_use"
    translator = OpenAIToAnthropicStream("m")
    translator.feed(openai_chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]}))
    translator.feed(openai_chunk({}, finish_reason="stop"))
    assert translator.finish()[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_tool_result_images_follow_the_tool_message():
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/shot.png"}}
    body = {
        "max_tokens": 10,
        "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "screenshot", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                          "content": [{"type": "text", "text": "captured"}, image]}]},
        ],
    }
    out = valid_openai_request(anthropic_request_to_openai(body, "m"))
    assert out["messages"][1:] == [
        {"role": "tool", "tool_call_id": "t1", "content": "captured"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/shot.png"}}]},
    ]


def test_pdf_documents_translate_both_ways():
    file_part = {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}}
    body = {"messages": [{"role": "user", "content": [file_part, {"type": "text", "text": "Summarize"}]}]}
    anthropic_body = valid_anthropic_request(openai_request_to_anthropic(body, "m", 10))
    assert anthropic_body["messages"][0]["content"][0] == {
        "type": "document", "title": "a.pdf",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"},
    }
    back = valid_openai_request(anthropic_request_to_openai(anthropic_body, "m"))
    assert back["messages"][0]["content"][0] == file_part


def test_malformed_anthropic_input_is_a_translation_error():
    bad_tool_use = {"role": "assistant", "content": [{"type": "tool_use", "name": "f", "input": {}}]}
    with pytest.raises(TranslationError):
        anthropic_request_to_openai({"max_tokens": 5, "messages": [bad_tool_use]}, "m")
    with pytest.raises(TranslationError):
        anthropic_request_to_openai({"max_tokens": 5, "messages": [], "tools": [{"input_schema": {}}]}, "m")
