"""CPU cost of the metrics on one request, as a gunicorn worker pays it (multiprocess mode).

    .venv/bin/python -m bench.metrics_cost [N]

Calls what the request path calls per served, non-streamed chat completion
(``instruments.request_done`` with its usage record and ``instruments.upstream_answered``)
N times against values kept in PROMETHEUS_MULTIPROC_DIR files, and prints microseconds per
request: the figure to set beside arm D's CPU ms per request. No server, no network, so it
is steady on a busy machine where requests/s figures are not.
"""
import os
import shutil
import sys
import tempfile
import time
from types import SimpleNamespace


def main(n: int) -> None:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tollgate-metrics-cost-")
    try:
        _measure(n)
    finally:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def _measure(n: int) -> None:
    from app.telemetry import instruments, request_log

    instruments.enable()
    provider = SimpleNamespace(id=7, name="openai-main")
    call = SimpleNamespace(op="chat", started=100.0, forwarded_at=100.0004, key=None,
                           model=SimpleNamespace(public_id="gpt-5-4", routes=(SimpleNamespace(provider=provider),)))
    rec = {"provider_id": 7, "http_status": 200, "error_type": None, "prompt_tokens": 12, "completion_tokens": 40,
           "total_cost": 95, "ttft_ms": None}

    def one_request():
        instruments.upstream_answered("openai-main", 0.0021)
        instruments.request_done(call, rec, False)
        request_log.write(call, rec)  # off, as by default

    for _ in range(1000):
        one_request()
    best = None
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            one_request()
        took = (time.process_time() - start) / n * 1e6
        best = took if best is None else min(best, took)
    print(f"metrics per request: {best:.1f} CPU us (best of 5 x {n}, multiprocess mode)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
