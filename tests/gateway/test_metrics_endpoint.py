"""/metrics in one process (the embedded default, tests): the same instruments without gunicorn."""
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import chat, settled, usage_rows


def _scrape(client, **kw) -> dict:
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.get_data(as_text=True)) for s in family.samples}


@pytest.mark.embedded
def test_one_process_counts_a_call_and_its_credits(client, world, monkeypatch):
    monkeypatch.setitem(client.application.config, "METRICS_ALLOW_FROM", ["127.0.0.0/8"])
    key = ("tollgate_requests_total", (("model", "gpt-test"), ("provider", "up-openai"), ("route", "chat"),
                                       ("status", "200")))
    credits = ("tollgate_credits_charged_total", (("model", "gpt-test"),))
    before = _scrape(client)

    assert chat(client, world.headers, max_tokens=20).status_code == 200
    settled()
    after = _scrape(client)

    assert after[key] - before.get(key, 0) == 1
    cost = usage_rows()[0].total_cost
    assert after[credits] - before.get(credits, 0) == cost > 0
    assert after[("tollgate_holds_in_flight", ())] == 0
    assert after[("tollgate_redis_up", ())] == after[("tollgate_database_up", ())] == 1


def test_metrics_are_refused_outside_the_allowed_networks_and_open_with_the_token(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "METRICS_ALLOW_FROM", ["10.0.0.0/8"])
    monkeypatch.setitem(client.application.config, "METRICS_TOKEN", "s3cret")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
