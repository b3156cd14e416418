"""Two production gateways (real gunicorn processes) on the test database, a Redis of their
own and the mock upstream in its own process; a funded org, a key and a model to call."""
import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis

from app.models import ProviderKind
from tests.factories import fund, make_group, make_key, make_model, make_org, make_provider, make_user

from .procs import Gateway, MockUpstream, RedisServer, gateway_env

# Short holds, so that one left by a call cut off mid-admission is swept within the test.
HOLD_TTL_S = 6
FIGURES = Path(os.environ.get("TOLLGATE_RELIABILITY_FIGURES", "/tmp/tollgate-reliability.json"))


@pytest.fixture(scope="module")
def meter_redis():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def upstream():
    server = MockUpstream()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateways(app, meter_redis, upstream):
    env = gateway_env(app.config["SQLALCHEMY_DATABASE_URI"], meter_redis.url, app.config["SECRET_KEY"],
                      GATEWAY_HOLD_TTL_S=HOLD_TTL_S, GATEWAY_HOLD_HEARTBEAT_S=1)
    started = []
    try:
        for _ in range(2):
            started.append(Gateway(env))
        started[0].env = env
        yield started
    finally:
        for gw in started:
            gw.stop()


@pytest.fixture
def cluster(db, gateways, meter_redis, upstream):
    """Fresh meter state per test: the tables are emptied between tests, so ids repeat."""
    redis.Redis.from_url(meter_redis.url).flushdb()
    owner = make_user("owner")
    org = make_org("Load Co", plan="enterprise", owner=owner)  # no message allowance
    provider = make_provider(f"{upstream.url}/v1", ProviderKind.openai, name="mock-openai")
    model = make_model("gpt-load", [provider], [make_group("public")], upstream_name="gpt-upstream",
                       max_output_tokens=1000)
    time.sleep(1.1)  # the gateways re-read the catalog every second
    return SimpleNamespace(env=gateways[0].env, owner=owner, org=org, model=model, provider=provider, gateways=gateways,
                           redis=redis.Redis.from_url(meter_redis.url), upstream=upstream,
                           key=lambda **limits: make_key(owner, org, **limits))


def record_figures(scenario: str, **figures) -> None:
    """Keep the last run's figures for docs/reliability.md (locked: test workers run in parallel)."""
    with open(FIGURES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(FIGURES.read_text() or "{}") if FIGURES.exists() else {}
        data[scenario] = figures
        FIGURES.write_text(json.dumps(data, indent=2, sort_keys=True))


@contextmanager
def lone_gateway(app, **settings):
    """One production gateway with a Redis of its own and the mock upstream in its own process."""
    redis_server, upstream = RedisServer(), MockUpstream()
    gateway = None
    try:
        gateway = Gateway(gateway_env(app.config["SQLALCHEMY_DATABASE_URI"], redis_server.url,
                                      app.config["SECRET_KEY"], **settings))
        yield SimpleNamespace(gateway=gateway, upstream=upstream, redis=redis_server)
    finally:
        if gateway is not None:
            gateway.stop()
        upstream.stop()
        redis_server.stop()


def funded_org(stack, name: str):
    """A fresh meter and an org on the unlimited plan with $10: (owner, org)."""
    redis.Redis.from_url(stack.redis.url).flushdb()
    owner = make_user("owner")
    org = make_org(name, plan="enterprise", owner=owner)
    fund(org.wallet.id, "10")
    return owner, org
