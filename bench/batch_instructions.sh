#!/usr/bin/env bash
# Instructions per batch item in tallyd's user space (callgrind: deterministic, unlike CPU time on a shared
# machine), for each given tallyd binary on the same data: N users set up once (every user cold at each start),
# a warm-up (actors spawned), then the counters zeroed and a measured window: 1,000-item batches at a fixed rate on
# 2 connections (the same item count for every binary). Prints instructions per item (all threads, user space) and
# the top functions' own instructions per item. A/A spread measured: 0.03–0.6% (on a loaded machine a window may
# carry fewer batches than the rate asks: compare per item).
# Give a binary twice for an A/A control. See README.md ("Performance") for the figures.
#
# usage: bench/batch_instructions.sh [--users N] [--duration S] [--warmup S] [--rate BATCHES_PER_S] [--top K]
#                                    [--keep DIR (the callgrind dumps, for callgrind_annotate)] [--port P] BIN [BIN...]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=10000; DUR=12; WARM=4; TOP=12; PORT=18700; RATE=3; KEEP=""
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --warmup) WARM=$2; shift ;;
    --top) TOP=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    --port) PORT=$2; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || { echo "give at least one tallyd binary" >&2; exit 1; }
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is needed (scripts/install-deps.sh --test)" >&2; exit 1; }

AB_NAME=batch-instr
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"

setup_users 900 --threads 2 -- --setup-timeout 800s

batches() {  # 1,000 items per request at RATE a second (open loop: a fixed count), for $1 seconds; writes $TMP/lg.json
  timeout $(($1 + 120)) "$LG" --url "http://127.0.0.1:$PORT" --workload batch --batch-size 1000 --connections 2 --rate "$RATE" \
    --duration "${1}s" --grace 60s --load-ids "$TMP/ids" --json "$TMP/lg.json" >/dev/null 2>&1
}

echo "| binary | items | instructions | instructions/item | load |"
echo "| --- | --- | --- | --- | --- |"
n=0
for bin in "${BINS[@]}"; do
  n=$((n + 1))
  rm -rf "$TMP/run" "$TMP/cg"; cp -r "$TMP/data" "$TMP/run"; mkdir -p "$TMP/cg"
  valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$TMP/cg/out" \
    "$bin" --bind 127.0.0.1 --port "$PORT" --data-dir "$TMP/run" --log-level warn --threads 2 >"$TMP/tallyd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do curl -sf -o /dev/null -m 2 "http://127.0.0.1:$PORT/readyz" && break; sleep 0.1; done
  batches "$WARM"
  callgrind_control -z "$PID" >/dev/null
  batches "$DUR"
  callgrind_control -d "$PID" >/dev/null
  stop
  dump=$(ls -t "$TMP"/cg/out.* | grep -v '\.0$' | head -1 || true)
  [ -n "$dump" ] || dump=$(ls -t "$TMP"/cg/out* | head -1)
  [ -z "$KEEP" ] || { mkdir -p "$KEEP"; cp "$dump" "$KEEP/callgrind-$n.out"; }
  python3 - "$bin" "$TMP/lg.json" "$dump" "$(cut -d' ' -f1 /proc/loadavg)" "$TOP" <<'PY'
import json, re, sys, collections
binary, lg, dump, load, top = sys.argv[1:]
items = json.load(open(lg))["items"]["ok"]
total, per_fn, fn, call_cost = 0, collections.Counter(), None, False
for line in open(dump, errors="replace"):
    if line.startswith("fn="):
        fn = line[3:].strip()
    elif line.startswith(("summary:", "totals:")):
        total = max(total, int(line.split()[1]))
    elif line.startswith("calls="):
        call_cost = True  # the next cost line is the callee's inclusive cost, not this function's own
    elif line[:1].isdigit() or line[:1] in "+-*":
        parts = line.split()
        if call_cost:
            call_cost = False
        elif len(parts) >= 2 and fn is not None:
            per_fn[fn] += int(parts[1])
print(f"| {binary} | {items} | {total} | {total / max(items, 1):.0f} | {load} |")
sys.stderr.write(f"   top self cost of {binary}:\n")
for name, cost in per_fn.most_common(int(top)):
    sys.stderr.write(f"   {cost / max(items, 1):8.0f}/item  {100 * cost / max(total, 1):5.1f}%  {name[:110]}\n")
PY
done
