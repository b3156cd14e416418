"""Start, pin, probe and stop the server processes the benchmark talks to.

Every process is started in its own session so the whole tree (gunicorn master and
workers, LiteLLM's uvicorn) can be signalled at once, and each one is registered so
``stop_all`` (called from ``finally`` and at exit) never leaves a server behind.
"""
import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

GATEWAY_CPU = "0"  # the server under test gets a core of its own
LOAD_CPU = "1"  # load generators, mock upstream, PostgreSQL and Redis share the other

_REPO = Path(__file__).resolve().parent.parent

# The production gateway's serving settings: its own gunicorn config (gevent, keep-alive,
# psycogreen patched after fork) held to one worker so it fits the one pinned core. Arms B,
# C and D all use them, so the framework, the proxy and Tollgate differ only in their code.
# Command-line flags override the config file, so -w and -b win over its defaults.
if (_REPO / "app" / "gunicorn_conf.py").exists():
    GUNICORN_GATEWAY_FLAGS = ["-c", "python:app.gunicorn_conf", "-w", "1", "--log-level", "warning",
                              "--backlog", "2048"]
else:
    GUNICORN_GATEWAY_FLAGS = ["-k", "gevent", "-w", "1", "--worker-connections", "1000",
                              "--keep-alive", "75", "--log-level", "warning", "--backlog", "2048"]

_TICK = os.sysconf("SC_CLK_TCK")
_started: list["Server"] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_self_to_load_cpu() -> None:
    """The orchestrator and the clients it spawns stay off the gateway's core."""
    try:
        os.sched_setaffinity(0, {int(LOAD_CPU)})
    except (OSError, AttributeError):
        pass


class StartError(RuntimeError):
    """A server did not come up; the message carries the tail of its log."""


class Server:
    def __init__(self, name: str, cmd: list[str], port: int, cpu: str, log_dir: Path,
                 env: dict | None = None, health: str | None = None, cwd: str | None = None):
        self.name, self.cmd, self.port, self.cpu = name, cmd, port, cpu
        self.env = {**os.environ, **(env or {})}
        self.health = health  # a GET path that answers 2xx-4xx once the app is loaded
        self.cwd = cwd
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "Server":
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["taskset", "-c", self.cpu, *self.cmd], stdout=log, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.cwd, start_new_session=True)
        _started.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail(3)}")
            if self._ready():
                return self
            time.sleep(0.2)
        raise StartError(f"{self.name} not ready after {timeout:.0f}s: {self.log_tail(3)}")

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        if self.health is None:
            return True
        try:
            return requests.get(self.url + self.health, timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def pids(self) -> list[int]:
        """The started process and all its descendants (workers fork after start)."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.proc.pid]
        while todo and len(out) < 256:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def cpu_seconds(self) -> float:
        """utime + stime of the whole tree, to turn into CPU-ms per request."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        return total / _TICK

    def memory_kb(self) -> dict:
        """Largest VmHWM (peak) and VmRSS (now) among the tree's processes: the busy worker's."""
        hwm = rss = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
                elif line.startswith("VmRSS:"):
                    rss = max(rss, int(line.split()[1]))
        return {"hwm_kb": hwm, "rss_kb": rss}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def stop_all() -> None:
    while _started:
        _started.pop().stop()


def _on_signal(signum, frame):
    stop_all()
    raise SystemExit(128 + signum)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)
