"""When Redis cannot be reached the gateway refuses with 503, forwards and charges nothing, then recovers."""
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .helpers import assert_nothing_charged, chat, usage_charges


def test_redis_outage_is_503_then_recovers_by_itself(app, client, world, mock_upstream):
    holder = app.extensions["tollgate_redis"]
    healthy = holder.client
    holder.client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,  # nothing listens there
                                retry=Retry(NoBackoff(), 0))
    try:
        before = mock_upstream_count(mock_upstream)
        resp = chat(client, world.headers)
        assert resp.status_code == 503
        assert resp.json["error"]["type"] == "service_unavailable"
        assert mock_upstream_count(mock_upstream) == before
    finally:
        holder.client = healthy
    assert_nothing_charged(world)
    assert chat(client, world.headers).status_code == 200
    assert len(usage_charges()) == 1


def mock_upstream_count(mock):
    import requests

    return requests.get(f"{mock.url}/_control", timeout=5).json()["requests"]["chat_completions"]
