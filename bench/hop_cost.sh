#!/usr/bin/env bash
# tallyd's CPU and context switches per request on the paths that cross the actor hop (balance at a date, the
# durable single PUT), same-run A/B: sets up N users once, then for each round starts each given tallyd binary on
# a copy of that data and runs the same bounded loads (closed loop, 64 connections; and the PUT open loop at a
# fixed rate, so every binary gets the same group-commit sizes). Figures come from the process's own counters
# (/proc: utime+stime, voluntary+involuntary switches of all its threads) over the load, divided by the answers.
# On a shared machine compare the binaries within a round, never across rounds; the load average is printed.
#
# usage: bench/hop_cost.sh [--users N] [--duration S] [--rounds K] [--rate PUT_PER_S] [--port P]
#                          [--workloads "balance-at-date tx tx@RATE"] BIN [BIN...]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=10000; DUR=6; ROUNDS=3; RATE=10000; PORT=18700
WORKLOADS="balance-at-date tx tx@rate"
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --port) PORT=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || { echo "give at least one tallyd binary" >&2; exit 1; }
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }

AB_NAME=hop-cost
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"

setup_users 300 -- --save-uids "$TMP/uids"

TCK=$(getconf CLK_TCK)
echo "| round | workload | binary | req/s | answers | CPU µs/req | switches/req | p99 ms | load |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
for round in $(seq 1 "$ROUNDS"); do
  for workload in $WORKLOADS; do
    for bin in "${BINS[@]}"; do
      rm -rf "$TMP/run"; cp -r "$TMP/data" "$TMP/run"
      start "$bin" "$TMP/run"
      args=(--workload "${workload%@rate}" --connections 64 --threads 1)
      [ "$workload" != "${workload%@rate}" ] && args+=(--rate "$RATE")
      # Every user's actor spawned and warm before the counted run (a read spawns it).
      timeout 60 "$LG" --url "http://127.0.0.1:$PORT" --workload balance-at-date --duration 1s \
        --load-ids "$TMP/ids" >/dev/null 2>&1 || true
      c0=$(cpu_ticks); s0=$(switches)
      timeout $((DUR + 60)) "$LG" --url "http://127.0.0.1:$PORT" "${args[@]}" --duration "${DUR}s" \
        --load-ids "$TMP/ids" --load-uids "$TMP/uids" --json "$TMP/lg.json" >/dev/null 2>&1 || true
      c1=$(cpu_ticks); s1=$(switches)
      stop
      /usr/bin/python3 - "$round" "$workload" "$bin" "$c0" "$c1" "$s0" "$s1" "$TCK" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" "$TMP/lg.json" <<'PY'
import json, sys
rnd, workload, binary, c0, c1, s0, s1, tck, load, path = sys.argv[1:]
j = json.load(open(path))
answers = max(sum(j["status"][k] for k in ("2xx", "402", "other_4xx", "5xx")), 1)
cpu = (float(c1) - float(c0)) / float(tck)
print(f"| {rnd} | {workload} | {binary} | {j['requests_per_s']:.0f} | {answers} | {cpu * 1e6 / answers:.2f} "
      f"| {(int(s1) - int(s0)) / answers:.2f} | {j['latency_ms']['p99']} | {load} |", flush=True)
PY
    done
  done
done
