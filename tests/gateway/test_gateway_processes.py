"""A real gunicorn gateway killed (SIGKILL) or stopped for a deploy (SIGTERM) mid-stream
still charges the output it delivered: a killed one through the sweep at its last
checkpoint, a stopped one by ending its streams after GATEWAY_DRAIN_S and settling them."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
import requests
import sqlalchemy as sa

from app.billing import holds
from app.extensions import db, redis_conn
from app.models import UsageLog

from .helpers import balance, knobs, usage_charges

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_S = 0.25


class Gateway:
    """``gunicorn -c python:app.gunicorn_gateway_conf app.gateway.wsgi:application``, one worker, its own flusher."""

    def __init__(self, app, log_path: Path, **settings):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TOLLGATE_ENV": "testing", "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "TEST_REDIS_URL": app.config["REDIS_URL"], "TOLLGATE_GATEWAY_BIND": f"127.0.0.1:{port}",
               "TOLLGATE_WORKERS": "1", "GATEWAY_SYNC_SETTLE": "0", "GATEWAY_FLUSH_INTERVAL_S": "0.2",
               "GATEWAY_HOLD_HEARTBEAT_S": str(HEARTBEAT_S), **settings}
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_gateway_conf",
                                      "app.gateway.wsgi:application"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while True:
            assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
            try:
                requests.get(f"{self.url}/v1/models", timeout=2)
                return
            except requests.RequestException:  # not listening yet, or its worker still loading
                time.sleep(0.1)

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            # A worker outlives a SIGKILLed master: kill it first.
            for pid in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def start_gateway(app, tmp_path):
    started = []

    def start(**settings) -> Gateway:
        started.append(Gateway(app, tmp_path / f"gunicorn-{len(started)}.log", **settings))
        started[-1].wait_ready()
        return started[-1]

    yield start
    for gateway in started:
        gateway.stop()


def _open_stream(gateway: Gateway, headers: dict) -> requests.Response:
    resp = requests.post(f"{gateway.url}/v1/chat/completions", stream=True, timeout=15,
                         headers={**headers, "Connection": "close"},
                         json={"model": "gpt-test", "max_tokens": 400, "stream": True,
                               "messages": [{"role": "user", "content": "Hello there"}]})
    assert resp.status_code == 200, resp.text
    return resp


class Received:
    """What the client got: the SSE lines, and how much text it had at each moment."""

    def __init__(self, resp: requests.Response):
        self.lines = resp.iter_lines()
        self.body: list[str] = []
        self.text = ""
        self.timeline: list[tuple[float, int]] = []

    def read_for(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self._one(next(self.lines))

    def read_rest(self) -> None:
        try:
            for line in self.lines:
                self._one(line)
        except requests.exceptions.ChunkedEncodingError:
            pass  # the gateway died mid-stream

    def tokens_by(self, moment: float) -> int:
        """Tokens as the gateway counts them, of the text received up to ``moment``."""
        length = max((n for t, n in self.timeline if t <= moment), default=0)
        return (length + 3) // 4

    def _one(self, line: bytes) -> None:
        line = line.decode()
        self.body.append(line)
        if line.startswith("data: {"):
            for choice in orjson.loads(line[6:]).get("choices") or ():
                self.text += (choice.get("delta") or {}).get("content") or ""
        self.timeline.append((time.monotonic(), len(self.text)))


def _row_of(request_id: str, within_s: float, gateway: Gateway | None = None) -> UsageLog:
    deadline = time.monotonic() + within_s
    while True:
        db.session.expire_all()
        row = db.session.scalar(sa.select(UsageLog).where(UsageLog.request_id == request_id))
        db.session.rollback()
        if row is not None:
            return row
        assert time.monotonic() < deadline, (f"no usage row for {request_id} after {within_s} s\n"
                                             + (gateway.output() if gateway else ""))
        time.sleep(0.1)


@pytest.mark.parametrize("heartbeat_s", [HEARTBEAT_S, 3.0], ids=["short-heartbeat", "default-heartbeat"])
def test_gateway_killed_mid_stream_charges_what_it_delivered_within_the_sweep_interval(
        app, world, mock_upstream, start_gateway, heartbeat_s):
    # With the default 3 s heartbeat the kill comes before the second beat: the first
    # checkpoint, 1 s in, is what the sweep charges.
    gateway = start_gateway(GATEWAY_HOLD_TTL_S=str(int(heartbeat_s) + 1), GATEWAY_HOLD_HEARTBEAT_S=str(heartbeat_s))
    with knobs(mock_upstream, completion_tokens=400, chunk_delay_ms=50):  # a 20 s stream
        resp = _open_stream(gateway, world.headers)
        got = Received(resp)
        got.read_for(1.5)
        assert redis_conn.client.scard(f"tg:cc:{world.org.wallet.id}") == 1  # its slot of the plan's concurrency
        killed_at = time.monotonic()
        os.kill(gateway.worker_pid(), signal.SIGKILL)
        got.read_rest()
    # gunicorn starts another worker; its flusher sweeps the expired hold and writes the row.
    row = _row_of(resp.headers["X-Request-Id"], within_s=10, gateway=gateway)
    assert row.error_type == "settled_by_sweep"
    assert row.usage_estimated is True and row.stream is True
    # The last checkpoint is at most a heartbeat (plus scheduling slack) older than the kill.
    assert got.tokens_by(killed_at - min(heartbeat_s, 1.0) - 0.5) <= row.completion_tokens \
        <= got.tokens_by(time.monotonic())
    assert row.completion_tokens > 0
    assert row.total_cost == row.prompt_tokens + 2 * row.completion_tokens
    assert usage_charges() == [-row.total_cost]
    assert balance(world.org.wallet.id) == 10_000_000 - row.total_cost
    # The hold is gone: the rest of the wallet is available again, and the slot with it.
    assert holds.balances(world.org.wallet.id, world.key.id, None) == (10_000_000 - row.total_cost, None)
    assert redis_conn.client.scard(f"tg:cc:{world.org.wallet.id}") == 0


def test_gateway_stopped_for_a_deploy_drains_then_ends_streams_and_charges_them(
        app, world, mock_upstream, start_gateway):
    gateway = start_gateway(GATEWAY_DRAIN_S="1")
    with knobs(mock_upstream, completion_tokens=400, chunk_delay_ms=50):  # a 20 s stream
        resp = _open_stream(gateway, world.headers)
        got = Received(resp)
        got.read_for(0.5)
        gateway.proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        got.read_rest()
        ended_after = time.monotonic() - stopped_at
    assert 1 <= ended_after < 3, ended_after
    body = "\n".join(got.body)
    assert '"code":"gateway_restarting"' in body.replace(" ", "")
    assert body.rstrip().endswith("data: [DONE]")
    assert gateway.proc.wait(15) == 0, gateway.output()
    row = _row_of(resp.headers["X-Request-Id"], within_s=5)
    assert row.error_type is None and row.usage_estimated is True
    assert row.completion_tokens == got.tokens_by(time.monotonic()) > 0
    assert usage_charges() == [-row.total_cost]
    assert balance(world.org.wallet.id) == 10_000_000 - row.total_cost

