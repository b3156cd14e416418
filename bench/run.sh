#!/usr/bin/env bash
# Tollgate benchmark: every arm side by side on this machine, loopback only.
#   bash bench/run.sh            full run (3 interleaved rounds, under 10 minutes)
#   bash bench/run.sh --quick    about 2 minutes
#   bash bench/run.sh --soak 600 RSS of the gateway worker under load for 10 minutes
# Needs: wrk and taskset (apt-get install -y wrk util-linux), PostgreSQL and Redis on
# 127.0.0.1, the project venv in .venv. LiteLLM is installed into bench/.litellm-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "wrk is missing: apt-get install -y wrk" >&2
  exit 2
fi
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
# Hard ceiling so a wedged server can never keep the run going; the Python side
# stops every server it started on exit, including on this timeout's SIGTERM.
exec timeout --signal=TERM --kill-after=30 7800 "$PY" -m bench.run "$@"
