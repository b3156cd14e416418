"""Every admission check answers with the right status and error type, and charges nothing."""
import datetime as dt

import pytest

from app.extensions import db
from app.models import KeyStatus, OrgStatus, UserAllowedGroup
from tests.factories import make_group, make_key, make_model, make_user

from .helpers import assert_nothing_charged, chat, knobs, usage_rows


def test_missing_key_is_401_in_openai_format(client, world):
    resp = chat(client, {})
    assert resp.status_code == 401
    assert resp.json["error"]["type"] == "authentication_error"
    assert resp.headers["X-Request-Id"]
    assert_nothing_charged(world)


def test_missing_key_on_messages_is_401_in_anthropic_format(client, world):
    resp = client.post("/v1/messages", json={"model": "claude-test", "max_tokens": 10,
                                             "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 401
    assert resp.json["type"] == "error"
    assert resp.json["error"]["type"] == "authentication_error"


def test_unknown_key_is_401(client, world):
    resp = chat(client, {"Authorization": "Bearer tg-not-a-real-key"})
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "invalid_api_key"
    assert_nothing_charged(world)


def test_revoked_key_is_401(client, world):
    world.key.status = KeyStatus.revoked
    db.session.commit()
    resp = chat(client, {"x-api-key": world.secret})
    assert resp.status_code == 401
    assert "revoked" in resp.json["error"]["message"]
    assert_nothing_charged(world)


def test_expired_key_is_401_saying_expired(client, world):
    world.key.expires_at = dt.datetime.utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    resp = chat(client, world.headers)
    assert resp.status_code == 401
    assert resp.json["error"]["type"] == "authentication_error"
    assert "expired" in resp.json["error"]["message"]
    assert_nothing_charged(world)


@pytest.mark.parametrize("status", [OrgStatus.paused, OrgStatus.deleted])
def test_paused_or_deleted_org_is_403(client, world, status):
    world.org.status = status
    db.session.commit()
    resp = chat(client, world.headers)
    assert resp.status_code == 403
    assert resp.json["error"]["type"] == "permission_error"
    assert_nothing_charged(world)


def test_unknown_model_is_404_naming_it(client, world):
    resp = chat(client, world.headers, model="no-such-model")
    assert resp.status_code == 404
    assert resp.json["error"]["type"] == "not_found_error"
    assert "no-such-model" in resp.json["error"]["message"]
    assert_nothing_charged(world)


def test_disabled_model_is_404(client, world):
    world.gpt.enabled = False
    db.session.commit()
    assert chat(client, world.headers).status_code == 404


def test_exclusive_model_needs_a_grant(client, world):
    vip = make_group("vip", exclusive=True)
    make_model("vip-model", [world.openai_provider], [vip])
    resp = chat(client, world.headers, model="vip-model")
    assert resp.status_code == 403
    assert resp.json["error"]["type"] == "permission_error"
    assert_nothing_charged(world)
    db.session.add(UserAllowedGroup(user_id=world.owner.id, group_id=vip.id))
    db.session.commit()
    assert chat(client, world.headers, model="vip-model").status_code == 200


def test_model_outside_the_key_allowlist_is_403(client, world):
    _, secret = make_key(world.owner, world.org, allowed_models=["claude-test"])
    resp = chat(client, {"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 403
    assert "gpt-test" in resp.json["error"]["message"]
    assert_nothing_charged(world)


def test_model_not_on_the_org_plan_is_403(client, world):
    from app.models import Plan

    enterprise = db.session.scalar(db.select(Plan).where(Plan.code == "enterprise"))
    world.gpt.plans = [enterprise]
    db.session.commit()
    resp = chat(client, world.headers)
    assert resp.status_code == 403
    assert "plan" in resp.json["error"]["message"]
    assert_nothing_charged(world)


def test_malformed_json_is_400(client, world):
    resp = client.post("/v1/chat/completions", data=b"{not json", headers={**world.headers,
                                                                          "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json["error"]["type"] == "invalid_request_error"
    assert_nothing_charged(world)


@pytest.mark.parametrize("body, field", [
    ({"model": "gpt-test"}, "messages"),
    ({"model": "gpt-test", "messages": "hi"}, "messages"),
    ({"model": "gpt-test", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
    ({"model": 42, "messages": [{"role": "user", "content": "x"}]}, "model"),
    ({"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "max_tokens": "9"}, "max_tokens"),
    ({"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5000}, "max_tokens"),
    ({"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
])
def test_invalid_fields_are_400_naming_the_field(client, world, body, field):
    resp = client.post("/v1/chat/completions", json=body, headers=world.headers)
    assert resp.status_code == 400
    assert resp.json["error"]["type"] == "invalid_request_error"
    assert resp.json["error"]["param"] == field
    assert_nothing_charged(world)


def test_messages_without_max_tokens_is_400_in_anthropic_format(client, world):
    resp = client.post("/v1/messages", json={"model": "claude-test", "messages": [{"role": "user", "content": "x"}]},
                       headers=world.headers)
    assert resp.status_code == 400
    assert resp.json["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in resp.json["error"]["message"]


def test_rpm_limit_answers_429_with_retry_after_from_the_next_request(client, world):
    _, secret = make_key(world.owner, world.org, rpm_limit=2)
    headers = {"Authorization": f"Bearer {secret}"}
    assert [chat(client, headers).status_code for _ in range(2)] == [200, 200]
    resp = chat(client, headers)
    assert resp.status_code == 429
    assert resp.json["error"]["type"] == "rate_limit_error"
    assert int(resp.headers["Retry-After"]) >= 1


def test_tpm_limit_answers_429(client, world):
    _, secret = make_key(world.owner, world.org, tpm_limit=5)
    resp = chat(client, {"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 429
    assert resp.json["error"]["code"] == "tpm_limit_exceeded"
    assert_nothing_charged(world)


def test_tpm_counts_max_tokens_of_a_request_until_it_settles(client, world):
    _, secret = make_key(world.owner, world.org, tpm_limit=100)
    headers = {"Authorization": f"Bearer {secret}"}
    resp = chat(client, headers, max_tokens=90)  # a 19-token prompt bound plus 90 tokens of output
    assert resp.status_code == 429
    assert resp.json["error"]["code"] == "tpm_limit_exceeded"
    assert "max_tokens" in resp.json["error"]["message"] and "Retry-After" not in resp.headers
    # Settled at its actual tokens, so a second request of the same bound fits in the minute.
    assert [chat(client, headers, max_tokens=50).status_code for _ in range(2)] == [200, 200]
    assert usage_rows()[-1].prompt_tokens + usage_rows()[-1].completion_tokens < 100 - 69


@pytest.mark.parametrize("limits, cap_words", [
    ({"cap_5h": 10}, "5-hour"), ({"cap_1d": 10}, "1-day"), ({"cap_7d": 10}, "7-day"),
    ({"quota": 10}, "lifetime quota"), ({"model_caps": {"gpt-test": 10}}, "per-model"),
])
def test_exhausted_caps_answer_429_naming_the_cap(client, world, limits, cap_words):
    _, secret = make_key(world.owner, world.org, **limits)
    resp = chat(client, {"Authorization": f"Bearer {secret}"}, max_tokens=100)
    assert resp.status_code == 429
    assert cap_words in resp.json["error"]["message"]
    assert_nothing_charged(world)


def test_plan_message_window_answers_429(client, world):
    world.org.plan.messages_per_12h = 1
    db.session.commit()
    try:
        assert chat(client, world.headers).status_code == 200
        resp = chat(client, world.headers)
        assert resp.status_code == 429
        assert "12-hour" in resp.json["error"]["message"]
    finally:
        world.org.plan.messages_per_12h = 500
        db.session.commit()


def test_wallet_below_the_hold_is_402(client, world):
    poor = make_user("poor")
    from tests.factories import make_org

    org = make_org("Poor", balance_usd="0.000010", owner=poor)
    _, secret = make_key(poor, org)
    resp = chat(client, {"Authorization": f"Bearer {secret}"}, max_tokens=100)
    assert resp.status_code == 402
    assert resp.json["error"]["type"] == "insufficient_quota"
    assert usage_rows()[-1].status == "error"


def test_upstream_5xx_on_every_route_is_502_and_charges_nothing(client, world, mock_upstream):
    with knobs(mock_upstream, error="500"):
        resp = chat(client, world.headers)
    assert resp.status_code == 502
    assert resp.json["error"]["type"] == "upstream_error"
    assert_nothing_charged(world)
    assert usage_rows()[-1].http_status == 502


def test_upstream_timeout_is_504_and_charges_nothing(client, world, mock_upstream):
    world.openai_provider.timeout_s = 1
    db.session.commit()
    with knobs(mock_upstream, error="timeout", timeout_s=3):
        resp = chat(client, world.headers)
    assert resp.status_code == 504
    assert resp.json["error"]["type"] == "timeout"
    assert_nothing_charged(world)


def test_revoked_key_stops_working_once_its_cache_entry_expires(app, client, world):
    import time

    app.config["GATEWAY_KEY_CACHE_SECONDS"] = 1
    try:
        assert chat(client, world.headers).status_code == 200
        world.key.status = KeyStatus.revoked
        db.session.commit()
        time.sleep(1.1)
        assert chat(client, world.headers).status_code == 401
    finally:
        app.config["GATEWAY_KEY_CACHE_SECONDS"] = 0


def test_account_endpoint_reports_balance_models_and_org_with_the_default_threshold(client, world):
    resp = client.get("/api/v1/me/account", headers={"x-api-key": world.secret})
    assert resp.status_code == 200
    body = resp.json
    assert body["balance"]["available_usd"] == 10.0
    assert body["balance"]["low_balance_threshold_usd"] == 50.0  # platform default: org has none
    assert body["balance"]["low_balance_flagged"] is True
    assert [m["id"] for m in body["allowed_models"]] == ["claude-test", "embed-test", "gpt-test"]
    assert body["org"] == {"id": world.org.id, "name": "Acme", "role": "owner"}
    assert body["user"]["tier"] == "enterprise"


def test_account_endpoint_refuses_a_bad_key_with_401(client, world):
    resp = client.get("/api/v1/me/account", headers={"Authorization": "Bearer tg-nope"})
    assert resp.status_code == 401
    assert resp.json["error"]["type"] == "authentication_error"
