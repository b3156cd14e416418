"""Arm A's server: the project's mock upstream, the floor every other arm is measured against."""
import sys
from pathlib import Path

from ..servers import LOAD_CPU, Server, free_port

# Process-wide knobs travel by environment because /_control only reaches the one worker
# that answers it. 64 tokens, paced 2 ms apart when streamed, so a buffering gateway shows.
MOCK_ENV = {"MOCK_COMPLETION_TOKENS": "64", "MOCK_CHUNK_DELAY_MS": "2"}
STREAM_TOKENS = 64


def start_mock(repo: Path, log_dir: Path, workers: int = 1) -> Server:
    port = free_port()
    flags = ["-k", "gevent", "-w", str(workers), "--worker-connections", "1000", "--keep-alive", "75",
             "--log-level", "warning", "--backlog", "2048"]
    cmd = [sys.executable, "-m", "gunicorn", *flags, "-b", f"127.0.0.1:{port}",
           "app.devtools.mock_upstream:create_mock_app()"]
    # On the load core: the mock is infrastructure, like PostgreSQL and Redis. One gevent
    # worker is its fastest setting there (wrk c=50, 4 s: 1 worker ~2950 req/s, 2 ~2150,
    # 4 ~1000), since extra workers only fight wrk and each other for the same core.
    return Server("mock", cmd, port, LOAD_CPU, log_dir, env=MOCK_ENV, cwd=str(repo)).start(timeout=30)
