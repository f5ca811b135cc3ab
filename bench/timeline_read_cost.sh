#!/usr/bin/env bash
# Instructions per timeline read (balance at a date, GET transaction, a transactions page), old tallyd against new,
# counted by callgrind in one run (A B A B). The method: bench/timeline_read_cost.py's docstring. ~3 minutes.
# usage: bench/timeline_read_cost.sh OLD_TALLYD NEW_TALLYD [--txs N] [--requests R] [--port-base P]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
exec "$PY" "$ROOT/bench/timeline_read_cost.py" "$@"
