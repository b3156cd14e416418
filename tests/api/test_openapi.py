"""/api/v1/openapi.json stays true: every documented operation is called, and each real response
(successes and errors) validates against the schema the document gives for its status."""
import datetime as dt
import fnmatch
import io

import jsonschema
import pytest

from app.extensions import db
from app.models import Notification, OrgRole, UsageLog
from tests.payments.conftest import live_app, priced_plans, standin  # noqa: F401 - the Stripe stand-in
from tests.factories import make_key, make_model, make_user
from tests.webhooks.conftest import receiver  # noqa: F401 - a real HTTP receiver on a thread

CALLED: set[tuple[str, str]] = set()


@pytest.fixture
def document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.json


def check(document, resp, method: str, path: str):
    """Validate ``resp`` against the documented response of (method, path) for its status."""
    operation = document["paths"][path][method]
    documented = operation["responses"].get(str(resp.status_code))
    assert documented, f"{method.upper()} {path} answered {resp.status_code}, which is not documented"
    if "content" not in documented:  # e.g. 204: nothing to answer
        assert resp.data == b"", f"{method.upper()} {path} answered a body where none is documented"
        CALLED.add((method, path))
        return resp
    if "application/json" not in documented["content"]:  # a file: its type is what is documented
        [media_type] = documented["content"]
        assert fnmatch.fnmatch(resp.mimetype, media_type), f"{method.upper()} {path} answered {resp.mimetype}"
        CALLED.add((method, path))
        return resp
    schema = documented["content"]["application/json"]["schema"]
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": document["components"],
            **schema}
    jsonschema.Draft202012Validator(root).validate(resp.json)
    CALLED.add((method, path))
    return resp


def test_document_is_openapi_3_1_and_its_schemas_are_valid(document):
    assert document["openapi"].startswith("3.1")
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_documented_operation_answers_as_documented(app, client, world, join, document, standin,
                                                          priced_plans, receiver, monkeypatch):
    CALLED.clear()
    h = world.headers
    chat_body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
    check(document, client.post("/v1/chat/completions", json=chat_body, headers=h), "post", "/v1/chat/completions")
    check(document, client.post("/v1/chat/completions", json={"model": 5}, headers=h), "post", "/v1/chat/completions")
    check(document, client.post("/v1/chat/completions", json=chat_body), "post", "/v1/chat/completions")
    msg = {"model": "claude-test", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    check(document, client.post("/v1/messages", json=msg, headers=h), "post", "/v1/messages")
    check(document, client.post("/v1/messages", json=msg), "post", "/v1/messages")
    check(document, client.post("/v1/embeddings", json={"model": "embed-test", "input": "hi"}, headers=h),
          "post", "/v1/embeddings")
    check(document, client.get("/v1/models", headers=h), "get", "/v1/models")
    made = check(document, client.post("/v1/responses", json={"model": "gpt-test", "input": "hi", "store": True},
                                       headers=h), "post", "/v1/responses").json
    check(document, client.post("/v1/responses", json={"model": "gpt-test", "input": "hi", "background": True},
                                headers=h), "post", "/v1/responses")
    stored = "/v1/responses/{response_id}"
    check(document, client.get(f"/v1/responses/{made['id']}", headers=h), "get", stored)
    items = "/v1/responses/{response_id}/input_items"
    check(document, client.get(f"/v1/responses/{made['id']}/input_items", headers=h), "get", items)
    check(document, client.get(f"/v1/responses/{made['id']}/input_items?limit=0", headers=h), "get", items)
    check(document, client.delete(f"/v1/responses/{made['id']}", headers=h), "delete", stored)
    check(document, client.get(f"/v1/responses/{made['id']}", headers=h), "get", stored)
    check(document, client.delete(f"/v1/responses/{made['id']}", headers=h), "delete", stored)
    check(document, client.get(f"/v1/responses/{made['id']}/input_items", headers=h), "get", items)
    count = {"model": "claude-test", "messages": [{"role": "user", "content": "hi"}]}
    check(document, client.post("/v1/messages/count_tokens", json=count, headers=h), "post",
          "/v1/messages/count_tokens")
    check(document, client.post("/v1/messages/count_tokens", json={"model": "claude-test"}, headers=h), "post",
          "/v1/messages/count_tokens")

    _check_media(client, world, document)

    world.org.low_balance_threshold = 1
    db.session.add(UsageLog(request_id="r-doc", created_at=dt.datetime(2026, 11, 1), org_id=world.org.id,
                            user_id=world.owner.id, api_key_id=world.key.id, wallet_id=world.key.wallet_id,
                            model="gpt-test", endpoint="chat"))
    notice = Notification(event="system.balance.notify.dispatched", title="Low", org_id=world.org.id,
                          data={"available_usd": 1.0})
    db.session.add(notice)
    db.session.commit()
    check(document, client.get("/api/v1/me/account", headers=h), "get", "/api/v1/me/account")
    check(document, client.get("/api/v1/me/account"), "get", "/api/v1/me/account")
    check(document, client.get("/api/v1/me/usage", headers=h), "get", "/api/v1/me/usage")
    check(document, client.get("/api/v1/me/usage?status=x", headers=h), "get", "/api/v1/me/usage")

    made = check(document, client.post("/api/v1/me/keys", json={"name": "doc", "cap_1d_usd": 2,
                                                                 "model_caps_usd": {"gpt-test": 1},
                                                                 "expires_in_days": 2}, headers=h),
                 "post", "/api/v1/me/keys").json
    check(document, client.post("/api/v1/me/keys", json={"name": "doc", "cap_1d_usd": -2}, headers=h),
          "post", "/api/v1/me/keys")
    _, viewer = join(OrgRole.viewer)
    check(document, client.post("/api/v1/me/keys", json={"name": "v"}, headers=viewer), "post", "/api/v1/me/keys")
    check(document, client.get("/api/v1/me/keys", headers=h), "get", "/api/v1/me/keys")
    item = "/api/v1/me/keys/{key_id}"
    check(document, client.get(f"/api/v1/me/keys/{made['id']}", headers=h), "get", item)
    check(document, client.get("/api/v1/me/keys/999999", headers=h), "get", item)
    check(document, client.patch(f"/api/v1/me/keys/{made['id']}", json={"rpm_limit": 5}, headers=h), "patch", item)
    rotated = check(document, client.post(f"/api/v1/me/keys/{made['id']}/rotate", headers=h),
                    "post", "/api/v1/me/keys/{key_id}/rotate").json
    check(document, client.post("/api/v1/me/keys/batch", json={"action": "get", "ids": [rotated["id"]]}, headers=h),
          "post", "/api/v1/me/keys/batch")
    check(document, client.delete(f"/api/v1/me/keys/{rotated['id']}", headers=h), "delete", item)
    check(document, client.get("/api/v1/me/notifications", headers=h), "get", "/api/v1/me/notifications")
    check(document, client.post(f"/api/v1/me/notifications/{notice.id}/read", headers=h),
          "post", "/api/v1/me/notifications/{notification_id}/read")

    billing = "/api/v1/me/billing"
    check(document, client.get(f"{billing}/topups/quote?amount_usd=99.99", headers=h), "get", f"{billing}/topups/quote")
    check(document, client.get(f"{billing}/topups/quote?amount_usd=1", headers=h), "get", f"{billing}/topups/quote")
    check(document, client.post(f"{billing}/topups", json={"amount_usd": 20}, headers=h), "post", f"{billing}/topups")
    check(document, client.post(f"{billing}/topups", json={"amount_usd": 20}, headers=viewer), "post",
          f"{billing}/topups")
    check(document, client.get(f"{billing}/transactions?limit=1", headers=h), "get", f"{billing}/transactions")
    check(document, client.get(f"{billing}/transactions?status=x", headers=h), "get", f"{billing}/transactions")
    export = client.get(f"{billing}/transactions.csv", headers=h)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    CALLED.add(("get", f"{billing}/transactions.csv"))

    plan = f"{billing}/subscription"
    check(document, client.delete(plan, headers=h), "delete", plan)  # 409: nothing to cancel
    check(document, client.patch(plan, json={"plan": "gold"}, headers=h), "patch", plan)
    check(document, client.post(plan, json={"plan": "gold"}, headers=h), "post", plan)
    check(document, client.post(plan, json={"plan": "max"}, headers=viewer), "post", plan)
    checkout = check(document, client.post(plan, json={"plan": "max"}, headers=h), "post", plan).json
    standin.pay(checkout["checkout_url"].rsplit("/", 1)[1])
    check(document, client.post(plan, json={"plan": "max"}, headers=h), "post", plan)  # 409: subscribed
    check(document, client.get(plan, headers=h), "get", plan)
    check(document, client.get(plan, headers=viewer), "get", plan)
    check(document, client.patch(plan, json={"plan": "pro"}, headers=h), "patch", plan)
    check(document, client.delete(plan, headers=h), "delete", plan)
    standin.app.extensions["stripe_standin"]["sender"].wait()

    # Jobs run inline here, so a test event reaches the receiver before the call answers.
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", ["127.0.0.1/32"])
    _check_webhooks(client, world, document, receiver, viewer)

    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert documented == CALLED


def _check_media(client, world, document):
    h, free = world.headers, dict(providers=[world.openai_provider], groups=[world.public])
    make_model("image-doc", kind="image", image_prices={"1024x1024": {"standard": 40000}}, **free)
    make_model("speech-doc", kind="speech", char_price=15_000_000, **free)
    make_model("whisper-doc", kind="transcription", second_price=100, **free)
    images = "/v1/images/generations"
    check(document, client.post(images, json={"model": "image-doc", "prompt": "a fox"}, headers=h), "post", images)
    check(document, client.post(images, json={"model": "image-doc", "prompt": "a fox", "size": "1x1"}, headers=h),
          "post", images)
    task = check(document, client.post(images, json={"model": "image-doc", "prompt": "a fox", "tollgate_async": True},
                                       headers=h), "post", images).json
    speech = {"model": "speech-doc", "input": "Hello", "voice": "alloy"}
    check(document, client.post("/v1/audio/speech", json=speech, headers=h), "post", "/v1/audio/speech")
    check(document, client.post("/v1/audio/speech", json=speech, headers={**h, "Prefer": "respond-async"}),
          "post", "/v1/audio/speech")
    check(document, client.post("/v1/audio/speech", json={**speech, "voice": 1}, headers=h), "post",
          "/v1/audio/speech")
    audio = "/v1/audio/transcriptions"
    form = {"model": "whisper-doc", "file": (io.BytesIO(b"RIFF" + bytes(2000)), "a.wav")}
    check(document, client.post(audio, data=form, headers=h), "post", audio)
    check(document, client.post(audio, data={"model": "whisper-doc", "tollgate_async": "true",
                                             "file": (io.BytesIO(bytes(2000)), "a.wav")}, headers=h), "post", audio)
    check(document, client.post(audio, data={"model": "whisper-doc"}, headers=h), "post", audio)
    one, content = "/api/v1/me/tasks/{task_id}", "/api/v1/me/tasks/{task_id}/content"
    check(document, client.get(f"/api/v1/me/tasks/{task['id']}", headers=h), "get", one)
    check(document, client.get(f"/api/v1/me/tasks/{task['id']}/content", headers=h), "get", content)
    _, stranger = make_key(make_user("stranger"), world.org)
    other = {"Authorization": f"Bearer {stranger}"}
    check(document, client.get(f"/api/v1/me/tasks/{task['id']}", headers=other), "get", one)
    check(document, client.get(f"/api/v1/me/tasks/{task['id']}/content", headers=other), "get", content)


def _check_webhooks(client, world, document, receiver, viewer):
    h, hooks = world.headers, "/api/v1/me/webhooks"
    one, deliveries = f"{hooks}/{{endpoint_id}}", f"{hooks}/{{endpoint_id}}/deliveries"
    replay = f"{deliveries}/{{delivery_id}}/replay"
    made = check(document, client.post(hooks, json={"url": receiver.url, "events": ["key.created"],
                                                    "description": "doc"}, headers=h), "post", hooks).json
    check(document, client.post(hooks, json={"url": "ftp://example.test/hook"}, headers=h), "post", hooks)
    check(document, client.post(hooks, json={"url": receiver.url}, headers=viewer), "post", hooks)
    check(document, client.get(hooks, headers=h), "get", hooks)
    check(document, client.get(hooks, headers=viewer), "get", hooks)
    url = f"{hooks}/{made['id']}"
    check(document, client.get(url, headers=h), "get", one)
    check(document, client.get(f"{hooks}/999999", headers=h), "get", one)
    check(document, client.patch(url, json={"events": "*", "description": None}, headers=h), "patch", one)
    check(document, client.patch(url, json={"events": ["no.such.event"]}, headers=h), "patch", one)
    check(document, client.post(f"{url}/rotate-secret", headers=h), "post", f"{hooks}/{{endpoint_id}}/rotate-secret")
    sent = check(document, client.post(f"{url}/test", headers=h), "post", f"{hooks}/{{endpoint_id}}/test").json
    assert receiver.event_ids() == [sent["event_id"]]
    listed = check(document, client.get(f"{url}/deliveries", headers=h), "get", deliveries).json
    assert listed["data"][0]["status"] == "delivered" and listed["data"][0]["attempt_log"]
    check(document, client.get(f"{url}/deliveries?limit=0", headers=h), "get", deliveries)
    check(document, client.post(f"{url}/deliveries/{sent['id']}/replay", headers=h), "post", replay)
    check(document, client.post(f"{url}/deliveries/999999/replay", headers=h), "post", replay)
    check(document, client.patch(url, json={"active": False}, headers=h), "patch", one)
    check(document, client.post(f"{url}/test", headers=h), "post", f"{hooks}/{{endpoint_id}}/test")  # 409
    check(document, client.delete(url, headers=h), "delete", one)
    check(document, client.delete(url, headers=h), "delete", one)


def test_reference_page_lists_every_operation_without_external_assets(client, document):
    resp = client.get("/api/v1/reference")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    for path, ops in document["paths"].items():
        for method in ops:
            assert f'id="{method}-{path}"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
