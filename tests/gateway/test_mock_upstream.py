"""The bundled mock upstream speaks the OpenAI and Anthropic wire formats and obeys its knobs."""
import base64
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.test import Client

from app.devtools.mock_upstream import create_mock_app

ROOT = Path(__file__).resolve().parents[2]
OPENAI = {"Authorization": "Bearer test-key"}
ANTHROPIC = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}
TEXT_16 = " ".join(f"tok{i}" for i in range(16))


# Named apart from the shared conftest's app/client fixtures, which bring up the database.
@pytest.fixture
def mock_app():
    return create_mock_app(env={})  # an empty env keeps a developer's MOCK_* variables out of the tests


@pytest.fixture
def mock(mock_app):
    return mock_app.test_client()


def chat_body(**extra):
    return {"model": "gpt-test", "messages": [{"role": "user", "content": "hello world!"}], **extra}


def messages_body(**extra):
    return {"model": "claude-test", "max_tokens": 100, "messages": [{"role": "user", "content": "hello world!"}],
            **extra}


def openai_chunks(resp):
    """The JSON payloads of an OpenAI SSE body, with "[DONE]" kept as a string."""
    lines = [line for line in resp.get_data(as_text=True).split("\n\n") if line]
    assert all(line.startswith("data: ") for line in lines)
    return [line[6:] if line[6:] == "[DONE]" else json.loads(line[6:]) for line in lines]


def anthropic_events(resp):
    events = []
    for block in resp.get_data(as_text=True).split("\n\n"):
        if block:
            name, data = block.split("\n")
            assert name.startswith("event: ") and data.startswith("data: ")
            payload = json.loads(data[6:])
            assert payload["type"] == name[7:]
            events.append(payload)
    return events


def stream_text(chunks):
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c != "[DONE]" and c["choices"])


# --- OpenAI chat completions -------------------------------------------------------------------------


def test_chat_completion_returns_sixteen_tokens_and_echoes_the_model(mock):
    resp = mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "gpt-test"
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": TEXT_16, "refusal": None}
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 3  # ceil(len("hello world!") / 4)
    assert body["usage"]["completion_tokens"] == 16
    assert body["usage"]["total_tokens"] == 19
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


def test_prompt_tokens_are_estimated_across_all_message_text(mock):
    messages = [{"role": "system", "content": "a" * 10},
                {"role": "user", "content": [{"type": "text", "text": "b" * 7}, {"type": "text", "text": "c" * 4}]}]
    body = mock.post("/v1/chat/completions", json=chat_body(messages=messages), headers=OPENAI).get_json()
    assert body["usage"]["prompt_tokens"] == 6  # ceil(21 / 4)


def test_token_headers_override_counts_and_report_cached_tokens(mock):
    headers = {**OPENAI, "X-Mock-Completion-Tokens": "3", "X-Mock-Prompt-Tokens": "100", "X-Mock-Cached-Tokens": "40"}
    body = mock.post("/v1/chat/completions", json=chat_body(), headers=headers).get_json()
    assert body["choices"][0]["message"]["content"] == "tok0 tok1 tok2"
    assert body["usage"]["prompt_tokens"] == 100 and body["usage"]["completion_tokens"] == 3
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 40


@pytest.mark.parametrize("limit_field", ["max_tokens", "max_completion_tokens"])
def test_token_limit_cuts_output_and_reports_length(mock, limit_field):
    body = mock.post("/v1/chat/completions", json=chat_body(**{limit_field: 5}), headers=OPENAI).get_json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5
    assert body["choices"][0]["message"]["content"] == "tok0 tok1 tok2 tok3 tok4"


def test_chat_stream_sends_a_chunk_per_token_then_finish_and_done_without_usage(mock):
    resp = mock.post("/v1/chat/completions", json=chat_body(stream=True),
                       headers={**OPENAI, "X-Mock-Completion-Tokens": "4"})
    assert resp.mimetype == "text/event-stream"
    chunks = openai_chunks(resp)
    assert chunks[-1] == "[DONE]"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = [c["choices"][0]["delta"]["content"] for c in chunks[1:5]]
    assert content == ["tok0", " tok1", " tok2", " tok3"]
    assert chunks[5]["choices"][0]["finish_reason"] == "stop"
    assert len(chunks) == 7
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "gpt-test" and "usage" not in c
               for c in chunks[:-1])
    assert len({c["id"] for c in chunks[:-1]}) == 1


def test_chat_stream_sends_a_usage_chunk_only_when_include_usage_is_set(mock):
    resp = mock.post("/v1/chat/completions", json=chat_body(stream=True, stream_options={"include_usage": True}),
                       headers={**OPENAI, "X-Mock-Completion-Tokens": "2", "X-Mock-Cached-Tokens": "1"})
    chunks = openai_chunks(resp)
    assert chunks[-1] == "[DONE]"
    usage_chunk = chunks[-2]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == 2
    assert usage_chunk["usage"]["prompt_tokens"] == 3
    assert usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"] == 1
    assert chunks[-3]["choices"][0]["finish_reason"] == "stop"
    assert all(c["usage"] is None for c in chunks[:-2])


def test_chat_stream_respects_max_tokens_with_length_finish(mock):
    chunks = openai_chunks(mock.post("/v1/chat/completions", json=chat_body(stream=True, max_tokens=2),
                                       headers=OPENAI))
    assert stream_text(chunks) == "tok0 tok1"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_no_usage_knob_omits_usage_everywhere(mock):
    headers = {**OPENAI, "X-Mock-No-Usage": "1"}
    assert "usage" not in mock.post("/v1/chat/completions", json=chat_body(), headers=headers).get_json()
    chunks = openai_chunks(mock.post("/v1/chat/completions", headers=headers,
                                       json=chat_body(stream=True, stream_options={"include_usage": True})))
    assert all(c == "[DONE]" or c.get("usage") is None for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert "usage" not in mock.post("/v1/embeddings", json={"model": "e", "input": "x"}, headers=headers).get_json()
    aheaders = {**ANTHROPIC, "X-Mock-No-Usage": "true"}
    assert "usage" not in mock.post("/v1/messages", json=messages_body(), headers=aheaders).get_json()
    events = anthropic_events(mock.post("/v1/messages", json=messages_body(stream=True), headers=aheaders))
    assert "usage" not in events[0]["message"] and "usage" not in events[-2]


TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def test_tool_call_knob_returns_a_tool_call_when_the_request_has_tools(mock):
    body = mock.post("/v1/chat/completions", json=chat_body(tools=TOOLS),
                       headers={**OPENAI, "X-Mock-Tool-Call": "get_weather"}).get_json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Paris"}


def test_tool_call_knob_streams_argument_fragments(mock):
    chunks = openai_chunks(mock.post("/v1/chat/completions", json=chat_body(tools=TOOLS, stream=True),
                                       headers={**OPENAI, "X-Mock-Tool-Call": "get_weather"}))
    first = chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert first["function"] == {"name": "get_weather", "arguments": ""} and first["id"].startswith("call_")
    fragments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks[1:-2]]
    assert len(fragments) > 1
    assert json.loads("".join(fragments)) == {"location": "Paris"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_call_knob_is_ignored_when_the_request_has_no_tools(mock):
    body = mock.post("/v1/chat/completions", json=chat_body(),
                       headers={**OPENAI, "X-Mock-Tool-Call": "get_weather"}).get_json()
    assert body["choices"][0]["finish_reason"] == "stop" and body["choices"][0]["message"]["content"] == TEXT_16


def test_chat_rejects_a_request_without_model_or_messages(mock):
    for body in ({"messages": [{"role": "user", "content": "x"}]}, {"model": "m"}, {"model": "m", "messages": []}):
        resp = mock.post("/v1/chat/completions", json=body, headers=OPENAI)
        assert resp.status_code == 400
        assert resp.get_json()["error"]["type"] == "invalid_request_error"


def test_a_body_that_is_not_json_gets_a_400_in_the_api_format(mock):
    resp = mock.post("/v1/chat/completions", data="{nope", headers=OPENAI)
    assert resp.status_code == 400 and resp.get_json()["error"]["type"] == "invalid_request_error"
    resp = mock.post("/v1/messages", data="[]", headers=ANTHROPIC)
    assert resp.status_code == 400 and resp.get_json()["error"]["type"] == "invalid_request_error"


# --- OpenAI embeddings and models --------------------------------------------------------------------


def test_embeddings_are_deterministic_eight_dim_unit_vectors(mock):
    one = mock.post("/v1/embeddings", json={"model": "emb", "input": "alpha"}, headers=OPENAI).get_json()
    many = mock.post("/v1/embeddings", json={"model": "emb", "input": ["alpha", "beta gamma"]},
                       headers=OPENAI).get_json()
    assert one["object"] == "list" and one["model"] == "emb"
    assert [d["index"] for d in many["data"]] == [0, 1]
    vec = one["data"][0]["embedding"]
    assert len(vec) == 8 and abs(sum(v * v for v in vec) - 1.0) < 1e-5
    assert many["data"][0]["embedding"] == vec
    assert many["data"][1]["embedding"] != vec
    assert one["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    assert many["usage"] == {"prompt_tokens": 2 + 3, "total_tokens": 5}


def test_embeddings_base64_encoding_decodes_to_the_float_vector(mock):
    floats = mock.post("/v1/embeddings", json={"model": "e", "input": "alpha", "dimensions": 12},
                         headers=OPENAI).get_json()["data"][0]["embedding"]
    encoded = mock.post("/v1/embeddings", json={"model": "e", "input": "alpha", "dimensions": 12,
                                                  "encoding_format": "base64"}, headers=OPENAI).get_json()
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    assert list(struct.unpack("<12f", raw)) == floats


def test_models_lists_openai_models_and_anthropic_shape_for_anthropic_clients(mock):
    body = mock.get("/v1/models", headers=OPENAI).get_json()
    assert body["object"] == "list" and all(m["object"] == "model" for m in body["data"])
    for headers in (ANTHROPIC, {**OPENAI, "anthropic-version": "2023-06-01"}):
        body = mock.get("/v1/models", headers=headers).get_json()
        assert body["has_more"] is False and all(m["type"] == "model" for m in body["data"])


# --- Anthropic messages ------------------------------------------------------------------------------


def test_messages_returns_a_text_block_with_usage(mock):
    body = mock.post("/v1/messages", json=messages_body(system="be brief"), headers=ANTHROPIC).get_json()
    assert body["type"] == "message" and body["role"] == "assistant" and body["model"] == "claude-test"
    assert body["content"] == [{"type": "text", "text": TEXT_16}]
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert body["usage"] == {"input_tokens": 5, "output_tokens": 16,  # ceil((8 + 12) / 4)
                             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def test_messages_stops_at_max_tokens(mock):
    body = mock.post("/v1/messages", json=messages_body(max_tokens=3), headers=ANTHROPIC).get_json()
    assert body["stop_reason"] == "max_tokens" and body["usage"]["output_tokens"] == 3
    assert body["content"][0]["text"] == "tok0 tok1 tok2"


def test_messages_reports_cache_reads_apart_from_input_tokens(mock):
    headers = {**ANTHROPIC, "X-Mock-Prompt-Tokens": "100", "X-Mock-Cached-Tokens": "40"}
    usage = mock.post("/v1/messages", json=messages_body(), headers=headers).get_json()["usage"]
    assert usage["input_tokens"] == 60 and usage["cache_read_input_tokens"] == 40


def test_messages_stream_follows_the_real_event_sequence(mock):
    resp = mock.post("/v1/messages", json=messages_body(stream=True),
                       headers={**ANTHROPIC, "X-Mock-Completion-Tokens": "3"})
    assert resp.mimetype == "text/event-stream"
    events = anthropic_events(resp)
    assert [e["type"] for e in events] == [
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert events[0]["message"]["model"] == "claude-test" and events[0]["message"]["usage"]["input_tokens"] == 3
    assert events[1]["content_block"] == {"type": "text", "text": ""}
    assert "".join(e["delta"]["text"] for e in events[3:6]) == "tok0 tok1 tok2"
    assert all(e["delta"]["type"] == "text_delta" for e in events[3:6])
    assert events[7]["delta"]["stop_reason"] == "end_turn" and events[7]["usage"] == {"output_tokens": 3}


def test_messages_tool_use_knob_returns_a_tool_use_block(mock):
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    body = mock.post("/v1/messages", json=messages_body(tools=tools),
                       headers={**ANTHROPIC, "X-Mock-Tool-Call": "get_weather"}).get_json()
    assert body["stop_reason"] == "tool_use"
    (block,) = body["content"]
    assert block["type"] == "tool_use" and block["name"] == "get_weather" and block["input"] == {"location": "Paris"}
    events = anthropic_events(mock.post("/v1/messages", json=messages_body(tools=tools, stream=True),
                                          headers={**ANTHROPIC, "X-Mock-Tool-Call": "get_weather"}))
    assert events[1]["content_block"]["type"] == "tool_use" and events[1]["content_block"]["input"] == {}
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]
    assert all(d["type"] == "input_json_delta" for d in deltas)
    assert json.loads("".join(d["partial_json"] for d in deltas)) == {"location": "Paris"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize("body, fragment", [
    (messages_body(messages=[{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]), "system"),
    ({"model": "c", "messages": [{"role": "user", "content": "y"}]}, "max_tokens"),
    (messages_body(model=None), "model"),
])
def test_messages_rejects_what_the_real_api_rejects(mock, body, fragment):
    resp = mock.post("/v1/messages", json=body, headers=ANTHROPIC)
    assert resp.status_code == 400
    error = resp.get_json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert fragment in error["error"]["message"]


# --- Auth and injected errors ------------------------------------------------------------------------


def test_openai_paths_require_a_bearer_token(mock):
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}, ANTHROPIC):
        resp = mock.post("/v1/chat/completions", json=chat_body(), headers=headers)
        assert resp.status_code == 401
        assert resp.get_json()["error"]["code"] == "invalid_api_key"
    assert mock.get("/v1/models").status_code == 401


def test_anthropic_paths_require_x_api_key_or_a_bearer_token(mock):
    resp = mock.post("/v1/messages", json=messages_body(), headers={"anthropic-version": "2023-06-01"})
    assert resp.status_code == 401
    assert resp.get_json() == {"type": "error", "error": {"type": "authentication_error",
                                                          "message": "x-api-key header is required"}}
    assert mock.post("/v1/messages", json=messages_body(), headers={"x-api-key": " "}).status_code == 401
    assert mock.post("/v1/messages", json=messages_body(), headers={"x-api-key": "k"}).status_code == 200
    assert mock.post("/v1/messages", json=messages_body(), headers=OPENAI).status_code == 200  # anthropic SDK 2.x


def test_mock_require_key_accepts_only_that_key():
    mock = create_mock_app(env={"MOCK_REQUIRE_KEY": "sk-right"}).test_client()
    assert mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).status_code == 401
    ok = mock.post("/v1/chat/completions", json=chat_body(), headers={"Authorization": "Bearer sk-right"})
    assert ok.status_code == 200
    assert mock.post("/v1/messages", json=messages_body(), headers=ANTHROPIC).status_code == 401
    assert mock.post("/v1/messages", json=messages_body(), headers={"x-api-key": "sk-right"}).status_code == 200


@pytest.mark.parametrize("status, openai_type, anthropic_type", [
    (429, "requests", "rate_limit_error"), (500, "server_error", "api_error"), (503, "server_error", "overloaded_error"),
])
def test_error_knob_returns_the_status_in_each_api_format(mock, status, openai_type, anthropic_type):
    resp = mock.post("/v1/chat/completions", json=chat_body(), headers={**OPENAI, "X-Mock-Error": str(status)})
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["type"] == openai_type and set(error) >= {"message", "type", "code"}
    resp = mock.post("/v1/messages", json=messages_body(), headers={**ANTHROPIC, "X-Mock-Error": str(status)})
    assert resp.status_code == status
    assert resp.get_json()["type"] == "error" and resp.get_json()["error"]["type"] == anthropic_type


def test_timeout_error_waits_timeout_s_then_answers_504(mock):
    started = time.monotonic()
    resp = mock.post("/v1/messages", json=messages_body(),
                       headers={**ANTHROPIC, "X-Mock-Error": "timeout", "X-Mock-Timeout-S": "0.2"})
    assert time.monotonic() - started >= 0.2
    assert resp.status_code == 504 and resp.get_json()["error"]["type"] == "timeout_error"


def test_error_once_key_fails_only_the_first_request_with_that_key(mock):
    def call(key):
        return mock.post("/v1/chat/completions", json=chat_body(),
                           headers={**OPENAI, "X-Mock-Error": "503", "X-Mock-Error-Once-Key": key}).status_code

    assert [call("a"), call("a"), call("b"), call("a")] == [503, 200, 503, 200]


def test_invalid_knob_header_is_a_400_naming_the_header(mock):
    resp = mock.post("/v1/chat/completions", json=chat_body(), headers={**OPENAI, "X-Mock-Completion-Tokens": "x"})
    assert resp.status_code == 400 and "X-Mock-Completion-Tokens" in resp.get_json()["error"]["message"]
    resp = mock.post("/v1/messages", json=messages_body(), headers={**ANTHROPIC, "X-Mock-Error": "418x"})
    assert resp.status_code == 400 and "X-Mock-Error" in resp.get_json()["error"]["message"]


def test_unknown_routes_answer_in_the_api_error_format(mock):
    resp = mock.post("/v1/nope", json={}, headers=OPENAI)
    assert resp.status_code == 404 and resp.get_json()["error"]["type"] == "invalid_request_error"
    resp = mock.get("/v1/messages", headers=ANTHROPIC)
    assert resp.status_code == 405 and resp.get_json()["type"] == "error"


# --- Timing and cuts ---------------------------------------------------------------------------------


def test_latency_delays_the_response(mock):
    started = time.monotonic()
    mock.post("/v1/chat/completions", json=chat_body(), headers={**OPENAI, "X-Mock-Latency-Ms": "150"})
    assert time.monotonic() - started >= 0.15


def test_chunk_delay_paces_stream_chunks(mock):
    started = time.monotonic()
    resp = mock.post("/v1/messages", json=messages_body(stream=True),
                       headers={**ANTHROPIC, "X-Mock-Completion-Tokens": "5", "X-Mock-Chunk-Delay-Ms": "40"})
    events = anthropic_events(resp)
    assert time.monotonic() - started >= 4 * 0.04
    assert events[-1]["type"] == "message_stop"


def test_cut_after_drops_the_stream_before_finish_usage_and_done(mock):
    resp = mock.post("/v1/chat/completions", json=chat_body(stream=True, stream_options={"include_usage": True}),
                       headers={**OPENAI, "X-Mock-Cut-After": "2"})
    received = []
    with pytest.raises(ConnectionResetError):
        for piece in resp.response:
            received.append(piece)
    text = b"".join(received).decode()
    assert '"tok0"' in text and '" tok1"' in text and "tok2" not in text
    assert "finish_reason\":\"stop" not in text and "[DONE]" not in text


# --- Control endpoints -------------------------------------------------------------------------------


def test_control_sets_defaults_that_headers_override_and_reset_restores(mock):
    assert mock.get("/_control").get_json()["knobs"]["completion_tokens"] == 16
    resp = mock.post("/_control", json={"completion_tokens": 2, "X-Mock-Cached-Tokens": "1"})
    assert resp.status_code == 200 and resp.get_json()["knobs"]["completion_tokens"] == 2
    body = mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).get_json()
    assert body["usage"]["completion_tokens"] == 2 and body["usage"]["prompt_tokens_details"]["cached_tokens"] == 1
    body = mock.post("/v1/chat/completions", json=chat_body(),
                       headers={**OPENAI, "X-Mock-Completion-Tokens": "5"}).get_json()
    assert body["usage"]["completion_tokens"] == 5
    mock.post("/_control", json={"error": "500"})
    assert mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).status_code == 500
    assert mock.post("/v1/chat/completions", json=chat_body(),
                       headers={**OPENAI, "X-Mock-Error": "none"}).status_code == 200
    assert mock.post("/_control/reset").get_json()["knobs"]["completion_tokens"] == 16
    assert mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).status_code == 200


def test_control_rejects_unknown_knobs_and_bad_values(mock):
    assert mock.post("/_control", json={"nope": 1}).status_code == 400
    assert mock.post("/_control", json={"latency_ms": -5}).status_code == 400
    assert mock.post("/_control", json=[1]).status_code == 400
    assert mock.get("/_control").get_json()["knobs"]["latency_ms"] == 0


def test_control_require_key_can_be_set_at_runtime(mock):
    mock.post("/_control", json={"require_key": "sk-live"})
    assert mock.get("/_control").get_json()["require_key"] is True
    assert mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).status_code == 401
    mock.post("/_control/reset")
    assert mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).status_code == 200


def test_environment_variables_set_the_defaults():
    mock = create_mock_app(env={"MOCK_COMPLETION_TOKENS": "4", "MOCK_NO_USAGE": "1"}).test_client()
    body = mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI).get_json()
    assert body["choices"][0]["message"]["content"] == "tok0 tok1 tok2 tok3" and "usage" not in body
    with pytest.raises(ValueError, match="MOCK_LATENCY_MS"):
        create_mock_app(env={"MOCK_LATENCY_MS": "soon"})


def test_last_records_the_body_and_headers_per_endpoint_and_counts_requests(mock):
    assert mock.get("/_control/last").get_json()["messages"] is None
    mock.post("/v1/messages", json=messages_body(system="sys prompt"), headers=ANTHROPIC)
    mock.post("/v1/chat/completions", json=chat_body(), headers=OPENAI)
    mock.post("/v1/chat/completions", json=chat_body(model="second"), headers=OPENAI)
    last = mock.get("/_control/last").get_json()
    assert last["messages"]["system"] == "sys prompt" and last["messages"]["model"] == "claude-test"
    assert last["chat_completions"]["model"] == "second"
    assert mock.get("/_control/last?endpoint=messages").get_json()["system"] == "sys prompt"
    headers = mock.get("/_control/last_headers?endpoint=messages").get_json()
    assert headers["x-api-key"] == "test-key" and headers["anthropic-version"] == "2023-06-01"
    assert mock.get("/_control").get_json()["requests"] == {
        "chat_completions": 2, "embeddings": 0, "models": 0, "messages": 1, "responses": 0, "count_tokens": 0,
        "images": 0, "speech": 0, "transcriptions": 0}
    assert mock.get("/_control/last?endpoint=bogus").status_code == 404


def test_mounts_under_mock_prefix_with_dispatcher_middleware(mock_app):
    from flask import Flask

    outer = Flask("outer")
    mounted = Client(DispatcherMiddleware(outer.wsgi_app, {"/_mock": mock_app}))
    resp = mounted.post("/_mock/v1/chat/completions", json=chat_body(), headers=OPENAI)
    assert resp.status_code == 200 and resp.get_json()["choices"][0]["message"]["content"] == TEXT_16
    assert mounted.get("/_mock/_control").status_code == 200


# --- Real HTTP servers and the official SDKs ----------------------------------------------------------


@pytest.fixture(scope="module")
def live_url():
    server = make_server("127.0.0.1", 0, create_mock_app(env={}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def check_openai_sdk(base_url):
    from openai import OpenAI

    sdk = OpenAI(base_url=f"{base_url}/v1", api_key="x", max_retries=0, timeout=10)
    done = sdk.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello world!"}])
    assert done.choices[0].message.content == TEXT_16
    assert done.model == "gpt-test" and done.choices[0].finish_reason == "stop"
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.total_tokens) == (3, 16, 19)

    stream = sdk.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello world!"}],
                                         stream=True, stream_options={"include_usage": True}, max_tokens=6)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "tok0 tok1 tok2 tok3 tok4 tok5"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage.completion_tokens == 6 and chunks[-1].usage.prompt_tokens == 3

    emb = sdk.embeddings.create(model="emb", input=["alpha", "beta"])  # the SDK asks for base64 by default
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 8
    assert emb.usage.prompt_tokens == 3  # ceil(5 / 4) + ceil(4 / 4)


def check_anthropic_sdk(base_url):
    from anthropic import Anthropic

    sdk = Anthropic(base_url=base_url, api_key="x", max_retries=0, timeout=10)
    msg = sdk.messages.create(model="claude-test", max_tokens=100, system="be brief",
                              messages=[{"role": "user", "content": "hello world!"}])
    assert msg.content[0].text == TEXT_16 and msg.stop_reason == "end_turn"
    assert (msg.usage.input_tokens, msg.usage.output_tokens) == (5, 16)

    with sdk.messages.stream(model="claude-test", max_tokens=4,
                             messages=[{"role": "user", "content": "hello world!"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "tok0 tok1 tok2 tok3"
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 4 and final.usage.input_tokens == 3

    tool = sdk.messages.create(model="claude-test", max_tokens=100, extra_headers={"X-Mock-Tool-Call": "get_weather"},
                               tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
                               messages=[{"role": "user", "content": "weather?"}])
    assert tool.stop_reason == "tool_use" and tool.content[0].input == {"location": "Paris"}


def check_cut_breaks_the_http_stream(base_url):
    resp = requests.post(f"{base_url}/v1/chat/completions", stream=True, timeout=10,
                         json=chat_body(stream=True), headers={**OPENAI, "X-Mock-Cut-After": "3"})
    received = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for line in resp.iter_lines():
            received.append(line)
    assert sum(b'"content":"' in line and b"tok" in line for line in received) == 3
    assert b"data: [DONE]" not in received


def test_openai_sdk_gets_content_and_usage_plain_and_streamed(live_url):
    check_openai_sdk(live_url)


def test_anthropic_sdk_gets_content_and_usage_plain_and_streamed(live_url):
    check_anthropic_sdk(live_url)


def test_cut_after_breaks_the_chunked_body_on_a_real_server(live_url):
    check_cut_breaks_the_http_stream(live_url)
    # The server keeps serving after a cut.
    assert requests.get(f"{live_url}/v1/models", headers=OPENAI, timeout=5).status_code == 200


def test_command_line_server_serves_both_sdks_with_gevent():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_")}
    proc = subprocess.Popen([sys.executable, "-m", "app.devtools.mock_upstream", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+) \((\w+)\)", line)
        assert match, line + (proc.stdout.read() if proc.poll() is not None else "")
        base_url, server = match.groups()
        assert server == "gevent"
        check_openai_sdk(base_url)
        check_anthropic_sdk(base_url)
        check_cut_breaks_the_http_stream(base_url)
        started = time.monotonic()  # knob delays are cooperative, so slow requests overlap
        results = []
        slow = {**OPENAI, "X-Mock-Latency-Ms": "300"}
        threads = [threading.Thread(target=lambda: results.append(requests.post(
            f"{base_url}/v1/chat/completions", json=chat_body(), headers=slow, timeout=10).status_code))
            for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 6 and time.monotonic() - started < 1.2  # queued they would take 1.8 s
    finally:
        proc.terminate()
        proc.wait(10)


def test_ignore_max_tokens_knob_streams_past_the_limit_and_says_stop(mock):
    headers = {**OPENAI, "X-Mock-Ignore-Max-Tokens": "1", "X-Mock-Completion-Tokens": "6"}
    chunks = openai_chunks(mock.post("/v1/chat/completions", json=chat_body(stream=True, max_tokens=2),
                                       headers=headers))
    assert stream_text(chunks) == "tok0 tok1 tok2 tok3 tok4 tok5"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    out = mock.post("/v1/messages", json=messages_body(max_tokens=2),
                    headers={**ANTHROPIC, "X-Mock-Ignore-Max-Tokens": "1", "X-Mock-Completion-Tokens": "6"}).get_json()
    assert out["usage"]["output_tokens"] == 6 and out["stop_reason"] == "end_turn"


def test_inline_attachments_are_billed_one_token_per_16_base64_characters(mock):
    data = "A" * 1600  # 100 tokens
    openai = [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + data}},
              {"type": "file", "file": {"file_data": "data:application/pdf;base64," + data}}]
    out = mock.post("/v1/chat/completions", headers=OPENAI,
                    json=chat_body(messages=[{"role": "user", "content": openai}])).get_json()
    # Both data URLs carry their "data:...;base64," prefix: 22 and 28 characters more.
    assert out["usage"]["prompt_tokens"] == 1 + -(-(1600 + 22) // 16) + -(-(1600 + 28) // 16)
    blocks = [{"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}},
              {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]
    out = mock.post("/v1/messages", headers=ANTHROPIC,
                    json=messages_body(messages=[{"role": "user", "content": blocks}])).get_json()
    assert out["usage"]["input_tokens"] == 1 + 100


def test_cache_creation_knob_reports_anthropic_cache_writes_apart_from_input(mock):
    headers = {**ANTHROPIC, "X-Mock-Prompt-Tokens": "100", "X-Mock-Cache-Creation-Tokens": "60",
               "X-Mock-Cached-Tokens": "10"}
    usage = mock.post("/v1/messages", json=messages_body(), headers=headers).get_json()["usage"]
    assert usage == {"input_tokens": 30, "output_tokens": 16, "cache_creation_input_tokens": 60,
                     "cache_read_input_tokens": 10}
