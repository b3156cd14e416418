"""Property: whatever body and headers arrive, /v1/* and /api/v1/me/* never answer 500, and every
error is JSON in the caller's documented format (docs/api.md), with Retry-After only on 429 and 503."""
from urllib.parse import quote

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from . import strategies as s

FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def assert_documented(resp, api: str) -> None:
    status = resp.status_code
    event(f"status {status}")  # --hypothesis-show-statistics shows how far the examples got
    assert status != 500, resp.get_data(as_text=True)[:500]
    assert status < 600
    if status in (429, 503):
        pass  # Retry-After is expected here (a cap without a known end may leave it out)
    else:
        assert "Retry-After" not in resp.headers, status
    if status < 400:
        resp.get_data()  # a stream is read to its end: a failure inside it must not escape either
        return
    assert resp.mimetype == "application/json", (status, resp.get_data(as_text=True)[:200])
    body = resp.get_json()
    if api == "anthropic":
        assert body["type"] == "error"
        assert isinstance(body["error"]["type"], str) and isinstance(body["error"]["message"], str)
    else:
        error = body["error"]
        assert isinstance(error["type"], str) and isinstance(error["message"], str)
        assert "code" in error


def post(client, path, raw, headers):
    return client.post(path, data=raw, headers=headers)


@FUZZ
@given(raw=s.raw(s.chat_body), extra=s.headers, choice=s.key_choice, garbage=s.header_text)
def test_chat_completions_never_500(client, world, raw, extra, choice, garbage):
    resp = post(client, "/v1/chat/completions", raw, s.with_key(extra, choice, world.secret, garbage))
    assert_documented(resp, "openai")


@FUZZ
@given(raw=s.raw(s.messages_body), extra=s.headers, choice=s.key_choice, garbage=s.header_text)
def test_messages_never_500(client, world, raw, extra, choice, garbage):
    resp = post(client, "/v1/messages", raw, s.with_key(extra, choice, world.secret, garbage))
    assert_documented(resp, "anthropic")


@FUZZ
@given(raw=s.raw(s.embeddings_body), extra=s.headers, choice=s.key_choice, garbage=s.header_text)
def test_embeddings_never_500(client, world, raw, extra, choice, garbage):
    resp = post(client, "/v1/embeddings", raw, s.with_key(extra, choice, world.secret, garbage))
    assert_documented(resp, "openai")


@FUZZ
@given(extra=s.headers, choice=s.key_choice, garbage=s.header_text,
       query=st.dictionaries(st.text(max_size=6), st.text(max_size=10), max_size=3))
def test_models_never_500(client, world, extra, choice, garbage, query):
    headers = s.with_key(extra, choice, world.secret, garbage)
    resp = client.get("/v1/models", headers=headers, query_string=query)
    assert_documented(resp, "anthropic" if headers.get("anthropic-version") else "openai")


@FUZZ
@given(extra=s.headers, choice=s.key_choice, garbage=s.header_text,
       sub=st.sampled_from(["account", "account", "account"]) | st.text(max_size=12),
       method=st.sampled_from(["GET", "GET", "POST", "PUT", "DELETE", "PATCH"]), raw=s.raw(s.json_values))
def test_me_api_never_500(client, world, extra, choice, garbage, sub, method, raw):
    headers = s.with_key(extra, choice, world.secret, garbage)
    resp = client.open(f"/api/v1/me/{quote(sub, safe='')}", method=method, data=raw, headers=headers)
    assert_documented(resp, "openai")
