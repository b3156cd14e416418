"""Every answer under /v1 and /api is JSON in the caller's format, whoever raised it; Retry-After only on 429/503."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("method, path, status", [
    ("get", "/v1/nothing-here", 404),
    ("post", "/v1/chat/completion", 404),
    ("get", "/v1/chat/completions", 405),
    ("delete", "/v1/embeddings", 405),
    ("get", "/api/v1/me/nothing-here", 404),
    ("post", "/api/v1/me/account", 405),
    ("get", "/api/nothing-here", 404),
    ("get", "/v1", 404),
    ("get", "/api", 404),
])
def test_wrong_path_or_method_is_json_in_openai_format(client, method, path, status):
    resp = getattr(client, method)(path)
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    assert resp.json["error"]["type"] in ("not_found_error", "invalid_request_error")
    assert resp.json["error"]["message"]
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize("method, path, status", [
    ("get", "/v1/messages", 405),
    ("post", "/v1/messages/count", 404),
])
def test_wrong_path_or_method_under_messages_is_json_in_anthropic_format(client, method, path, status):
    resp = getattr(client, method)(path, headers={"anthropic-version": "2023-06-01"})
    assert resp.status_code == status
    assert resp.json["type"] == "error"
    assert resp.json["error"]["message"]


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses/resp_1/cancel", "/v1/images/generations",
                                  "/v1/audio/speech", "/v1/audio/transcriptions"])
def test_openai_only_paths_answer_in_openai_format_even_with_an_anthropic_version(client, path):
    resp = client.put(path, headers={"anthropic-version": "2023-06-01"})
    assert resp.status_code in (404, 405)
    assert "type" not in resp.json and resp.json["error"]["message"]


def test_405_still_says_which_methods_are_allowed(client):
    resp = client.get("/v1/chat/completions")
    assert resp.headers["Allow"].split(", ").count("POST") == 1


@pytest.mark.parametrize("path", ["/admin/nothing-here/", "/v1x/models", "/apis"])
def test_404_elsewhere_is_still_a_page(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"


def test_account_rate_limit_is_a_json_429_with_retry_after(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ME_API_RATE_LIMIT", "2/minute")
    headers = {"x-api-key": world.secret}
    first = client.get("/api/v1/me/account", headers=headers)
    assert first.status_code == 200
    assert "Retry-After" not in first.headers
    client.get("/api/v1/me/account", headers=headers)
    resp = client.get("/api/v1/me/account", headers=headers)
    assert resp.status_code == 429
    assert resp.json["error"]["type"] == "rate_limit_error"
    assert "2 per 1 minute" in resp.json["error"]["message"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 60


_OUTAGE_SCRIPT = """
import json
from app.gateway.wsgi import create_gateway_app
client = create_gateway_app().test_client()
out = []
for path in ("/api/v1/me/account", "/v1/models"):
    resp = client.get(path, headers={"x-api-key": "tg-anything"})
    out.append([resp.status_code, resp.mimetype, resp.get_json(), resp.headers.get("Retry-After")])
print(json.dumps(out))
"""


def test_redis_outage_is_a_json_503_on_the_account_endpoint_of_a_gateway_process():
    # A process of its own: the rate limiter's storage is bound once per process.
    dead = "redis://127.0.0.1:1/0"  # nothing listens there
    env = {**os.environ, "TOLLGATE_ENV": "testing", "TEST_REDIS_URL": dead, "GATEWAY_RUN_FLUSHER": "0"}
    result = subprocess.run([sys.executable, "-c", _OUTAGE_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    for status, mimetype, body, retry_after in json.loads(result.stdout.strip().splitlines()[-1]):
        assert (status, mimetype) == (503, "application/json")
        assert body["error"]["type"] == "service_unavailable"
        assert int(retry_after) >= 1
    assert len(result.stderr) < 2000  # a line per failure, not a traceback


def _bare_app_that_fails() -> Flask:
    from app.gateway.http_errors import register_json_errors

    app = Flask("failing")
    register_json_errors(app)

    @app.post("/v1/messages")
    def messages():
        raise KeyError("x" * 100_000)

    @app.get("/api/v1/me/account")
    def account():
        raise RecursionError("maximum recursion depth exceeded")

    @app.get("/elsewhere")
    def elsewhere():
        raise KeyError("not ours")

    return app


def test_an_unexpected_exception_is_a_json_500_with_one_bounded_log_line(caplog):
    client = _bare_app_that_fails().test_client()
    with caplog.at_level(logging.ERROR):
        resp = client.post("/v1/messages", json={})
        other = client.get("/api/v1/me/account")
    assert resp.status_code == 500
    assert resp.json["type"] == "error" and resp.json["error"]["type"] == "api_error"
    assert other.status_code == 500 and other.json["error"]["type"] == "api_error"
    assert resp.headers["X-Request-Id"] and "Retry-After" not in resp.headers
    assert len(caplog.records) == 2
    for record in caplog.records:
        line = record.getMessage()
        assert len(line) < 1000 and "\n" not in line and record.exc_info is None
    assert "KeyError" in caplog.records[0].getMessage()
    assert resp.headers["X-Request-Id"] in caplog.records[0].getMessage()


def test_an_exception_elsewhere_is_left_to_flask():
    app = _bare_app_that_fails()
    app.testing = True
    with pytest.raises(KeyError):
        app.test_client().get("/elsewhere")
