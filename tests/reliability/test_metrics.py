"""/metrics of a real gunicorn gateway (multiprocess mode) after known traffic to the mock upstream:
every counter moved by exactly what was sent."""
import os
import signal
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.models import ProviderKind
from tests.factories import make_group, make_key, make_model, make_provider

from .conftest import funded_org, lone_gateway
from .load import one_call, usage_by_request, wait_for_usage_rows
from .procs import free_port

TOKEN = "scrape-token-for-tests"


@pytest.fixture(scope="module")
def stack(app, tmp_path_factory):
    metrics_dir = tmp_path_factory.mktemp("metrics")
    (metrics_dir / "counter_4242.db").write_bytes(b"left by a previous run")  # emptied at start
    with lone_gateway(app, METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=metrics_dir) as stack:
        stack.gateway.metrics_dir = metrics_dir
        yield stack


def scrape(gateway) -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    r = requests.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


def test_counters_move_by_exactly_the_traffic_sent(db, stack):
    gateway = stack.gateway
    owner, org = funded_org(stack, "Metrics Co")
    mock = make_provider(f"{stack.upstream.url}/v1", ProviderKind.openai, name="mock-openai")
    dead = make_provider(f"http://127.0.0.1:{free_port()}/v1", ProviderKind.openai, name="dead-openai", priority=0)
    mock.priority = 1
    db.session.commit()
    public = make_group("public")
    make_model("gpt-direct", [mock], [public], upstream_name="gpt-upstream", max_output_tokens=1000)
    make_model("gpt-fallback", [dead, mock], [public], upstream_name="gpt-upstream", max_output_tokens=1000)
    _, secret = make_key(owner, org)
    time.sleep(1.1)  # the gateway re-reads the catalog every second
    before = scrape(gateway)

    calls = [one_call(gateway.url, secret, "gpt-direct", stream=False) for _ in range(3)]
    calls += [one_call(gateway.url, secret, "gpt-direct", stream=True) for _ in range(2)]
    calls += [one_call(gateway.url, secret, "gpt-fallback", stream=False) for _ in range(2)]
    refused = [one_call(gateway.url, "tg-not-a-real-key", "gpt-direct", stream=False),
               one_call(gateway.url, secret, "no-such-model", stream=False)]
    assert [c.status for c in calls] == [200] * 7 and [c.status for c in refused] == [401, 404]
    assert wait_for_usage_rows(9) == 9
    usage = usage_by_request()
    served = [usage[c.request_id] for c in calls]
    after = scrape(gateway)

    assert delta(before, after, "tollgate_requests_total", route="chat", model="gpt-direct", provider="mock-openai",
                 status="200") == 5
    assert delta(before, after, "tollgate_requests_total", route="chat", model="gpt-fallback",
                 provider="mock-openai", status="200") == 2
    assert delta(before, after, "tollgate_requests_total", route="chat", model="", provider="", status="401") == 1
    assert delta(before, after, "tollgate_requests_total", route="chat", model="", provider="", status="404") == 1
    assert delta(before, after, "tollgate_admission_refusals_total", reason="invalid_api_key") == 1
    assert delta(before, after, "tollgate_admission_refusals_total", reason="model_not_found") == 1
    for model in ("gpt-direct", "gpt-fallback"):
        rows = [u for u in served if u.model == model]
        assert delta(before, after, "tollgate_tokens_total", model=model, kind="prompt") == \
            sum(u.prompt_tokens for u in rows) > 0
        assert delta(before, after, "tollgate_tokens_total", model=model, kind="completion") == \
            sum(u.completion_tokens for u in rows) > 0
        assert delta(before, after, "tollgate_credits_charged_total", model=model) == sum(u.total_cost for u in rows) > 0
    assert delta(before, after, "tollgate_time_to_first_token_seconds_count", model="gpt-direct") == 2
    assert delta(before, after, "tollgate_added_latency_seconds_count", route="chat") == 7
    assert delta(before, after, "tollgate_upstream_latency_seconds_count", provider="mock-openai") == 7
    assert delta(before, after, "tollgate_upstream_errors_total", provider="dead-openai", kind="unreachable") == 2
    assert delta(before, after, "tollgate_upstream_fallbacks_total", provider="dead-openai") == 2
    # Read from Redis and PostgreSQL at scrape time: every hold settled, the queue written.
    assert after[("tollgate_holds_in_flight", ())] == 0
    assert after[("tollgate_settlement_queue_depth", ())] == 0
    assert after[("tollgate_redis_up", ())] == after[("tollgate_database_up", ())] == 1
    assert after[("tollgate_parked_records", (("kind", "parked"),))] == 0
    assert ("tollgate_rq_queue_jobs", (("queue", "default"),)) in after


def test_metrics_are_refused_without_the_token(stack):
    gateway = stack.gateway
    assert requests.get(f"{gateway.url}/metrics", timeout=10).status_code == 403
    wrong = requests.get(f"{gateway.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 403 and "METRICS_TOKEN" in wrong.text


def test_a_dead_workers_counts_are_kept_and_its_files_folded_away(stack):
    gateway = stack.gateway
    before = scrape(gateway)
    assert before and not (gateway.metrics_dir / "counter_4242.db").exists()
    [old] = gateway.worker_pids()
    assert (gateway.metrics_dir / f"counter_{old}.db").exists()
    os.kill(old, signal.SIGKILL)  # gunicorn forks a new worker
    deadline = time.monotonic() + 30
    while gateway.worker_pids() in ([], [old]) and time.monotonic() < deadline:
        time.sleep(0.2)
    gateway.wait_until(lambda: requests.get(f"{gateway.url}/healthz", timeout=1).status_code == 200, "back")

    after = scrape(gateway)
    counters = {k: v for k, v in before.items() if k[0].endswith("_total")}
    assert counters and {k: after.get(k) for k in counters} == counters
    assert not (gateway.metrics_dir / f"counter_{old}.db").exists()
    assert (gateway.metrics_dir / "counter_archive.db").exists()
