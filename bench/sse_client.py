"""Streaming client: timestamps every SSE event to measure time to first token and the
gaps between tokens, and counts events so buffering or lost chunks show up.

    python -m bench.sse_client --url http://127.0.0.1:8000/v1/chat/completions \\
        --body-file stream.json --streams 20 [--concurrency 1] [--auth 'Bearer ...']

A gateway that buffers shows a time to first token close to the whole stream's length
and gaps near zero; one that merges or drops chunks shows fewer events than the mock sent.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402

from .httpclient import Connection, build_request  # noqa: E402
from .loadgen import percentile  # noqa: E402

_TOKEN = re.compile(rb"tok\d+")


def one_stream(host: str, port: int, raw: bytes, timeout: float) -> dict:
    conn = Connection(host, port, timeout)
    try:
        sent = time.monotonic()
        status, pieces = conn.request(raw)
        events, token_times, tokens, pending = 0, [], 0, b""
        reads = 0
        for at, data in pieces:
            reads += 1
            pending += data
            # SSE events end with a blank line; a read may hold several or half of one.
            while b"\n\n" in pending:
                event, pending = pending.split(b"\n\n", 1)
                if b"data:" not in event or b"[DONE]" in event:
                    continue
                events += 1
                if b'"type":"response.' in event and b"output_text.delta" not in event:
                    continue  # a Responses stream's closing events repeat the text the deltas carried
                found = len(_TOKEN.findall(event))
                if found:
                    tokens += found
                    token_times.append(at)
        end = time.monotonic()
    finally:
        conn.close()
    if status != 200:
        return {"status": status}
    return {"status": status, "events": events, "tokens": tokens, "reads": reads,
            "ttft_ms": (token_times[0] - sent) * 1000 if token_times else None,
            "gaps_ms": [(b - a) * 1000 for a, b in zip(token_times, token_times[1:])],
            "total_ms": (end - sent) * 1000}


def run(url: str, body: bytes, streams: int, concurrency: int, auth: str | None, timeout: float = 30.0) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    raw = build_request(f"{host}:{port}", parts.path or "/", body, auth, stream=True)
    results, errors = [], {}

    def task(_):
        try:
            results.append(one_stream(host, port, raw, timeout))
        except Exception as exc:  # counted, so one bad stream never ends the run
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    pool = Pool(concurrency)
    for i in range(streams):
        pool.spawn(task, i)
    pool.join(timeout=timeout * (streams / concurrency + 1))
    pool.kill(block=False)
    good = [r for r in results if r.get("status") == 200]
    for r in results:
        if r.get("status") != 200:
            errors[str(r.get("status"))] = errors.get(str(r.get("status")), 0) + 1
    ttfts = [r["ttft_ms"] for r in good if r["ttft_ms"] is not None]
    gaps = [g for r in good for g in r["gaps_ms"]]
    return {
        "streams": streams, "concurrency": concurrency, "ok": len(good), "errors": sum(errors.values()),
        "error_kinds": errors,
        "ttft_p50_ms": percentile(ttfts, 50), "ttft_p99_ms": percentile(ttfts, 99),
        "gap_p50_ms": percentile(gaps, 50), "gap_p99_ms": percentile(gaps, 99),
        "total_p50_ms": percentile([r["total_ms"] for r in good], 50),
        "tokens_min": min((r["tokens"] for r in good), default=0),
        "tokens_max": max((r["tokens"] for r in good), default=0),
        "events_min": min((r["events"] for r in good), default=0),
        "events_max": max((r["events"] for r in good), default=0),
        "reads_p50": percentile([r["reads"] for r in good], 50),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sse_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--auth", default=None)
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback targets only")
    with open(args.body_file, "rb") as f:
        body = f.read()
    print(json.dumps(run(args.url, body, min(args.streams, 10000), max(1, args.concurrency), args.auth)))


if __name__ == "__main__":
    main()
