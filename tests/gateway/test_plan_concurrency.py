"""The plan's concurrency against a live gateway: at most N requests of one org reach the
provider at once, the rest get a 429 in their own API format, and every way a request ends
(answer, stream, provider error, client hang-up) gives its slot back."""
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select
from werkzeug.wsgi import ClosingIterator

from app.extensions import db, redis_conn
from app.models import Plan, ProviderKind
from tests.factories import make_group, make_key, make_model, make_org, make_provider, make_user

from .helpers import knobs, plan_changed
from .netservers import LiveServer


class InFlight:
    """WSGI middleware in front of the mock provider: counts the calls it is serving at once."""

    def __init__(self, app):
        self.app, self.now, self.peak, self.lock = app, 0, 0, threading.Lock()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].startswith("/_control"):
            return self.app(environ, start_response)
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        return ClosingIterator(self.app(environ, start_response), [self._leave])

    def _leave(self):
        with self.lock:
            self.now -= 1


@pytest.fixture
def provider():
    from app.devtools.mock_upstream import create_mock_app

    counted = InFlight(create_mock_app(env={}))
    server = LiveServer(counted)
    server.counted = counted
    yield server
    server.stop()


@pytest.fixture
def tight_plan(db):
    with plan_changed("pro", concurrency=3) as plan:
        yield plan


@pytest.fixture
def org(tight_plan, provider):
    owner = make_user("owner")
    org = make_org("Acme", plan="pro", balance_usd="10", owner=owner)
    public = make_group("public")
    make_model("gpt-test", [make_provider(f"{provider.url}/v1", ProviderKind.openai)], [public],
               max_output_tokens=1000)
    make_model("claude-test", [make_provider(provider.url, ProviderKind.anthropic)], [public],
               max_output_tokens=1000)
    _, secret = make_key(owner, org)
    org.headers = {"Authorization": f"Bearer {secret}"}
    org.owner_user = owner
    return org


def _in_flight(org) -> int:
    return redis_conn.client.scard(f"tg:cc:{org.wallet.id}")


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _burst(url, org, n, path="/v1/chat/completions", model="gpt-test", **extra):
    answers, barrier = [], threading.Barrier(n)

    def one():
        barrier.wait()
        resp = requests.post(url + path, headers=org.headers, timeout=30, json={
            "model": model, "max_tokens": 20, "messages": [{"role": "user", "content": "Hello"}], **extra})
        answers.append((resp.status_code, resp.json()))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_no_more_than_the_plans_concurrency_reaches_the_provider(org, provider, live_tollgate):
    with knobs(provider, latency_ms=400):
        answers = _burst(live_tollgate.url, org, 12)
    statuses = sorted(status for status, _ in answers)
    assert provider.counted.peak == 3
    assert statuses.count(200) >= 3 and statuses.count(429) >= 1
    assert set(statuses) == {200, 429}
    refusal = next(body for status, body in answers if status == 429)["error"]
    assert refusal["code"] == "concurrency_limit_exceeded" and refusal["type"] == "rate_limit_error"
    assert "3 requests in flight" in refusal["message"]
    assert _in_flight(org) == 0


def test_refusal_is_in_the_anthropic_format_on_messages(org, provider, live_tollgate):
    with knobs(provider, latency_ms=400):
        answers = _burst(live_tollgate.url, org, 6, path="/v1/messages", model="claude-test")
    refused = [body for status, body in answers if status == 429]
    assert refused and refused[0]["type"] == "error"
    assert refused[0]["error"]["type"] == "rate_limit_error" and "in flight" in refused[0]["error"]["message"]


def test_a_slot_comes_back_after_an_answer_a_stream_and_a_provider_error(org, provider, live_tollgate):
    url = live_tollgate.url + "/v1/chat/completions"
    body = {"model": "gpt-test", "max_tokens": 20, "messages": [{"role": "user", "content": "Hello"}]}
    for _ in range(4):  # more than the limit, one after the other
        assert requests.post(url, headers=org.headers, json=body, timeout=10).status_code == 200
    streamed = requests.post(url, headers=org.headers, json={**body, "stream": True}, timeout=10)
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
    with knobs(provider, error="500"):
        assert requests.post(url, headers=org.headers, json=body, timeout=10).status_code == 502
    _wait_for(lambda: _in_flight(org) == 0)
    assert all(status == 200 for status, _ in _burst(live_tollgate.url, org, 3))


def test_a_client_that_hangs_up_mid_stream_gives_its_slot_back(org, provider, live_tollgate):
    target = urlsplit(live_tollgate.url)
    body = {"model": "gpt-test", "stream": True, "max_tokens": 500, "messages": [{"role": "user", "content": "Hi"}]}
    with knobs(provider, completion_tokens=500, chunk_delay_ms=20):
        conns = []
        for _ in range(3):
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                         headers={**org.headers, "Content-Type": "application/json"})
            resp = conn.getresponse()
            assert resp.status == 200 and b"data:" in resp.read(200)
            conns.append((conn, resp))
        assert _in_flight(org) == 3
        refused = requests.post(live_tollgate.url + "/v1/chat/completions", headers=org.headers, timeout=10,
                                json={**body, "stream": False, "max_tokens": 5})
        assert refused.status_code == 429
        for conn, resp in conns:
            resp.close()
            conn.close()
        _wait_for(lambda: _in_flight(org) == 0)
    assert requests.post(live_tollgate.url + "/v1/chat/completions", headers=org.headers, timeout=10,
                         json={**body, "stream": False, "max_tokens": 5}).status_code == 200
    assert provider.counted.peak <= 3


def test_the_limit_follows_the_orgs_plan(org, provider, live_tollgate):
    free = db.session.scalar(select(Plan).where(Plan.code == "free"))
    assert free.concurrency == 2
    with knobs(provider, latency_ms=400):
        moved = db.session.merge(org)
        moved.plan_id = free.id
        db.session.commit()
        answers = _burst(live_tollgate.url, org, 6)
    assert provider.counted.peak == 2
    assert sum(1 for status, _ in answers if status == 429) >= 1
