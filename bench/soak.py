"""Soak mode: hold open-loop load on one arm and sample its worker's RSS every 10 s.

A leak shows as steady growth long after the first minute's warm-up, so growth is
measured from the first sample (taken after a short warm-up) to the last.
"""
import json
import subprocess
import sys
import time

from .measure import open_loop
from .servers import LOAD_CPU

SAMPLE_EVERY = 10.0


def run_soak(args, log_dir, mock, start_arms, check_arms, write_bodies) -> dict:
    wanted = (args.soak_arm or "D").upper()
    args.arms = {wanted} if wanted != "D" else {"D", "C"}  # C stands in when Tollgate cannot start
    arms, skipped = start_arms(args, log_dir, mock)
    bodies = {arm.key: write_bodies(arm, log_dir) for arm in arms}
    arms = [a for a in check_arms(arms, bodies, skipped) if a.closed_loop]
    arm = next((a for a in arms if a.key == wanted), arms[0] if arms else None)
    if arm is None:
        return {"error": "no arm could be started", "skipped": skipped}
    body = bodies[arm.key][0]
    open_loop(arm, body, args.rate, 5)  # warm-up, not sampled
    cmd = ["taskset", "-c", LOAD_CPU, sys.executable, "-m", "bench.loadgen", "--url", arm.url, "--body-file",
           str(body), "--rate", str(args.rate), "--seconds", str(args.soak)]
    if arm.auth:
        cmd += ["--auth", arm.auth]
    started = time.monotonic()
    load = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    try:
        while load.poll() is None and time.monotonic() - started < args.soak + 60:
            elapsed = time.monotonic() - started
            samples.append((round(elapsed), arm.server.memory_kb()["rss_kb"] / 1024))
            print(f"  soak {elapsed:.0f}s rss {samples[-1][1]:.1f} MB", flush=True)
            time.sleep(SAMPLE_EVERY)
        out, err = load.communicate(timeout=90)
    finally:
        if load.poll() is None:
            load.kill()
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"error": err.strip()[-300:]}
    if not samples:
        return {"error": "the load generator ended before the first sample", "load": result}
    first, last = samples[0][1], samples[-1][1]
    return {"arm": arm.key, "label": arm.label, "rate": args.rate, "seconds": args.soak, "samples": samples,
            "rss_first_mb": first, "rss_last_mb": last,
            "peak_mb": max(arm.server.memory_kb()["hwm_kb"] / 1024, max(mb for _, mb in samples)),
            "growth_pct": (last - first) / first * 100 if first else None, "load": result, "skipped": skipped}
