"""Hostile bodies: wrong types, deep nesting and oversized uploads are refused with a 400 or 413, never a 500."""
import io
import logging

import pytest

from .helpers import assert_nothing_charged


def nested(depth: int, leaf: bytes = b'"x"') -> bytes:
    """``depth`` arrays around ``leaf``, as raw JSON (built as bytes: no encoder's recursion limit applies)."""
    return b"[" * depth + leaf + b"]" * depth


def post_raw(client, path, raw: bytes, headers):
    return client.post(path, data=raw, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
@pytest.mark.parametrize("role", [["user"], {"role": "user"}])
def test_a_list_or_dict_as_message_role_is_a_400_naming_the_field(client, world, path, role):
    resp = client.post(path, json={"model": "gpt-test", "max_tokens": 10,
                                   "messages": [{"role": role, "content": "hi"}]}, headers=world.headers)
    assert resp.status_code == 400
    assert "messages[0].role" in resp.json["error"]["message"]
    assert_nothing_charged(world)


@pytest.mark.parametrize("path, template", [
    ("/v1/chat/completions", b'{"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], '
                             b'"tools": [{"type": "function", "function": {"name": "f", "parameters": %s}}]}'),
    ("/v1/messages", b'{"model": "claude-test", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],'
                     b' "tools": [{"name": "f", "input_schema": %s}]}'),
    ("/v1/embeddings", b'{"model": "embed-test", "input": %s}'),
    ("/v1/chat/completions", b'{"model": "gpt-test", "messages": [{"role": "user", "content": %s}]}'),
    ("/v1/messages", b'{"model": "claude-test", "max_tokens": 10, "messages": [{"role": "user", "content": %s}]}'),
])
@pytest.mark.parametrize("depth", [65, 300, 600, 2000])
def test_deep_nesting_is_a_400_in_the_callers_format(client, world, path, template, depth, caplog):
    caplog.set_level(logging.INFO)
    resp = post_raw(client, path, template % nested(depth), world.headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    error = resp.json["error"]
    assert error["type"] == "invalid_request_error"
    if path == "/v1/messages":
        assert resp.json["type"] == "error"
    if depth < 1000:  # past 1024 levels the JSON parser itself refuses, before any field is known
        field = "input" if path.endswith("embeddings") else ("tools[0]" if b"tools" in template else "messages[0]")
        assert field in error["message"] and "64" in error["message"]
    assert sum(len(r.getMessage()) for r in caplog.records) < 2000  # no traceback in the log
    assert_nothing_charged(world)


def test_nesting_up_to_the_limit_is_served(client, world, mock_upstream):
    schema = {"type": "object"}
    for _ in range(28):  # two levels each: 56 in the schema, 62 in the body
        schema = {"type": "object", "properties": {"a": schema}}
    resp = client.post("/v1/chat/completions", json={
        "model": "gpt-test", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}, headers=world.headers)
    assert resp.status_code == 200


def test_a_body_over_the_limit_is_413_from_its_content_length(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_MAX_BODY_BYTES", 1000)
    body = b'{"model": "claude-test", "max_tokens": 5, "messages": [{"role": "user", "content": "%s"}]}' % (
        b"a" * 2000)
    resp = post_raw(client, "/v1/messages", body, world.headers)
    assert resp.status_code == 413
    assert resp.json["type"] == "error"
    assert resp.json["error"]["type"] == "request_too_large"
    assert "1000" in resp.json["error"]["message"]
    openai_resp = post_raw(client, "/v1/chat/completions", body, world.headers)
    assert openai_resp.status_code == 413
    assert openai_resp.json["error"]["code"] == "request_too_large"
    assert_nothing_charged(world)


class EndlessBody(io.RawIOBase):
    """A body sent without Content-Length that never ends; counts how much of it was read."""

    def __init__(self):
        self.taken = 0

    def readable(self):
        return True

    def readinto(self, buf):
        buf[:] = b"a" * len(buf)
        self.taken += len(buf)
        return len(buf)


def test_a_body_without_length_is_413_once_it_streams_past_the_limit(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_MAX_BODY_BYTES", 100_000)
    body = EndlessBody()
    # As a server hands over a chunked body: no length, and marked as ending by itself.
    resp = client.post("/v1/chat/completions", headers={**world.headers, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input": body, "wsgi.input_terminated": True})
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "request_too_large"
    assert body.taken < 300_000  # reading stopped near the limit
    assert_nothing_charged(world)


def test_a_body_under_the_limit_is_served(app, client, world, mock_upstream, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_MAX_BODY_BYTES", 5000)
    resp = client.post("/v1/chat/completions", json={"model": "gpt-test", "messages": [
        {"role": "user", "content": "a" * 3000}]}, headers=world.headers)
    assert resp.status_code == 200
