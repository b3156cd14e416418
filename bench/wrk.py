"""Closed-loop load with Debian's wrk: maximum throughput and latency at a fixed concurrency."""
import json
import os
import subprocess
from pathlib import Path

from .servers import LOAD_CPU

_SCRIPT = Path(__file__).with_name("post.lua")


def run_wrk(url: str, body_file: Path, connections: int, seconds: float, auth: str | None = None) -> dict:
    """One wrk run on the load core; returns counts, errors and latency percentiles in ms."""
    env = {**os.environ, "WRK_BODY_FILE": str(body_file), "WRK_AUTH": auth or ""}
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
           "--timeout", "10s", "-s", str(_SCRIPT), url]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish in time"}
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        return {"error": f"wrk failed: {(proc.stderr or proc.stdout).strip()[-300:]}"}
    raw = json.loads(line[8:])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    total = raw["requests"] + raw["connect"] + raw["write"]  # failed connects/writes never count as requests
    seconds_run = raw["duration_us"] / 1e6
    ok = max(raw["requests"] - raw["status"] - raw["read"] - raw["timeout"], 0)
    return {
        "connections": connections,
        "requests": raw["requests"],
        "ok": ok,
        "errors": errors,
        "non_2xx": raw["status"],
        "error_rate": errors / total if total else 1.0,
        "rps": raw["requests"] / seconds_run if seconds_run else 0.0,
        "ok_rps": ok / seconds_run if seconds_run else 0.0,
        "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
        "p999_ms": raw["p999_us"] / 1000, "max_ms": raw["max_us"] / 1000, "mean_ms": raw["mean_us"] / 1000,
    }
