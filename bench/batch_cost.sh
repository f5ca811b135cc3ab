#!/usr/bin/env bash
# Server CPU per batch item, same-run A/B: sets up N users once (created through the API, funded 1,000 per batch),
# then for each round starts each given tallyd binary on a copy of that data (every user cold: restored, no actor)
# and sends 1,000-item batches at a fixed rate, so every binary does the same work; prints tx/s and tallyd's
# utime+stime per item. `--rate 0`: closed loop instead (8 connections, as fast as tallyd answers: tx/s is the
# figure then, on a quiet machine only). `--threads N`: tallyd's HTTP threads (default 2; 0 = tallyd's own default,
# as bench/run_standard.sh runs it). See README.md ("Performance": what bounds the batches) and docs/performance.md (every round).
#
# usage: bench/batch_cost.sh [--users N] [--rate REQ_PER_S] [--duration S] [--rounds K] [--batch-size B]
#                            [--threads N] [--port P] BIN [BIN...]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=10000; RATE=40; DUR=6; ROUNDS=3; BATCH=1000; PORT=18600; THREADS=2
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --batch-size) BATCH=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --port) PORT=$2; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || { echo "give at least one tallyd binary" >&2; exit 1; }
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }

AB_NAME=batch-cost
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"

setup_users 900 --threads 2 -- --setup-timeout 800s

TCK=$(getconf CLK_TCK)
echo "| round | binary | tx/s | items | CPU s | CPU µs/item | load |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    rm -rf "$TMP/run"; cp -r "$TMP/data" "$TMP/run"
    start "$bin" "$TMP/run" --threads "$THREADS"
    RATE_ARGS=(--rate "$RATE"); [ "$RATE" = 0 ] && RATE_ARGS=()
    c0=$(cpu_ticks)
    timeout $((DUR + 60)) "$LG" --url "http://127.0.0.1:$PORT" --workload batch --batch-size "$BATCH" \
      --connections 8 --duration "${DUR}s" "${RATE_ARGS[@]}" --load-ids "$TMP/ids" --json "$TMP/lg.json" >/dev/null 2>&1
    c1=$(cpu_ticks)
    stop
    python3 - "$round" "$bin" "$c0" "$c1" "$TCK" "$(cut -d' ' -f1 /proc/loadavg)" "$TMP/lg.json" <<'PY'
import json, sys
rnd, binary, c0, c1, tck, load, path = sys.argv[1:]
j = json.load(open(path))
items = j["items"]["sent"]
cpu = (float(c1) - float(c0)) / float(tck)
print(f"| {rnd} | {binary} | {j['tx_per_s']:.0f} | {items} | {cpu:.2f} | {cpu * 1e6 / max(items, 1):.2f} | {load} |")
PY
  done
done
