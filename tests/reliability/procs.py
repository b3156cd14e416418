"""Real processes for the reliability suite: a Redis of its own, the mock upstream, gateways.

Each process starts in its own session so a gunicorn master and its workers can be
signalled together, and ``stop`` never leaves one behind. Everything binds to 127.0.0.1.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from tests.gateway.netservers import pump

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, name: str, cmd: list[str], env: dict | None = None):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"tollgate-{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def wait_until(self, probe, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                if probe():
                    return
            except (OSError, requests.RequestException):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become {what} within {timeout} s:\n{self.output()[-3000:]}")


class RedisServer(Process):
    """A Redis of the test's own, so it can be stopped and started again mid-load.

    It keeps an append-only file synced on every write, as production's Redis should
    (docs/deployment.md): a restart then loses no queued usage.
    """

    def __init__(self, port: int | None = None, data_dir: str | None = None):
        self.port = port or free_port()
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tollgate-redis-")
        super().__init__(f"redis-{self.port}", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                                 "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                                 "--dir", self.data_dir])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.wait_until(self._pong, "ready")

    def _pong(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def restart(self) -> "RedisServer":
        """Start again on the same port and data after ``stop``."""
        return RedisServer(self.port, self.data_dir)


class MockUpstream(Process):
    def __init__(self):
        self.port = free_port()
        super().__init__(f"mock-{self.port}", [sys.executable, "-m", "app.devtools.mock_upstream",
                                                "--port", str(self.port), "--server", "gevent"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until(lambda: requests.get(f"{self.url}/_control/last", timeout=1).status_code < 500, "ready")


def gateway_env(database_url: str, redis_url: str, secret_key: str, **extra) -> dict:
    """A production gateway's environment on the test's database and Redis (same secret: provider keys)."""
    return {
        "TOLLGATE_ENV": "production", "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url.replace("postgresql+psycopg2://", "postgresql://"),
        "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url,
        "GATEWAY_KEY_CACHE_SECONDS": "1", "GATEWAY_CATALOG_SECONDS": "1", "GATEWAY_FLUSH_INTERVAL_S": "0.2",
        "TOLLGATE_WORKERS": "1", **{k: str(v) for k, v in extra.items()},
    }


class Gateway(Process):
    """``gunicorn -c python:app.gunicorn_gateway_conf app.gateway.wsgi:application`` as deployed."""

    def __init__(self, env: dict, port: int | None = None):
        self.port = port or free_port()
        super().__init__(f"gateway-{self.port}", [sys.executable, "-m", "gunicorn", "-c",
                                                   "python:app.gunicorn_gateway_conf", "app.gateway.wsgi:application"],
                         {**env, "TOLLGATE_GATEWAY_BIND": f"127.0.0.1:{self.port}"})
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until(lambda: requests.get(f"{self.url}/v1/models", timeout=1).status_code == 401, "ready", 60)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


class CuttableProxy:
    """A TCP relay to ``target`` that can be cut (every connection dropped, new ones refused)
    and restored on the same port: a database or Redis "lost" from one process's view."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self._conns: list[socket.socket] = []
        self._listener = None
        self.restore()

    def restore(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        except OSError:
            pass
        self._listener.close()
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._conns.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(src, dst), daemon=True).start()

