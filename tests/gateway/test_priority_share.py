"""The share of a provider's RPM kept for priority plans, under concurrent load on a live gateway."""
import threading

import pytest
import requests
from sqlalchemy import select

from app.extensions import redis_conn
from app.models import Plan, ProviderKind
from tests.factories import make_group, make_key, make_model, make_org, make_provider, make_user

from .helpers import knobs, plan_changed


@pytest.fixture
def roomy_free_plan(db):
    """Free callers limited by the provider only, not by their plan's concurrency."""
    with plan_changed("free", concurrency=0):
        yield


@pytest.fixture
def world(roomy_free_plan, mock_upstream):
    public = make_group("public")
    limited = make_provider(f"{mock_upstream.url}/v1", ProviderKind.openai, name="limited", rpm_limit=10)
    make_model("gpt-test", [limited], [public], max_output_tokens=1000)
    headers = {}
    for plan in ("pro", "free"):  # Pro is a priority plan, Free is not
        owner = make_user(f"{plan}-owner")
        _, secret = make_key(owner, make_org(f"{plan.title()} Org", plan=plan, balance_usd="5", owner=owner))
        headers[plan] = {"Authorization": f"Bearer {secret}"}
    headers["limited"] = limited.id
    return headers


def _fire(url, headers, n, answers, barrier):
    def one():
        barrier.wait()
        resp = requests.post(url + "/v1/chat/completions", headers=headers, timeout=30,
                             json={"model": "gpt-test", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]})
        answers.append((resp.status_code, resp.json(), resp.headers.get("Retry-After")))

    return [threading.Thread(target=one) for _ in range(n)]


def test_priority_plans_keep_their_share_when_everyone_calls_at_once(world, mock_upstream, live_tollgate):
    pro, free, barrier = [], [], threading.Barrier(22)
    threads = _fire(live_tollgate.url, world["free"], 14, free, barrier) + \
        _fire(live_tollgate.url, world["pro"], 8, pro, barrier)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    free_ok = sum(1 for status, *_ in free if status == 200)
    pro_ok = sum(1 for status, *_ in pro if status == 200)
    # Free is refused once 8 calls (80% of 10) are in the minute, whoever made them; Pro only at
    # 10. So whatever the arrival order: at most 10 reach the provider, at least 8 (22 callers
    # leave refusals, and a refusal means 8 were in), Free at most 8, and a Pro caller was
    # refused only when all 10 were used.
    assert 8 <= free_ok + pro_ok <= 10
    assert free_ok <= 8  # 20% (the default share) of 10 stayed out of reach of the Free plan
    assert pro_ok >= 2 and (pro_ok == 8 or free_ok + pro_ok == 10)
    refusals = [body["error"] for status, body, _ in free + pro if status != 200]
    assert {r["code"] for r in refusals} <= {"priority_capacity_reserved", "provider_rate_limited"}
    assert all(status in (200, 429) for status, *_ in free + pro)


def test_a_non_priority_caller_is_refused_first_and_told_why(world, mock_upstream, live_tollgate):
    url = live_tollgate.url + "/v1/chat/completions"
    body = {"model": "gpt-test", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}
    for _ in range(8):
        assert requests.post(url, headers=world["free"], json=body, timeout=10).status_code == 200
    refused = requests.post(url, headers=world["free"], json=body, timeout=10)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "priority_capacity_reserved"
    assert "priority plans" in refused.json()["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    for _ in range(2):
        assert requests.post(url, headers=world["pro"], json=body, timeout=10).status_code == 200
    full = requests.post(url, headers=world["pro"], json=body, timeout=10)
    assert full.status_code == 429 and full.json()["error"]["code"] == "provider_rate_limited"


def test_a_full_provider_falls_back_to_the_next_route(world, mock_upstream, live_tollgate, db):
    from app.models import LlmModel, ModelRoute

    spare = make_provider(f"{mock_upstream.url}/v1", ProviderKind.openai, name="spare", priority=5)
    model = db.session.scalar(select(LlmModel).where(LlmModel.public_id == "gpt-test"))
    db.session.add(ModelRoute(model_id=model.id, provider_id=spare.id))
    db.session.commit()
    url = live_tollgate.url + "/v1/chat/completions"
    body = {"model": "gpt-test", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}
    with knobs(mock_upstream):
        answers = [requests.post(url, headers=world["free"], json=body, timeout=10).status_code for _ in range(12)]
    assert answers == [200] * 12
    assert redis_conn.client.zcard(f"tg:pr:{world['limited']}") == 8  # the rest went to the spare one
