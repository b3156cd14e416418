"""Turn a run into derived figures (added latency, ratios, targets) and Markdown."""
import datetime as dt
import os
import platform
import shlex
import subprocess
from pathlib import Path

from .arms.mock import STREAM_TOKENS

REPO = Path(__file__).resolve().parent.parent
MARKERS = {False: ("<!-- bench:latest:start -->", "<!-- bench:latest:end -->"),
           True: ("<!-- bench:soak:start -->", "<!-- bench:soak:end -->"),
           "correctness": ("<!-- bench:correctness:start -->", "<!-- bench:correctness:end -->")}


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (subprocess.SubprocessError, OSError):
        commit, dirty = "unknown", False
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    # Other work on the machine skews every arm; the load average at the start says how much.
    return {"nproc": os.cpu_count(), "loadavg_at_start": " ".join(load), "cpu_model": model, "kernel": platform.release(),
            "python": platform.python_version(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit + ("+dirty" if dirty else "")}


def command(argv: list[str]) -> str:
    """The exact invocation, so the docs say how to get these figures again."""
    return shlex.join(["bash", "bench/run.sh", *[a for a in argv if a != "--no-docs"]])


def _get(d: dict, *path):
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _sub(a, b):
    return None if a is None or b is None else a - b


def _div(a, b):
    return None if a is None or not b else a / b


def derive(run: dict) -> dict:
    arms = run.get("arms") or {}
    base = arms.get("A", {})
    out: dict = {"arms": {}}
    for key, arm in arms.items():
        c50, c1, opn = arm.get("c50", {}), arm.get("c1", {}), arm.get("open", {})
        # Latency of failed requests (a fast 401 or 429) says nothing about the path: drop it.
        if (c1.get("error_rate") or 0) >= 0.001:
            c1 = {}
        if (opn.get("error_rate") or 0) >= 0.001:
            opn = {}
        s1, s10 = arm.get("stream_c1", {}), arm.get("stream_c10", {})
        d = {
            "max_rps": c50.get("ok_rps"), "max_rps_error_rate": c50.get("error_rate"),
            "max_rps_connections": c50.get("connections"),
            "c1_p50_ms": c1.get("p50_ms"), "c1_p99_ms": c1.get("p99_ms"),
            "c50_p50_ms": c50.get("p50_ms"), "c50_p99_ms": c50.get("p99_ms"),
            "open_p50_ms": opn.get("service_p50_ms"), "open_p99_ms": opn.get("service_p99_ms"),
            "open_due_p99_ms": opn.get("p99_ms"), "open_error_rate": opn.get("error_rate"),
            "open_hi_p50_ms": _get(arm, "open_hi", "service_p50_ms"),
            "open_hi_p99_ms": _get(arm, "open_hi", "service_p99_ms"),
            "added_c1_p50_ms": _sub(c1.get("p50_ms"), _get(base, "c1", "p50_ms")),
            "added_c1_p99_ms": _sub(c1.get("p99_ms"), _get(base, "c1", "p99_ms")),
            "added_open_p50_ms": _sub(opn.get("service_p50_ms"), _get(base, "open", "service_p50_ms")),
            "added_open_p99_ms": _sub(opn.get("service_p99_ms"), _get(base, "open", "service_p99_ms")),
            "cpu_ms_per_req": c50.get("cpu_ms_per_req"),
            "settler_cpu_ms_per_req": c50.get("settler_cpu_ms_per_req"),
            "peak_rss_mb": _div(_get(arm, "memory", "hwm_kb"), 1024),
        }
        if s1:
            d.update({
                "ttft_p50_ms": s1.get("ttft_p50_ms"), "ttft_p99_ms": s1.get("ttft_p99_ms"),
                "gap_p50_ms": s1.get("gap_p50_ms"), "gap_p99_ms": s1.get("gap_p99_ms"),
                "added_ttft_p50_ms": _sub(s1.get("ttft_p50_ms"), _get(base, "stream_c1", "ttft_p50_ms")),
                "added_gap_p50_ms": _sub(s1.get("gap_p50_ms"), _get(base, "stream_c1", "gap_p50_ms")),
                "added_gap_p99_ms": _sub(s1.get("gap_p99_ms"), _get(base, "stream_c1", "gap_p99_ms")),
                "c10_ttft_p50_ms": s10.get("ttft_p50_ms"), "c10_gap_p99_ms": s10.get("gap_p99_ms"),
                "tokens_in": STREAM_TOKENS,
                "tokens_out": [s1.get("tokens_min"), s1.get("tokens_max")],
                "events_out": [s1.get("events_min"), s1.get("events_max")],
                "stream_errors": (s1.get("errors") or 0) + (s10.get("errors") or 0),
            })
            d["chunks_equal"] = (s1.get("tokens_min") == s1.get("tokens_max") == STREAM_TOKENS
                                 and s10.get("tokens_min") == s10.get("tokens_max") == STREAM_TOKENS
                                 and (s1.get("ok") or 0) > 0)
        out["arms"][key] = d
    rps = {k: v.get("max_rps") for k, v in out["arms"].items()}
    # B never calls the mock, so only the proxying arms say whether the mock held them back.
    proxied_rps = [v for k, v in rps.items() if k in ("C", "D", "F") and v]
    out["ratios"] = {
        "D/B": _div(rps.get("D"), rps.get("B")), "D/C": _div(rps.get("D"), rps.get("C")),
        "D/F": _div(rps.get("D"), rps.get("F")), "R/D": _div(rps.get("R"), rps.get("D")),
        "R_minus_E_ttft_p50_ms": _sub(_get(out, "arms", "R", "ttft_p50_ms"), _get(out, "arms", "E", "ttft_p50_ms")),
        "E_added_ttft_p50_ms": _get(out, "arms", "E", "added_ttft_p50_ms"),
        "E/A_ttft_p50": _div(_get(out, "arms", "E", "ttft_p50_ms"), _get(out, "arms", "A", "ttft_p50_ms")),
        "mock_headroom": _div(rps.get("A"), max(proxied_rps)) if proxied_rps else None,
    }
    out["targets"] = targets(out)
    return out


def targets(derived: dict) -> list[dict]:
    d, e = derived["arms"].get("D", {}), derived["arms"].get("E", {})
    r = derived["ratios"]
    rows = [
        ("added latency c=1 p50 <= 1.5 ms", d.get("added_c1_p50_ms"), lambda v: v <= 1.5),
        ("added latency c=1 p99 <= 5 ms", d.get("added_c1_p99_ms"), lambda v: v <= 5),
        ("max RPS D >= 5x F", r.get("D/F"), lambda v: v >= 5),
        ("max RPS D/C >= 0.6", r.get("D/C"), lambda v: v >= 0.6),
        ("streaming added TTFT <= 3 ms", e.get("added_ttft_p50_ms"), lambda v: v <= 3),
        ("streaming added gap p99 <= 1 ms", e.get("added_gap_p99_ms"), lambda v: v <= 1),
        ("streaming never buffered (chunks out == in)", e.get("chunks_equal"), lambda v: v is True),
        ("/v1/responses max RPS R/D >= 0.95", r.get("R/D"), lambda v: v >= 0.95),
        ("/v1/responses streams never buffered", derived["arms"].get("R", {}).get("chunks_equal"),
         lambda v: v is True),
        ("peak RSS per worker < 150 MB", d.get("peak_rss_mb"), lambda v: v < 150),
    ]
    out = []
    for name, value, ok in rows:
        out.append({"target": name, "value": value, "met": None if value is None else bool(ok(value))})
    return out


def _f(v, digits=2) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, (list, tuple)):
        return "/".join(_f(x, 0) for x in v)
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(run: dict) -> str:
    if "soak" in run:
        return _soak_markdown(run)
    m, der, s = run["machine"], run["derived"], run["settings"]
    lines = [f"Run of {m['date']} at commit `{m['commit']}` on {m['nproc']} x {m['cpu_model']} "
             f"(Linux {m['kernel']}, Python {m['python']}, load average {m.get('loadavg_at_start', '?')} at start): {s['rounds']} interleaved rounds of {s['seconds']:g} s "
             f"runs, {run.get('elapsed_s', '?')} s in all.",
             "", f"Reproduce: `{run['command']}`", "",
             f"| arm | max RPS (errors) | c=1 p50 / p99 ms | c=50 p50 / p99 ms | open {s['open_loop_rate']:g}/s p50 / p99 ms "
             f"| open {s.get('open_loop_rate_high', 0):g}/s p50 / p99 ms "
             "| added c=1 p50 / p99 ms | CPU ms/req | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(run.get("arms", {})):
        d, label = der["arms"][key], run["arms"][key]["label"]
        if "c50" not in run["arms"][key]:
            continue  # E only streams
        err = d.get("max_rps_error_rate")
        if d.get("max_rps") is None or (err or 0) >= 0.001:
            lines.append(f"| {key} {label} | failed: {_f(err * 100 if err is not None else None)}% errors, "
                         "see the JSON | | | | | | | |")
            continue
        conn = d.get("max_rps_connections")
        lines.append(
            f"| {key} {label} | {_f(d['max_rps'], 0)} ({_f(err * 100 if err is not None else None, 2)}%"
            f"{'' if conn == 50 else f', c={conn}'}) "
            f"| {_f(d['c1_p50_ms'])} / {_f(d['c1_p99_ms'])} | {_f(d['c50_p50_ms'], 1)} / {_f(d['c50_p99_ms'], 1)} "
            f"| {_f(d['open_p50_ms'])} / {_f(d['open_p99_ms'])} "
            f"| {_f(d['open_hi_p50_ms'])} / {_f(d['open_hi_p99_ms'])} "
            f"| {'-' if key == 'A' else _f(d['added_c1_p50_ms']) + ' / ' + _f(d['added_c1_p99_ms'])} "
            f"| {_f(d['cpu_ms_per_req'])} | {_f(d['peak_rss_mb'], 0)} |")
    lines += ["", f"Streaming, {STREAM_TOKENS} chunks paced 2 ms apart by the mock (c=1; last column c=10):", "",
              "| arm | TTFT p50 / p99 ms | added TTFT p50 ms | gap p50 / p99 ms | added gap p99 ms "
              "| tokens out (in 64) | chunks out == in | c=10 TTFT p50 ms |",
              "|---|---|---|---|---|---|---|---|"]
    for key in sorted(run.get("arms", {})):
        d, label = der["arms"][key], run["arms"][key]["label"]
        if "ttft_p50_ms" not in d:
            continue
        lines.append(
            f"| {key} {label} | {_f(d['ttft_p50_ms'])} / {_f(d['ttft_p99_ms'])} "
            f"| {'-' if key == 'A' else _f(d['added_ttft_p50_ms'])} | {_f(d['gap_p50_ms'])} / {_f(d['gap_p99_ms'])} "
            f"| {'-' if key == 'A' else _f(d['added_gap_p99_ms'])} | {_f(d['tokens_out'])} "
            f"| {_f(d['chunks_equal'])} | {_f(d['c10_ttft_p50_ms'])} |")
    r = der["ratios"]
    lines += ["", f"Ratios of max RPS: D/B {_f(r['D/B'])}, D/C {_f(r['D/C'])}, D/F {_f(r['D/F'])}, "
              f"R/D {_f(r.get('R/D'))} (R's time to first token minus E's: {_f(r.get('R_minus_E_ttft_p50_ms'))} ms p50); "
              f"E vs A time to first token: +{_f(r['E_added_ttft_p50_ms'])} ms p50 (x{_f(r['E/A_ttft_p50'])}). "
              f"Mock headroom (A max RPS / fastest proxying arm): x{_f(r['mock_headroom'], 1)}."
              + (f" D's usage settler, on the load core, used {_f(der['arms']['D']['settler_cpu_ms_per_req'])} "
                 "CPU ms per request besides the gateway's."
                 if der["arms"].get("D", {}).get("settler_cpu_ms_per_req") is not None else ""), "",
              "| target | measured | met |", "|---|---|---|"]
    for t in der["targets"]:
        lines.append(f"| {t['target']} | {_f(t['value'])} | {_f(t['met']) if t['met'] is not None else 'not run'} |")
    skipped = run.get("skipped") or {}
    notes = {k: a.get("notes") for k, a in run.get("arms", {}).items() if a.get("notes")}
    if skipped or notes:
        lines.append("")
        for key, why in sorted(skipped.items()):
            lines.append(f"- {key} skipped: {why}")
        for key, ns in sorted(notes.items()):
            lines.append(f"- {key} note: {'; '.join(ns)}")
    return "\n".join(lines)


def _soak_markdown(run: dict) -> str:
    m, s = run["machine"], run["soak"]
    if "error" in s:
        return f"Soak of {m['date']} at `{m['commit']}` did not run: {s['error']}"
    lines = [f"Soak of {m['date']} at commit `{m['commit']}` on {m['nproc']} x {m['cpu_model']}: arm {s['arm']} "
             f"({s['label']}) under {s['rate']:g} req/s open loop for {s['seconds']:g} s.", "",
             f"Reproduce: `{run['command']}`", "",
             f"Worker RSS: {_f(s['rss_first_mb'], 1)} MB at the first sample, {_f(s['rss_last_mb'], 1)} MB at the last, "
             f"peak {_f(s['peak_mb'], 1)} MB; growth {_f(s['growth_pct'], 1)}% (target: under 10%). "
             f"Load: {s['load'].get('ok', 'n/a')} ok, error rate {_f(s['load'].get('error_rate'), 4)}, "
             f"p50 / p99 {_f(s['load'].get('service_p50_ms'))} / {_f(s['load'].get('service_p99_ms'))} ms.", "",
             "Samples (s: MB): " + ", ".join(f"{t:g}: {mb:.1f}" for t, mb in s["samples"])]
    return "\n".join(lines)


def update_docs(path: Path, text: str, soak: bool) -> None:
    start, end = MARKERS[soak]
    block = f"{start}\n{text}\n{end}"
    doc = path.read_text() if path.exists() else "# Performance\n"
    if start in doc and end in doc:
        head, rest = doc.split(start, 1)
        doc = head + block + rest.split(end, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(doc)
