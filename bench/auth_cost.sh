#!/usr/bin/env bash
# The cost of API keys (issue 12): GET /v1/user/{id} and PUT /v1/transaction throughput of tallyd without and with
# --auth-file, in ONE run on this machine. Two tallyd run side by side (one open, one with a key file); rounds
# alternate open/keyed for each workload, so drift in the machine's load hits both alike. Reports per round and
# the median and spread (min..max) of the keyed/open ratio of requests/s and of CPU time per request (tallyd's
# utime+stime from /proc, which the other tenants of a shared machine disturb less than wall-clock throughput).
#
# usage: bench/auth_cost.sh [--rounds N] [--duration SECONDS] [--connections C] [--port-base P]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=5
DUR=5
CONNS=32
PORT_BASE=18300
USERS=100
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --port-base) PORT_BASE=$2; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 1 ;;
  esac
  shift
done
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
TALLYD=$BUILD_DIR/app/tallyd
ADMIN=$BUILD_DIR/recovery/tally-admin
OPEN_PORT=$((PORT_BASE + 1)); KEYED_PORT=$((PORT_BASE + 2))
BOUND=$((DUR + 30))
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
[ -x "$TALLYD" ] && [ -x "$ADMIN" ] || { echo "build first: ninja -C build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: bash scripts/install-deps.sh --test" >&2; exit 1; }

TMP=$(mktemp -d /tmp/tally-auth-bench.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ $rc -eq 0 ] && rm -rf "$TMP" || echo "raw outputs kept in $TMP" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "== $*" >&2; }

for port in $OPEN_PORT $KEYED_PORT; do
  ! ss -ltnH "sport = :$port" | grep -q . || { echo "port $port is in use; pick another --port-base" >&2; exit 1; }
done

KEY_OUT=$("$ADMIN" new-key bench read,write)
SECRET=$(sed -n 's/^secret: //p' <<<"$KEY_OUT")
sed -n 's/^entry: //p' <<<"$KEY_OUT" > "$TMP/keys"

start() {  # start NAME PORT [args...]
  local name=$1 port=$2; shift 2
  "$TALLYD" --bind 127.0.0.1 --port "$port" --data-dir "$TMP/$name-data" --threads 2 "$@" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  echo $! > "$TMP/$name.pid"
  for _ in $(seq 1 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/healthz" && return 0; sleep 0.1; done
  echo "$name did not start" >&2; tail -20 "$TMP/$name.log" >&2; exit 1
}
start open "$OPEN_PORT"
start keyed "$KEYED_PORT" --auth-file "$TMP/keys"

log "creating $USERS users on each server"
for name in open keyed; do
  port=$([ $name = open ] && echo $OPEN_PORT || echo $KEYED_PORT)
  : > "$TMP/$name.ids"
  for _ in $(seq 1 "$USERS"); do
    curl -s -m 5 -X POST -H "Authorization: Bearer $SECRET" -H "Content-Type: application/json" \
      -d '{"name":"bench"}' "http://127.0.0.1:$port/v1/user" |
      $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])' >> "$TMP/$name.ids"
  done
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$TMP/$1.pid")/stat"; }

# measure ROUND WORKLOAD NAME: one wrk run; appends "workload name round rps cpu_us_per_request non200"
measure() {
  local round=$1 workload=$2 name=$3 port secret_arg=()
  port=$([ "$name" = open ] && echo $OPEN_PORT || echo $KEYED_PORT)
  [ "$name" = keyed ] && secret_arg=("$SECRET")
  local before after out=$TMP/wrk-$workload-$name-$round.txt
  before=$(cpu_ticks "$name")
  perf stat -x, -e instructions -p "$(cat "$TMP/$name.pid")" -o "$TMP/perf-$workload-$name-$round.txt" -- \
    sleep "$DUR" 2>/dev/null &
  local perf_pid=$!
  timeout "$BOUND" wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$ROOT/bench/wrk-auth.lua" "http://127.0.0.1:$port" -- \
    "$workload" "$TMP/$name.ids" "${secret_arg[@]}" >"$out" 2>&1 || true
  after=$(cpu_ticks "$name")
  wait "$perf_pid" 2>/dev/null || true
  local rps requests bad instructions
  # instructions per request, where perf can count them (not in a VM without a PMU: then "n/a")
  instructions=$(awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ {print $1}' "$TMP/perf-$workload-$name-$round.txt" 2>/dev/null)
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  requests=$(awk '/requests in/ {print $1}' "$out")
  bad=$(awk '/^non-200 answers:/ {print $3}' "$out")
  [ -n "$rps" ] && [ -n "$requests" ] || { echo "wrk failed:" >&2; cat "$out" >&2; exit 1; }
  local tick_us=$((1000000 / $(getconf CLK_TCK)))
  [ -n "$instructions" ] && instructions=$((instructions / requests)) || instructions=n/a
  echo "$workload $name $round $rps $(( (after - before) * tick_us * 1000 / requests )) ${bad:-?} $instructions" >> "$TMP/results"
  log "round $round $workload $name: $rps req/s, non-200 ${bad:-?}"
}

: > "$TMP/results"
for round in $(seq 1 "$ROUNDS"); do
  for workload in get put; do
    # Alternate which goes first, so neither always runs right after the other's load.
    if [ $((round % 2)) -eq 1 ]; then order="open keyed"; else order="keyed open"; fi
    for name in $order; do measure "$round" "$workload" "$name"; done
  done
done

$PY - "$TMP/results" "$DUR" "$CONNS" "$ROUNDS" <<'PYEOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
dur, conns, rounds = sys.argv[2], sys.argv[3], sys.argv[4]
print(f"# API key cost: {rounds} alternating rounds of {dur}s, wrk -t1 -c{conns}, tallyd --threads 2 (two servers, "
      "one open, one with --auth-file). Shared machine: other work runs meanwhile; read the spread.")
print()
print("| workload | round | open req/s | keyed req/s | keyed/open | open CPU ns/req | keyed CPU ns/req | non-200 "
      "| instructions/req open, keyed |")
print("|---|---|---|---|---|---|---|---|---|")
summary = {}
for workload in ("get", "put"):
    for r in range(1, int(rounds) + 1):
        o = next(x for x in rows if x[0] == workload and x[1] == "open" and x[2] == str(r))
        k = next(x for x in rows if x[0] == workload and x[1] == "keyed" and x[2] == str(r))
        ratio = float(k[3]) / float(o[3])
        cpu = float(k[4]) / float(o[4]) if float(o[4]) > 0 else float("nan")
        summary.setdefault(workload, []).append((ratio, cpu))
        print(f"| {workload} | {r} | {float(o[3]):.0f} | {float(k[3]):.0f} | {ratio:.3f} | {o[4]} | {k[4]} | {o[5]}/{k[5]} | {o[6]}, {k[6]} |")
print()
print("| workload | keyed/open req/s: median (min..max) | keyed/open CPU per request: median (min..max) |")
print("|---|---|---|")
for workload, pairs in summary.items():
    rs = [p[0] for p in pairs]; cs = [p[1] for p in pairs]
    print(f"| {'GET /v1/user/{id}' if workload == 'get' else 'PUT /v1/transaction'} | "
          f"{statistics.median(rs):.3f} ({min(rs):.3f}..{max(rs):.3f}) | "
          f"{statistics.median(cs):.3f} ({min(cs):.3f}..{max(cs):.3f}) |")
PYEOF
