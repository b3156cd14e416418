"""Server entry points: they need an explicit mode, and a refusal under gunicorn stops the master."""
import subprocess
import sys

import pytest

from tests.test_startup import ROOT, _env, _free_port


@pytest.mark.parametrize("module", ["app.wsgi", "app.gateway.wsgi"])
def test_wsgi_entry_point_without_tollgate_env_refuses_to_start(module):
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, env=_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tollgate: configuration error: TOLLGATE_ENV is not set")


@pytest.mark.parametrize("conf, wsgi", [("app.gunicorn_conf", "app.wsgi"),
                                        ("app.gunicorn_gateway_conf", "app.gateway.wsgi")])
def test_gunicorn_stops_with_one_line_when_the_database_is_unreachable(conf, wsgi):
    env = _env(TOLLGATE_ENV="production", SECRET_KEY="s" * 32, DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere",
               REDIS_URL="redis://127.0.0.1:6379/0", TOLLGATE_WORKERS="1")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", f"python:{conf}",
                             "--bind", f"127.0.0.1:{_free_port()}", f"{wsgi}:application"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ours = [line for line in stderr.splitlines() if line.startswith("tollgate:")]
    assert proc.returncode == 3, stderr  # gunicorn's "worker failed to boot": the master halts
    assert ours == [ours[0]] and "DATABASE_URL" in ours[0]
    assert stderr.count("Booting worker") == 1 and "Traceback" not in stderr


def test_web_and_gateway_processes_default_to_different_ports(monkeypatch):
    for name in ("TOLLGATE_WEB_BIND", "TOLLGATE_GATEWAY_BIND"):
        monkeypatch.delenv(name, raising=False)
    from app import gunicorn_conf, gunicorn_gateway_conf

    assert gunicorn_conf.bind == "0.0.0.0:8000"
    assert gunicorn_gateway_conf.bind == "0.0.0.0:8001"
