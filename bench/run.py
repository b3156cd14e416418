"""Run every arm side by side and write the results: `bash bench/run.sh [--quick] [--soak 600]`.

Arms: A direct to the mock upstream, B Flask hello-world, C Flask pass-through proxy,
D Tollgate (full path), E Tollgate streaming, F the LiteLLM proxy, R Tollgate's /v1/responses
(D's server and model, plain and streamed). Servers under test are
pinned to CPU 0; everything else (this process, wrk, the Python clients, the mock,
PostgreSQL, Redis) runs on CPU 1. Rounds are interleaved, rotating the arm order, so
drift on the machine spreads over all arms instead of landing on one.
"""
import argparse
import datetime as dt
import fcntl
import json
import os
import sys
import time
from pathlib import Path

import requests

from . import report, soak
from .arms import litellm, tollgate
from .arms.mock import MOCK_ENV, STREAM_TOKENS, start_mock
from .measure import Arm, fold, one_round, write_bodies
from .servers import GATEWAY_CPU, GUNICORN_GATEWAY_FLAGS, Server, StartError, free_port, pin_self_to_load_cpu, \
    stop_all
from .wrk import run_wrk

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="bash bench/run.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="2 rounds of 2 s runs (about 2 minutes)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, quick 2)")
    p.add_argument("--seconds", type=float, default=None, help="length of each load run (default 5, quick 2)")
    p.add_argument("--rate", type=float, default=25.0, help="open-loop arrival rate, same for every arm")
    p.add_argument("--rate-high", type=float, default=200.0,
                   help="second open-loop rate, for arms whose max RPS is well above it")
    p.add_argument("--arms", default="ABCDEFR", help="subset of arms to run, e.g. ABC")
    p.add_argument("--soak", type=float, default=None, metavar="SECONDS",
                   help="instead of the comparison, hold open-loop load on one arm and sample its RSS every 10 s")
    p.add_argument("--soak-arm", default=None, help="arm to soak (default D, else C)")
    p.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    args = p.parse_args(argv)
    args.rounds = max(1, min(args.rounds or (2 if args.quick else 3), 10))
    args.seconds = max(1.0, min(args.seconds or (2.0 if args.quick else 5.0), 60.0))
    args.arms = {a for a in args.arms.upper() if a in "ABCDEFR"}
    if args.soak is not None:
        args.soak = max(20.0, min(args.soak, 7200.0))
    return args


def start_gunicorn_app(name: str, module: str, log_dir: Path, env: dict | None = None) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", *GUNICORN_GATEWAY_FLAGS, "-b", f"127.0.0.1:{port}", module]
    return Server(name, cmd, port, GATEWAY_CPU, log_dir, env=env, cwd=str(REPO), health="/healthz").start(30)


def smoke(arm: Arm, body: Path) -> str | None:
    """A few requests through the arm before measuring: a broken arm is skipped, not benchmarked.

    Several tries because some servers (LiteLLM) answer their first request slowly.
    """
    headers = {"Content-Type": "application/json", **({"Authorization": arm.auth} if arm.auth else {})}
    problem = None
    for _ in range(3):
        try:
            r = requests.post(arm.url, data=body.read_bytes(), headers=headers, timeout=30)
        except requests.RequestException as exc:
            problem = f"request failed: {exc}"
            continue
        if r.status_code == 200:
            return None
        problem = f"HTTP {r.status_code}: {r.text[:300]}"
    return problem


def start_arms(args, log_dir: Path, mock: Server) -> tuple[list[Arm], dict]:
    print("starting arms (Tollgate set-up and LiteLLM's start take a while)", flush=True)
    arms: list[Arm] = []
    skipped: dict[str, str] = {}
    if "A" in args.arms:
        arms.append(Arm("A", "direct to mock upstream", mock, auth="Bearer mock-key", streams=True))
    if "B" in args.arms:
        arms.append(Arm("B", "Flask hello-world", start_gunicorn_app("hello", "bench.arms.hello:application", log_dir)))
    if "C" in args.arms:
        server = start_gunicorn_app("passthrough", "bench.arms.passthrough:application", log_dir,
                                    env={"BENCH_UPSTREAM": mock.url})
        arms.append(Arm("C", "Flask pass-through proxy", server, auth="Bearer mock-key", streams=True))
    if args.arms & {"D", "E", "R"}:
        try:
            server, key, notes = tollgate.start_tollgate(REPO, mock.url, log_dir)
            if "D" in args.arms:
                arms.append(Arm("D", "Tollgate full path", server, auth=f"Bearer {key}", model=tollgate.MODEL,
                                notes=notes))
            if "E" in args.arms:
                arms.append(Arm("E", "Tollgate streaming", server, auth=f"Bearer {key}", model=tollgate.MODEL,
                                closed_loop=False, streams=True, notes=notes))
            if "R" in args.arms:
                arms.append(Arm("R", "Tollgate /v1/responses", server, path="/v1/responses", auth=f"Bearer {key}",
                                model=tollgate.MODEL, streams=True, notes=notes))
        except StartError as exc:
            for k in {"D", "E", "R"} & args.arms:
                skipped[k] = f"Tollgate did not start: {exc}"
    if "F" in args.arms:
        try:
            server = litellm.start_litellm(mock.url, log_dir)
            arms.append(Arm("F", f"LiteLLM proxy {litellm.version() or ''}".strip(), server,
                            auth=f"Bearer {litellm.MASTER_KEY}", model=litellm.MODEL, streams=True))
        except StartError as exc:
            skipped["F"] = f"LiteLLM proxy unavailable: {exc}"
    print(f"  started: {', '.join(a.key for a in arms) or 'none'}", flush=True)
    return arms, skipped


def check_arms(arms: list[Arm], bodies: dict, skipped: dict) -> list[Arm]:
    good = []
    for arm in arms:
        problem = smoke(arm, bodies[arm.key][0])  # E too: a plain request proves its server answers
        if problem:
            skipped[arm.key] = f"first request failed: {problem}"
            print(f"  skip {arm.key}: {skipped[arm.key]}", flush=True)
        else:
            good.append(arm)
    return good


def compare(args, log_dir: Path, mock: Server) -> dict:
    arms, skipped = start_arms(args, log_dir, mock)
    for key, why in skipped.items():
        print(f"  skip {key}: {why}", flush=True)
    bodies = {arm.key: write_bodies(arm, log_dir) for arm in arms}
    arms = check_arms(arms, bodies, skipped)
    for arm in arms:  # warm pools and caches before anything is recorded
        if arm.closed_loop:
            run_wrk(arm.url, bodies[arm.key][0], 10, 1, arm.auth)
    stream_count = 8 if args.quick else 15
    rounds: dict[str, list] = {arm.key: [] for arm in arms}
    for r in range(args.rounds):
        order = arms[r % len(arms):] + arms[:r % len(arms)] if arms else []
        for arm in order:
            t0 = time.monotonic()
            rounds[arm.key].append(one_round(arm, bodies[arm.key], args.seconds, (args.rate, args.rate_high), stream_count))
            print(f"  round {r + 1}/{args.rounds} arm {arm.key} ({time.monotonic() - t0:.0f}s)", flush=True)
    results = {}
    for arm in arms:
        results[arm.key] = {"label": arm.label, "notes": arm.notes, "pid_cpu": arm.server.cpu,
                            **fold(rounds[arm.key]), "raw_rounds": rounds[arm.key]}
    return {"arms": results, "skipped": skipped}


def hold_machine_lock(wait_s: float = 900):
    """One benchmark at a time on a machine: two runs share the pinned cores, and both would
    drop and recreate tollgate_bench and flush Redis db 11 under each other's servers."""
    lock = open("/tmp/tollgate-bench.lock", "a+")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SystemExit("another benchmark run still holds /tmp/tollgate-bench.lock; try later")
            print("waiting for another benchmark run on this machine to finish", flush=True)
            time.sleep(10)


def main(argv=None) -> int:
    args = parse_args(argv)
    _lock = hold_machine_lock()  # noqa: F841  (held until the process exits)
    pin_self_to_load_cpu()
    if os.cpu_count() and os.cpu_count() < 2:
        print("warning: fewer than 2 CPUs; gateway and load generator will share a core", flush=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_dir = RESULTS / f"logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run = {"started_at": stamp, "machine": report.machine(), "command": report.command(sys.argv[1:] if argv is None else argv),
           "settings": {"rounds": args.rounds, "seconds": args.seconds, "open_loop_rate": args.rate, "open_loop_rate_high": args.rate_high,
                        "gunicorn_flags": GUNICORN_GATEWAY_FLAGS, "mock_env": MOCK_ENV,
                        "stream_tokens": STREAM_TOKENS, "gateway_cpu": GATEWAY_CPU}}
    try:
        mock = start_mock(REPO, log_dir)
        print(f"mock upstream on {mock.url}; logs in {log_dir.relative_to(REPO)}", flush=True)
        if args.soak is not None:
            run["soak"] = soak.run_soak(args, log_dir, mock, start_arms, check_arms, write_bodies)
        else:
            run.update(compare(args, log_dir, mock))
    finally:
        stop_all()
        if args.arms & {"D", "E", "R"} or args.soak is not None:
            tollgate.drop_stores()
    run["elapsed_s"] = round(time.monotonic() - started, 1)
    run["derived"] = report.derive(run)
    out = RESULTS / f"{stamp}{'-soak' if args.soak else ''}.json"
    out.write_text(json.dumps(run, indent=2, default=str))
    text = report.markdown(run)
    print("\n" + text, flush=True)
    print(f"results: {out.relative_to(REPO)}", flush=True)
    if not args.no_docs:
        report.update_docs(REPO / "docs" / "performance.md", text, soak=args.soak is not None)
        print("docs/performance.md updated", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
