#!/usr/bin/env bash
# What recording metrics costs: two tallyd processes in one run, one with --metrics on and one with --metrics off
# (each its own data directory and users), both up the whole time; each round measures PUT /v1/transaction and
# GET /v1/user/{id}/balance with wrk on both, in alternating order (on-off, off-on, ...), so drift on a busy
# machine hits both alike. Prints every round, then per workload the median and spread of on/off throughput and
# of tallyd CPU time per request (from /proc: steadier than throughput when other work shares the cores).
# --together measures both servers at the same time instead (two wrk at once): the same moment's noise hits
# both, and they share the cores, so the on/off ratio shows what recording costs in CPU under fair scheduling.
#
# usage: bench/metrics_cost.sh [--rounds N] [--duration SECONDS] [--users N] [--port-base P] [--together] [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PERF=${PERF_DIR:-$(cd "$ROOT/.." && pwd)/shared/perf}
[ -d "$PERF" ] || PERF=/work/shared/perf
ROUNDS=6
DUR=5
USERS=2000
PORT_BASE=18400
KEEP=0
TOGETHER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --users) USERS=$2; shift ;;
    --port-base) PORT_BASE=$2; shift ;;
    --keep) KEEP=1 ;;
    --together) TOGETHER=1 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 1 ;;
  esac
  shift
done
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
BOUND=$((DUR + 30))  # hard limit on any single measuring command
TMP=$(mktemp -d /tmp/tally-metrics-cost.XXXXXX)
PIDS=()
log() { echo "== $*" >&2; }

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then echo "raw outputs kept in $TMP" >&2; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt "$end" ]; do
    curl -s -o /dev/null -m 1 "$1" && return 0
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# CPU seconds (user + system) tallyd has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

log "building tallyd and tally-loadgen"
cd "$ROOT"
(test -d build || meson setup build --buildtype=release >/dev/null)
ninja -C build -j2 app/tallyd bench/tally-loadgen >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; exit 1; }
TALLYD=${BUILD_DIR:-$ROOT/build}/app/tallyd
LG=${BUILD_DIR:-$ROOT/build}/bench/tally-loadgen

declare -A PORT PID
PORT[on]=$((PORT_BASE + 1)); PORT[off]=$((PORT_BASE + 2))
for mode in on off; do
  if ss -ltnH "sport = :${PORT[$mode]}" | grep -q .; then echo "port ${PORT[$mode]} in use: --port-base" >&2; exit 1; fi
  mkdir -p "$TMP/data-$mode"
  "$TALLYD" --bind 127.0.0.1 --port "${PORT[$mode]}" --data-dir "$TMP/data-$mode" --threads 2 \
    --metrics "$mode" --log-level warn >"$TMP/tallyd-$mode.log" 2>&1 &
  PID[$mode]=$!
  PIDS+=($!)
done
for mode in on off; do
  wait_http "http://127.0.0.1:${PORT[$mode]}/healthz" 30
  log "set-up ($mode): $USERS funded users"
  timeout 300 "$LG" --url "http://127.0.0.1:${PORT[$mode]}" --setup-users "$USERS" --setup-only \
    --save-ids "$TMP/ids-$mode" >"$TMP/setup-$mode.log" 2>&1
done
# The switch really is what differs: on serves /metrics, off refuses it.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[on]}/metrics")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[off]}/metrics")" = 404 ]

RES=$TMP/results.tsv
: >"$RES"
measure() {  # measure ROUND MODE WORKLOAD
  local round=$1 mode=$2 workload=$3 script out before after
  script=$PERF/wrk-balance.lua; [ "$workload" = PUT ] && script=$PERF/wrk-tx.lua
  out=$TMP/$round-$mode-$workload.wrk.txt
  before=$(cpu_seconds "${PID[$mode]}")
  timeout "$BOUND" wrk -t1 -c64 -d"${DUR}s" -s "$script" "http://127.0.0.1:${PORT[$mode]}" -- "$TMP/ids-$mode" \
    >"$out" 2>&1 || true
  after=$(cpu_seconds "${PID[$mode]}")
  kill -0 "${PID[$mode]}" || { echo "tallyd ($mode) died" >&2; tail "$TMP/tallyd-$mode.log" >&2; exit 1; }
  local rps non2xx
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$out")
  [ -n "$rps" ] || { echo "wrk gave no figure:" >&2; cat "$out" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$workload" "$mode" "$rps" "$(awk -v a="$after" -v b="$before" \
    'BEGIN { print a - b }')" "${non2xx:-0}" >>"$RES"
  log "round $round $workload metrics=$mode: $rps req/s"
}

for round in $(seq 1 "$ROUNDS"); do
  order="on off"; [ $((round % 2)) -eq 0 ] && order="off on"
  for workload in PUT GET; do
    if [ "$TOGETHER" = 1 ]; then
      jobs_now=()
      for mode in $order; do measure "$round" "$mode" "$workload" & jobs_now+=($!); done
      for job in "${jobs_now[@]}"; do wait "$job" || exit 1; done  # not a bare wait: the servers are children too
    else
      for mode in $order; do measure "$round" "$mode" "$workload"; done
    fi
  done
done

"$PY" - "$RES" "$DUR" "$([ "$TOGETHER" = 1 ] && echo "on and off measured at the same time" || echo "on and off measured one after the other, alternating")" <<'EOF'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
duration = float(sys.argv[2])
by = {}
for rnd, workload, mode, rps, cpu, non2xx in rows:
    by.setdefault((workload, int(rnd)), {})[mode] = (float(rps), float(cpu), int(non2xx))
print("| round | workload | on req/s | off req/s | on/off | on CPU us/req | off CPU us/req | on/off CPU |")
print("|---|---|---|---|---|---|---|---|")
summary = {}
for (workload, rnd), m in sorted(by.items()):
    on, off = m["on"], m["off"]
    cpu_on = on[1] / (on[0] * duration) * 1e6
    cpu_off = off[1] / (off[0] * duration) * 1e6
    s = summary.setdefault(workload, {"rps": [], "cpu": []})
    s["rps"].append(on[0] / off[0])
    s["cpu"].append(cpu_on / cpu_off)
    print(f"| {rnd} | {workload} | {on[0]:.0f} | {off[0]:.0f} | {on[0] / off[0]:.3f} | {cpu_on:.1f} | {cpu_off:.1f} "
          f"| {cpu_on / cpu_off:.3f} |")
print()
print("| workload | rounds | throughput on/off: median (min..max) | cost | CPU per request on/off: median (min..max) |")
print("|---|---|---|---|---|")
for workload, s in sorted(summary.items()):
    r, c = s["rps"], s["cpu"]
    print(f"| {workload} | {len(r)} | {statistics.median(r):.3f} ({min(r):.3f}..{max(r):.3f}) "
          f"| {(1 - statistics.median(r)) * 100:+.1f}% | {statistics.median(c):.3f} ({min(c):.3f}..{max(c):.3f}) |")
print()
print("cost = 1 - median(on/off throughput); a negative cost is noise. wrk -t1 -c64, tallyd --threads 2, one run on "
      "this machine (shared with other work: read the spread); " + sys.argv[3] + ".")
EOF
