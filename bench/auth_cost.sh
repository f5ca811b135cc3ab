#!/usr/bin/env bash
# The cost of API keys (issue 12), one command that prints the table for README.md's "API keys" section:
# tallyd open vs keyed (and open vs open, the control) on GET and PUT, by instructions per request (callgrind) and
# by CPU time per request (open-loop load), alternating in one run. The method: bench/auth_cost.py's docstring and
# bench/README.md. About 3.5 minutes with the defaults.
#
# usage: bench/auth_cost.sh [--rounds N] [--duration S] [--load-share F] [--callgrind-rounds N] [--no-callgrind]
#                           [--no-cpu] [--port-base P]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
exec "$PY" "$ROOT/bench/auth_cost.py" "$@"
