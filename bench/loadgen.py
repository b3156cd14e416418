"""Open-loop load at a constant arrival rate, for latency without coordinated omission.

No wrk2, vegeta, k6 or oha package is installable here, so this is the open-loop tool:
request i is due at start + i/rate whatever happened to earlier ones, and its latency
is measured from that due time, so a stalled server shows up as queueing delay instead
of silently lowering the offered load (wrk's closed loop would hide it).

    python -m bench.loadgen --url http://127.0.0.1:8000/v1/chat/completions \\
        --body-file body.json --rate 200 --seconds 10 [--auth 'Bearer sk-...']

Prints one JSON object: sent, ok, errors, achieved rate, latency percentiles in ms.
Runs under gevent; at the rates used here one core keeps the client's own cost well
under the servers', and every arm pays it equally.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
from gevent.queue import LifoQueue  # noqa: E402

from .httpclient import Connection, build_request  # noqa: E402

MAX_CONNECTIONS = 512


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def run(url: str, body: bytes, rate: float, seconds: float, auth: str | None, timeout: float = 10.0) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    raw = build_request(f"{host}:{port}", parts.path or "/", body, auth)
    idle: LifoQueue = LifoQueue()
    opened = [0]
    latencies: list[float] = []
    service: list[float] = []
    errors: dict[str, int] = {}

    def one(due: float) -> None:
        conn = None
        try:
            if not idle.empty():
                conn = idle.get_nowait()
            elif opened[0] < MAX_CONNECTIONS:
                opened[0] += 1
                conn = Connection(host, port, timeout)
            else:
                conn = idle.get(timeout=timeout)
            sent = time.monotonic()
            status, pieces = conn.request(raw)
            for _ in pieces:
                pass
            done = time.monotonic()
            if 200 <= status < 300:
                latencies.append((done - due) * 1000)
                service.append((done - sent) * 1000)
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
            if conn.reusable:
                idle.put(conn)
            else:
                conn.close()
                opened[0] -= 1
        except Exception as exc:  # any failure is a counted error, never a crash of the run
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            if conn is not None:
                conn.close()
                opened[0] -= 1

    total = int(rate * seconds)
    greenlets = []
    start = time.monotonic() + 0.05
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        greenlets.append(gevent.spawn(one, due))
    gevent.joinall(greenlets, timeout=timeout + 5)
    unfinished = sum(1 for g in greenlets if not g.dead)
    gevent.killall([g for g in greenlets if not g.dead], block=False)
    if unfinished:
        errors["unfinished"] = unfinished
    elapsed = time.monotonic() - start
    n_err = sum(errors.values())
    return {
        "rate": rate, "seconds": seconds, "sent": total, "ok": len(latencies), "errors": n_err,
        "error_kinds": errors, "error_rate": n_err / total if total else 0.0,
        "achieved_rps": len(latencies) / elapsed if elapsed else 0.0, "connections": opened[0],
        "p50_ms": percentile(latencies, 50), "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99), "max_ms": max(latencies) if latencies else None,
        "service_p50_ms": percentile(service, 50), "service_p99_ms": percentile(service, 99),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second, fixed")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--auth", default=None, help="Authorization header value")
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback targets only")
    with open(args.body_file, "rb") as f:
        body = f.read()
    print(json.dumps(run(args.url, body, args.rate, min(args.seconds, 3600), args.auth)))


if __name__ == "__main__":
    main()
