"""Property: the newer endpoints (/v1/responses and its stored responses, count_tokens, structured
outputs, images, speech and transcription) never answer 500 and every error is in the caller's format."""
import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.admin_api.conftest import admin_headers, token_for  # noqa: F401 - shared fixtures
from app.extensions import db
from tests.factories import make_model

from . import strategies as s
from .test_fuzz_api import FUZZ, assert_documented

SOME = settings(FUZZ, max_examples=25)


@pytest.fixture
def media_models(world):
    common = dict(providers=[world.openai_provider], groups=[world.public], input_price=0, output_price=0,
                  cached_input_price=0)
    make_model("image-test", kind="image", upstream_name="image-up", image_prices={"1024x1024": {"standard": 40_000}},
               **common)
    make_model("speech-test", kind="speech", upstream_name="speech-up", char_price=15_000, **common)
    make_model("whisper-test", kind="transcription", upstream_name="whisper-up", second_price=100, **common)


def post(client, world, path, raw, content_type="application/json"):
    return client.post(path, data=raw, headers={**world.headers, "Content-Type": content_type})


@SOME
@given(raw=s.raw(s.responses_body))
def test_responses_never_500(client, world, raw):
    assert_documented(post(client, world, "/v1/responses", raw), "openai")


@SOME
@given(response_id=st.text(max_size=40) | st.text(min_size=300, max_size=3000),
       method=st.sampled_from(["GET", "DELETE", "GET /input_items"]),
       query=st.dictionaries(st.sampled_from(["limit", "order", "after"]), st.text(max_size=25), max_size=3))
def test_stored_response_ids_never_500(client, world, response_id, method, query):
    method, _, suffix = method.partition(" ")
    path = f"/v1/responses/{quote(response_id, safe='')}{suffix}"
    resp = client.open(path, method=method, headers=world.headers, query_string=query)
    if resp.status_code == 404 and resp.json.get("error", {}).get("code") == "not_found":
        return  # an id Flask cannot route (empty, or with a slash): its 404 is checked by the formats test
    assert_documented(resp, "openai")


@SOME
@given(raw=s.raw(s.chat_structured_body))
def test_structured_chat_never_500(client, world, raw):
    assert_documented(post(client, world, "/v1/chat/completions", raw), "openai")


@SOME
@given(raw=s.raw(s.messages_structured_body))
def test_structured_messages_never_500(client, world, raw):
    assert_documented(post(client, world, "/v1/messages", raw), "anthropic")


@SOME
@given(raw=s.raw(s.count_tokens_body))
def test_count_tokens_never_500(client, world, raw):
    assert_documented(post(client, world, "/v1/messages/count_tokens", raw), "anthropic")


@SOME
@given(path_raw=st.one_of(s.raw(s.images_body).map(lambda r: ("/v1/images/generations", r)),
                          s.raw(s.speech_body).map(lambda r: ("/v1/audio/speech", r))))
def test_images_and_speech_never_500(client, world, media_models, path_raw):
    assert_documented(post(client, world, *path_raw), "openai")


@SOME
@given(parts=s.transcription_parts,
       content_type=st.sampled_from(["multipart/form-data; boundary=fuzzb", "multipart/form-data",
                                     "multipart/form-data; boundary=other", "application/json", "text/plain"]))
def test_transcriptions_never_500(client, world, media_models, parts, content_type):
    resp = post(client, world, "/v1/audio/transcriptions", s.multipart(parts), content_type)
    assert_documented(resp, "openai")


@SOME
@given(route=st.sampled_from(s.ME_ROUTES), ident=s.me_id, query=s.me_query,
       raw=st.one_of(s.me_body.map(lambda b: json.dumps(b).encode()), s.raw(s.me_body)),
       content_type=st.sampled_from(["application/json", "application/json", "text/plain", "multipart/form-data"]))
def test_me_routes_never_500(client, world, route, ident, query, raw, content_type):
    method, path = route
    path = path.format(id=quote(ident, safe=""), task=quote(ident, safe=""))
    resp = client.open(f"/api/v1/me/{path}", method=method, data=raw, query_string=query,
                       headers={**world.headers, "Content-Type": content_type})
    assert_documented(resp, "openai")


@SOME
@given(resource=st.sampled_from(["orgs", "users", "projects"]), query=s.rison_query)
def test_admin_lists_never_500(client, admin_headers, resource, query):
    db.session.rollback()  # each example starts clean, as each request does in production
    resp = client.get(f"/api/v1/admin/{resource}/", query_string={"q": query}, headers=admin_headers)
    assert resp.status_code < 500 and resp.is_json, (resp.status_code, resp.get_data(as_text=True)[:300])


@SOME
@given(target=st.sampled_from([("POST", "orgs/"), ("PUT", "orgs/{org}"), ("POST", "users/"), ("PUT", "users/{user}"),
                               ("PUT", "orgs/99999999999999999999")]),
       raw=st.one_of(s.admin_body.map(lambda b: json.dumps(b).encode()), s.raw(s.admin_body)))
def test_admin_writes_never_500(client, admin_headers, world, target, raw):
    db.session.rollback()  # each example starts clean, as each request does in production
    method, path = target
    path = path.format(org=world.org.id, user=world.owner.id)
    resp = client.open(f"/api/v1/admin/{path}", method=method, data=raw,
                       headers={**admin_headers, "Content-Type": "application/json"})
    assert resp.status_code < 500 and resp.is_json, (resp.status_code, resp.get_data(as_text=True)[:300])
