"""One round of measurements against one arm, and how rounds are folded together."""
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .servers import LOAD_CPU, Server
from .wrk import run_wrk

MAX_ERROR_RATE = 0.001  # "max RPS" only counts runs with fewer than 0.1% errors


@dataclass
class Arm:
    key: str  # A..F, R
    label: str
    server: Server
    path: str = "/v1/chat/completions"
    auth: str | None = None
    model: str = "gpt-5.4"
    closed_loop: bool = True  # E shares D's server and only streams
    streams: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url + self.path


def write_bodies(arm: Arm, work: Path) -> tuple[Path, Path]:
    text = "Say hello to the benchmark in a few words."
    if arm.path == "/v1/responses":
        body = {"model": arm.model, "input": text}
    else:
        body = {"model": arm.model, "messages": [{"role": "user", "content": text}]}
    plain = work / f"body-{arm.key}.json"
    stream = work / f"stream-{arm.key}.json"
    plain.write_text(json.dumps(body))
    stream.write_text(json.dumps({**body, "stream": True}))
    return plain, stream


def _python_tool(module: str, args: list[str], timeout: float) -> dict:
    cmd = ["taskset", "-c", LOAD_CPU, sys.executable, "-m", module, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=str(Path(__file__).resolve().parent.parent))
    except subprocess.TimeoutExpired:
        return {"error": f"{module} did not finish in {timeout:.0f}s"}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"{module} failed: {proc.stderr.strip()[-300:]}"}


def open_loop(arm: Arm, body: Path, rate: float, seconds: float) -> dict:
    args = ["--url", arm.url, "--body-file", str(body), "--rate", str(rate), "--seconds", str(seconds)]
    if arm.auth:
        args += ["--auth", arm.auth]
    return _python_tool("bench.loadgen", args, timeout=seconds + 60)


def streams(arm: Arm, body: Path, count: int, concurrency: int) -> dict:
    args = ["--url", arm.url, "--body-file", str(body), "--streams", str(count), "--concurrency", str(concurrency)]
    if arm.auth:
        args += ["--auth", arm.auth]
    return _python_tool("bench.sse_client", args, timeout=120)


def throughput(arm: Arm, body: Path, seconds: float) -> dict:
    """Closed loop at 50 connections; step down if errors pass 0.1%. Also CPU per request."""
    result = {}
    settler = getattr(arm.server, "settler", None)  # Tollgate's usage writer, on the other core
    for connections in (50, 10):
        before = arm.server.cpu_seconds()
        settler_before = settler.cpu_seconds() if settler else 0.0
        result = run_wrk(arm.url, body, connections, seconds, arm.auth)
        spent = arm.server.cpu_seconds() - before
        if "error" in result:
            return result
        result["cpu_ms_per_req"] = spent * 1000 / result["requests"] if result["requests"] else None
        if settler and result["requests"]:
            result["settler_cpu_ms_per_req"] = (settler.cpu_seconds() - settler_before) * 1000 / result["requests"]
        if result["error_rate"] < MAX_ERROR_RATE:
            break
    return result


def one_round(arm: Arm, bodies: tuple[Path, Path], seconds: float, rates: tuple[float, float],
              stream_count: int) -> dict:
    """rates: a low one every arm can serve, and a high one run only where it stays under 70%
    of the arm's measured maximum (past that, open-loop latency is just queue growth)."""
    plain, stream_body = bodies
    out: dict = {}
    if arm.closed_loop:
        out["c1"] = run_wrk(arm.url, plain, 1, seconds, arm.auth)
        out["c50"] = throughput(arm, plain, seconds)
        out["open"] = open_loop(arm, plain, rates[0], seconds)
        if rates[1] <= 0.7 * (out["c50"].get("ok_rps") or 0):
            out["open_hi"] = open_loop(arm, plain, rates[1], seconds)
    if arm.streams:
        out["stream_c1"] = streams(arm, stream_body, stream_count, 1)
        out["stream_c10"] = streams(arm, stream_body, stream_count * 2, 10)
    out["memory"] = arm.server.memory_kb()
    return out


def fold(rounds: list[dict]) -> dict:
    """Median of each figure across rounds (min/max counts keep their extreme)."""
    if not rounds:
        return {}
    out: dict = {}
    for key in rounds[0]:
        parts = [r[key] for r in rounds if isinstance(r.get(key), dict)]
        if not parts:
            continue
        merged: dict = {}
        for name in parts[0]:
            values = [p[name] for p in parts if isinstance(p.get(name), (int, float)) and p.get(name) is not None]
            if name.endswith("_min"):
                merged[name] = min(values) if values else None
            elif name.endswith("_max") or name in ("hwm_kb", "errors"):
                merged[name] = max(values) if values else None
            elif values:
                merged[name] = statistics.median(values)
            else:
                merged[name] = parts[-1].get(name)
        merged["rounds"] = len(parts)
        out[key] = merged
    return out
