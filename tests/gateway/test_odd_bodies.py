"""Odd but well-formed JSON never turns into a 500: it is served or refused with a 400 naming the problem."""
import pytest

from .helpers import usage_charges

ODD_CHAT = [
    {"messages": [{"role": "user", "content": []}]},
    {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "not a url"}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "mystery", "x": 1}]}]},
    {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                                         "function": {"name": "f", "arguments": "{oops"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "42"}]},
    {"messages": [{"role": "tool", "content": "orphan result"}]},
    {"messages": [{"role": "system", "content": "only a system prompt"}]},
    {"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]},
    {"messages": [{"role": "user", "content": "hi"}], "tools": "nope"},
    {"messages": [{"role": "user", "content": "hi"}], "tool_choice": {"type": "function"}},
    {"messages": [{"role": "user", "content": "hi"}], "stop": 5},
    {"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"},
    {"messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": "yes"}},
]

ODD_MESSAGES = [
    {"messages": [{"role": "user", "content": [{"type": "tool_result"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]},
    {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "f", "input": "not an object"}]}]},
    {"messages": [{"role": "user", "content": "hi"}], "system": [{"type": "image"}]},
    {"messages": [{"role": "user", "content": "hi"}], "system": [1, 2]},
    {"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "f"}]},
    {"messages": [{"role": "user", "content": "hi"}], "tool_choice": "auto"},
    {"messages": [{"role": "user", "content": "hi"}], "stop_sequences": "END"},
    {"messages": [{"role": "user", "content": [{"text": "no type"}]}]},
]


@pytest.mark.parametrize("model", ["claude-test", "gpt-test"])
@pytest.mark.parametrize("body", ODD_CHAT)
def test_odd_chat_bodies_are_served_or_refused_cleanly(client, world, model, body):
    resp = client.post("/v1/chat/completions", json={"model": model, **body}, headers=world.headers)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert resp.json["error"]["message"]
        assert usage_charges() == []


@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
@pytest.mark.parametrize("body", ODD_MESSAGES)
def test_odd_messages_bodies_are_served_or_refused_cleanly(client, world, model, body):
    resp = client.post("/v1/messages", json={"model": model, "max_tokens": 20, **body}, headers=world.headers)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert resp.json["type"] == "error" and resp.json["error"]["message"]
        assert usage_charges() == []
