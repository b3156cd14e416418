"""Odd input on the newer endpoints (/v1/responses, the /me API, the admin API): a 400 in the caller's
format naming what is wrong, never a 500, and nothing written by a refused request.

Cases are looped inside a few tests rather than parametrized: each test's database reset costs
about a second, and the cases need none between them."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, Organization, WebhookEndpoint
from tests.admin_api.conftest import admin_headers, login, token_for  # noqa: F401 - shared fixtures
from tests.factories import make_model

ITEM = {"type": "message", "role": "user"}


def failures(cases, check) -> list:
    """The cases ``check`` refuses, each with what came back: every bad case is reported at once."""
    out = []
    for case in cases:
        try:
            check(*case)
        except AssertionError as exc:
            out.append((case, str(exc)[:300]))
    return out


def test_responses_malformed_fields_are_400_naming_the_field(client, world):
    def check(model, extra, param):
        resp = client.post("/v1/responses", json={"model": model, **extra}, headers=world.headers)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert resp.json["error"]["param"] == param, resp.json

    cases = [({**ITEM, "content": 5}, "input[0].content"),
             ({**ITEM, "content": [5]}, "input[0].content[0]"),
             ({**ITEM, "content": [{"type": "input_text", "text": 5}]}, "input[0].content[0].text"),
             ({"type": "function_call_output", "call_id": "c1", "output": 5}, "input[0].output")]
    bodies = [({"input": [item]}, param) for item, param in cases] + [
        ({"input": "hi", "stream_options": 5}, "stream_options"),
        ({"input": "hi", "previous_response_id": "resp_\x00"}, "previous_response_id")]
    assert failures([(m, b, p) for m in ("gpt-test", "claude-test") for b, p in bodies], check) == []


def test_a_tool_choice_that_is_neither_a_string_nor_an_object_is_400_when_translated(client, world):
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    msg = [{"role": "user", "content": "hi"}]

    def check(path, body):
        resp = client.post(path, json=body, headers={**world.headers, "anthropic-version": "2023-06-01"})
        assert resp.status_code == 400, resp.get_data(as_text=True)

    cases = [("/v1/responses", {"model": "claude-test", "input": "hi", "tool_choice": odd,
                                "tools": [{"type": "function", "name": "f"}]}) for odd in ([1], 5)]
    cases += [("/v1/chat/completions", {"model": "claude-test", "messages": msg, "tools": [tool],
                                        "tool_choice": odd}) for odd in ([1], {"function": [1]})]
    cases += [("/v1/messages", {"model": "gpt-test", "max_tokens": 16, "messages": msg, "tool_choice": odd,
                                "tools": [{"name": "f", "input_schema": {"type": "object"}}]}) for odd in ([1], "any")]
    assert failures(cases, check) == []


def test_a_nul_character_in_the_url_is_a_400_in_openai_shape(client, world):
    def check(method, path):
        resp = client.open(path, method=method, headers=world.headers)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert "NUL" in resp.json["error"]["message"]

    assert failures([("GET", "/v1/responses/resp_%00"), ("DELETE", "/v1/responses/resp_%00"),
                     ("GET", "/v1/responses/resp_%00/input_items"), ("GET", "/api/v1/me/tasks/%00"),
                     ("GET", "/api/v1/me/usage?model=%00"),
                     ("GET", "/api/v1/me/billing/topups/quote?amount_usd=10&discount_code=%00")], check) == []


def test_a_nul_character_on_a_page_is_a_400_page_and_a_lone_percent_00_is_not(client, world):
    # Pages (console, sign-in) reach PostgreSQL with a path id or a form field too.
    for method, path, data in (("GET", "/console/tasks/%00/content", None),
                               ("POST", "/login/", {"username": "a\x00b", "password": "x"}),
                               ("POST", "/console/signup", {"email": "a\x00@b.test", "password": "x" * 12})):
        resp = client.open(path, method=method, data=data)
        assert resp.status_code == 400 and "NUL character" in resp.get_data(as_text=True), (method, path)
    # "%2500" is a percent sign and two zeros, not a NUL: answered as usual.
    resp = client.get("/api/v1/me/usage?model=%2500", headers=world.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)


def _counts():
    db.session.rollback()
    return db.session.scalar(select(func.count(ApiKey.id))), db.session.scalar(select(func.count(WebhookEndpoint.id)))


def test_me_api_odd_text_is_400_naming_the_field_and_writes_nothing(client, world):
    before = _counts()

    def check(method, path, body, param):
        resp = client.open(path, method=method, json=body, headers=world.headers)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert resp.json["error"]["param"] == param, resp.json
        assert _counts() == before

    assert failures([
        ("POST", "/api/v1/me/keys", {"name": "a\x00b"}, "name"),
        ("PATCH", f"/api/v1/me/keys/{world.key.id}", {"name": "x\x00"}, "name"),
        ("POST", "/api/v1/me/webhooks", {"url": "https://example.com/h", "description": "\x00"}, "description"),
        ("POST", "/api/v1/me/webhooks", {"url": "https://[::1/h"}, "url"),
        ("POST", "/api/v1/me/billing/topups", {"amount_usd": "10", "discount_code": "\x00"}, "discount_code"),
        ("POST", "/api/v1/me/billing/subscription", {"plan": "\x00"}, "plan"),
    ], check) == []
    assert client.get(f"/api/v1/me/keys/{world.key.id}", headers=world.headers).json["name"] == world.key.name


def test_a_content_part_whose_type_is_not_a_string_is_answered_not_500(client, world):
    def check(model, path, part_type):
        turns = [{"role": "user", "content": [{"type": part_type, "text": "hi"}]}]
        body = {"model": model, "input" if path == "/v1/responses" else "messages": turns}
        if path == "/v1/messages":
            body["max_tokens"] = 20
        resp = client.post(path, json=body, headers=world.headers)
        assert resp.status_code < 500, resp.get_data(as_text=True)
        if resp.status_code >= 400:
            error = resp.json["error"]
            assert isinstance(error["message"], str) and "internal" not in error["type"]

    assert failures([(m, p, t) for m in ("gpt-test", "claude-test")
                     for p in ("/v1/chat/completions", "/v1/messages", "/v1/responses") for t in ([], {})], check) == []


def test_images_size_or_quality_of_the_wrong_type_is_400_naming_it(client, world):
    make_model("image-test", [world.openai_provider], [world.public], kind="image", upstream_name="image-up",
               image_prices={"1024x1024": {"standard": 40_000}}, input_price=0, output_price=0, cached_input_price=0)

    def check(field, value):
        resp = client.post("/v1/images/generations", json={"model": "image-test", "prompt": "a fox", field: value},
                           headers=world.headers)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert resp.json["error"]["param"] == field

    assert failures([(f, v) for f in ("size", "quality") for v in ([None], {"a": 1})], check) == []


def test_admin_list_odd_paging_and_filters_are_400(client, admin_headers):
    def check(resource, query):
        db.session.rollback()  # each request starts clean, as in production
        resp = client.get(f"/api/v1/admin/{resource}/", query_string={"q": query}, headers=admin_headers)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert resp.is_json and resp.json["message"]

    assert failures([
        *[(r, q) for r in ("orgs", "users", "projects") for q in ("(page:-1)", "(page:100000000000000000000)")],
        ("orgs", "(filters:!((col:name,opr:ct,value:!(a,b))))"),  # an array for a one-value operator
        ("projects", "(filters:!((col:name,opr:ct,value:!(a,b))))"),
        ("users", "(filters:!((col:username,opr:ct,value:0)))"),  # a number where text is matched
        ("orgs", "(filters:!((col:name,opr:eq,value:0)))"),  # a number for a text column
        ("orgs", "(filters:!((col:status,opr:eq,value:nosuchstatus)))"),  # a word outside an enum
        ("orgs", "(filters:!((col:id,opr:in,value:0)))"),  # one value where an array is taken
    ], check) == []


def test_admin_writes_and_login_with_nul_are_400_naming_the_field_and_change_nothing(client, admin_headers, world):
    resp = client.put(f"/api/v1/admin/orgs/{world.org.id}", json={"name": "Bad\x00Name"}, headers=admin_headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "name" in resp.json["message"]
    db.session.rollback()
    assert db.session.get(Organization, world.org.id).name == "Acme"
    created = client.post("/api/v1/admin/orgs/", json={"name": "New\x00Org", "plan": "pro"}, headers=admin_headers)
    assert created.status_code == 400 and "name" in created.json["message"]
    signin = login(client, "someone\x00", "pw")
    assert signin.status_code == 400 and "username" in signin.json["message"]
