"""Starting Tollgate: the embedded default in one command, and clear one-line refusals."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TOLLGATE_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "RATELIMIT_"))}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env, *args, timeout=60):
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_production_without_secret_key_stops_with_one_line_naming_it():
    result = _run(_env(TOLLGATE_ENV="production", DATABASE_URL="postgresql://postgres@127.0.0.1/x",
                       REDIS_URL="redis://127.0.0.1:6379/0"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tollgate: configuration error: SECRET_KEY is required in production (TOLLGATE_ENV=production)"]


def test_production_with_a_short_secret_key_stops_with_one_line_naming_it():
    result = _run(_env(TOLLGATE_ENV="production", SECRET_KEY="x" * 31, DATABASE_URL="postgresql://postgres@127.0.0.1/x",
                       REDIS_URL="redis://127.0.0.1:6379/0"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tollgate: configuration error: SECRET_KEY must be at least 32 bytes in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))' makes one)"]


def test_a_malformed_login_limit_stops_with_one_line_naming_it():
    result = _run(_env(TOLLGATE_LOGIN_LIMIT_PER_IP="lots"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tollgate: configuration error: TOLLGATE_LOGIN_LIMIT_PER_IP must be a rate such as '5 per 5 minutes', "
        "got 'lots'"]


def test_a_malformed_metrics_network_stops_with_one_line_naming_it():
    result = _run(_env(METRICS_ALLOW_FROM="10.0.0.0/8,everyone"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("tollgate: configuration error: METRICS_ALLOW_FROM must be comma-separated networks")


def test_unreachable_database_stops_with_one_line_naming_database_url():
    result = _run(_env(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]


def test_unreachable_redis_stops_the_gateway_process_with_one_line():
    env = _env(TOLLGATE_ENV="production", SECRET_KEY="s" * 32, DATABASE_URL="postgresql://postgres@127.0.0.1/postgres",
               REDIS_URL="redis://127.0.0.1:1/0")
    result = subprocess.run([sys.executable, "-c", "import app.gateway.wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("tollgate: cannot start: cannot reach Redis at REDIS_URL")


def _start_embedded(tmp_path, port, *args, stderr=subprocess.DEVNULL):
    """Start run.py on a SQLite file in tmp_path; returns the process and the demo key it printed."""
    env = _env(DATABASE_URL=f"sqlite:///{tmp_path / 'tollgate.db'}")
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    key = None
    deadline = time.monotonic() + 90
    while key is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "demo API key:" in line:
            key = line.split("demo API key:")[1].strip()
    while key and time.monotonic() < deadline:  # the key is printed just before the server listens
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return proc, key


def _stop(proc) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    return err or ""


def _chat_status(port, key) -> int:
    return requests.post(f"http://127.0.0.1:{port}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                         json={"model": "gpt-5-4", "messages": [{"role": "user", "content": "Hi"}]},
                         timeout=20).status_code


def test_embedded_default_serves_a_real_call_with_the_printed_key(tmp_path):
    port = _free_port()
    proc, key = _start_embedded(tmp_path, port)
    try:
        assert key and key.startswith("tg-") and len(key) >= 35
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=2)
        reply = client.chat.completions.create(model="gpt-5-4", messages=[{"role": "user", "content": "Hello"}])
        assert reply.choices[0].message.content
        stream = client.chat.completions.create(model="claude-sonnet-4-6", stream=True,
                                                messages=[{"role": "user", "content": "Hello"}])
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        account = requests.get(f"http://127.0.0.1:{port}/api/v1/me/account", headers={"x-api-key": key},
                               timeout=10).json()
        assert account["balance"]["available_usd"] < 100
        assert account["org"]["name"] == "Demo Org"
        assert requests.get(f"http://127.0.0.1:{port}/admin/", timeout=10, allow_redirects=False).status_code in (
            200, 302)
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()["status"] == "ready"
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)  # the local machine may read them
        assert metrics.status_code == 200
        assert 'tollgate_requests_total{model="gpt-5-4",provider="' in metrics.text
    finally:
        _stop(proc)


def test_restart_on_another_port_repoints_the_demo_and_only_the_new_key_works(tmp_path):
    first_port, second_port = _free_port(), _free_port()
    proc, first_key = _start_embedded(tmp_path, first_port, stderr=subprocess.PIPE)
    assert "tollgate: warning" not in _stop(proc)  # loopback: nobody else can reach the dev credentials
    proc, second_key = _start_embedded(tmp_path, second_port, "--host", "0.0.0.0", stderr=subprocess.PIPE)
    try:
        assert _chat_status(second_port, second_key) == 200
        assert _chat_status(second_port, first_key) == 401
    finally:
        err = _stop(proc)
    warning = [line for line in err.splitlines() if line.startswith("tollgate: warning:")]
    assert len(warning) == 1 and "0.0.0.0" in warning[0] and "admin/admin" in warning[0]


def test_demo_command_prints_exports_to_eval(app, db):
    result = app.test_cli_runner().invoke(args=["tollgate", "demo", "--base-url", "http://gw.test",
                                                "--upstream", "http://mock.test"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-2].startswith("export TOLLGATE_API_KEY=tg-")
    assert lines[-1] == "export TOLLGATE_BASE_URL=http://gw.test/v1"
    from app.models import Wallet, Organization
    org = db.session.scalar(db.select(Organization).where(Organization.name == "Demo Org"))
    assert db.session.get(Wallet, org.wallet.id).balance == 100_000_000


def test_init_command_creates_the_first_admin_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tollgate", "init", "--username", "boss", "--email", "boss@x.test",
                                "--password", "pw-123456"])
    second = runner.invoke(args=["tollgate", "init", "--username", "boss", "--password", "pw-123456"])
    assert "admin 'boss' created" in first.output
    assert "already exists" in second.output
    from app.extensions import appbuilder
    assert appbuilder.sm.find_user(username="boss").roles[0].name == "Admin"


def test_an_unusable_https_proxy_stops_with_one_line_naming_it():
    result = _run(_env(HTTPS_PROXY="socks5://proxy.corp:1080"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tollgate: configuration error: HTTPS_PROXY: proxy URL")


def test_demo_command_without_a_mounted_mock_asks_for_an_upstream(app, db):
    result = app.test_cli_runner().invoke(args=["tollgate", "demo", "--base-url", "http://gw.test"])
    assert result.exit_code == 2
    assert "--upstream" in result.output and "/_mock" in result.output
    from app.models import Organization
    assert db.session.scalar(db.select(Organization)) is None


def test_demo_command_again_repoints_the_providers_and_revokes_the_old_key(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["tollgate", "demo", "--base-url", "http://gw.test", "--upstream", "http://gw.test/_mock"])
    result = runner.invoke(args=["tollgate", "demo", "--base-url", "http://gw.test", "--upstream", "http://mock:9100/"])
    assert result.exit_code == 0, result.output
    from app.models import ApiKey, KeyStatus, Provider
    urls = dict(db.session.execute(db.select(Provider.name, Provider.base_url)).all())
    assert urls == {"mock-openai": "http://mock:9100/v1", "mock-anthropic": "http://mock:9100"}
    statuses = sorted(s.value for s in db.session.scalars(db.select(ApiKey.status)))
    assert statuses == ["active", "revoked"]
