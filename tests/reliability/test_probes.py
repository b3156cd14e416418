"""/healthz and /readyz of a real gateway process: readiness follows Redis, not PostgreSQL."""
import time

import requests
import sqlalchemy as sa

from .procs import CuttableProxy, Gateway, RedisServer, gateway_env


def _probe(gateway, path: str) -> tuple[int, dict]:
    r = requests.get(gateway.url + path, timeout=10)
    return r.status_code, r.json()


def _wait_for(gateway, path: str, status: int, timeout: float = 15.0) -> tuple[int, dict]:
    deadline = time.monotonic() + timeout
    while True:
        got = _probe(gateway, path)
        if got[0] == status or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_readyz_flips_to_503_while_its_redis_is_stopped_and_back_when_it_returns(app):
    redis_server = RedisServer()
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    database = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    via_proxy = url.set(host="127.0.0.1", port=database.port).render_as_string(hide_password=False)
    gateway = Gateway(gateway_env(via_proxy, redis_server.url, app.config["SECRET_KEY"]))
    try:
        assert _probe(gateway, "/healthz") == (200, {"status": "ok"})
        assert _probe(gateway, "/readyz") == (200, {"status": "ready", "checks": {"redis": "ok", "catalog": "ok"}})

        redis_server.stop()
        status, body = _wait_for(gateway, "/readyz", 503)
        assert status == 503 and body["status"] == "not ready"
        assert body["checks"]["redis"].startswith("unreachable") and body["checks"]["catalog"] == "ok"
        assert _probe(gateway, "/healthz") == (200, {"status": "ok"})  # alive: no restart for an outage

        redis_server = redis_server.restart()
        assert _wait_for(gateway, "/readyz", 200)[0] == 200

        # PostgreSQL away: the catalog this process holds keeps it ready (GATEWAY_CATALOG_SECONDS is 1).
        database.cut()
        time.sleep(1.5)
        assert _probe(gateway, "/readyz") == (200, {"status": "ready", "checks": {"redis": "ok", "catalog": "ok"}})
    finally:
        gateway.stop()
        database.cut()
        redis_server.stop()


def test_web_process_answers_both_probes(client):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/readyz")
    assert (r.status_code, r.json["checks"]) == (200, {"redis": "ok", "catalog": "ok"})
    assert r.headers["Cache-Control"] == "no-store"
