#!/usr/bin/env bash
# What one request costs tallyd at the edge, same-run A/B, in the two figures that do not drift with the load of a
# shared machine: instructions per request in tallyd's user space (callgrind; a light open-loop load, every
# request alone in tallyd, so the count repeats within ~1% whatever else runs) and system calls per request by
# name (strace -c -f over an open-loop load at --rate). Each binary runs on its own fresh data (--users users set
# up, then every actor woken once); rounds alternate the binaries in both orders (A B B A ...). CPU time per
# request is bench/hop_cost.sh's job.
#
# usage: bench/edge_cost.sh [--users N] [--rounds K] [--workloads "tx balance mixed"] [--cg-rate R] [--cg-seconds S]
#                           [--rate R] [--seconds S] [--no-strace] [--by-thread] [--port P] BIN [BIN...]
# --by-thread: also the HTTP thread's and the WAL thread's instructions per request (callgrind
# --separate-threads; the whole-process figure moves with which CAF worker runs an actor's turn).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=500; ROUNDS=1; WORKLOADS="tx balance mixed"; CG_RATE=200; CG_SECONDS=3; RATE=3000; SECONDS_=5; STRACE=1
BY_THREAD=0
PORT=18740
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --cg-rate) CG_RATE=$2; shift ;;
    --cg-seconds) CG_SECONDS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --seconds) SECONDS_=$2; shift ;;
    --no-strace) STRACE=0 ;;
    --by-thread) BY_THREAD=1 ;;
    --port) PORT=$2; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || { echo "give at least one tallyd binary" >&2; exit 1; }
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }
command -v callgrind_control >/dev/null || { echo "valgrind missing: bash scripts/install-deps.sh --test" >&2; exit 1; }
[ "$STRACE" = 0 ] || command -v strace >/dev/null || { echo "strace missing (or --no-strace)" >&2; exit 1; }

AB_NAME=edge-cost
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"  # $TMP, $PID, the cleanup on exit, stop

# serve [PREFIX...] BIN: tallyd on fresh data with USERS users set up and woken (bounded waits throughout)
serve() {
  rm -rf "$TMP/run"; mkdir -p "$TMP/run"
  "$@" --bind 127.0.0.1 --port "$PORT" --data-dir "$TMP/run/data" --log-level warn >"$TMP/run/log" 2>&1 &
  PID=$!
  local up=0
  for _ in $(seq 1 600); do curl -sf -o /dev/null -m 1 "http://127.0.0.1:$PORT/readyz" && { up=1; break; }; sleep 0.1; done
  [ "$up" = 1 ] || { echo "tallyd did not come up" >&2; tail -5 "$TMP/run/log" >&2; exit 1; }
  timeout 300 "$LG" --url "http://127.0.0.1:$PORT" --setup-users "$USERS" --setup-only --fund-batch "$USERS" \
    --connections 8 --save-ids "$TMP/run/ids" --save-uids "$TMP/run/uids" >/dev/null 2>&1
  timeout 120 "$LG" --url "http://127.0.0.1:$PORT" --workload balance-at-date --duration 2s --rate "$CG_RATE" \
    --connections 16 --load-ids "$TMP/run/ids" >/dev/null 2>&1 || true
}
# load WORKLOAD RATE SECONDS: an open-loop load; its answers (every status) are in $TMP/run/lg.json
load() {
  timeout $(($3 + 120)) "$LG" --url "http://127.0.0.1:$PORT" --workload "$1" --connections 16 --threads 1 \
    --rate "$2" --duration "$3s" --load-ids "$TMP/run/ids" --load-uids "$TMP/run/uids" \
    --json "$TMP/run/lg.json" >/dev/null 2>&1 || true
}
answers() {
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1]));
print(max(sum(j['status'][k] for k in ('2xx','402','other_4xx','5xx')), 1))" "$TMP/run/lg.json"
}

instructions() {  # BIN WORKLOAD -> instructions per request (with --by-thread: "all (http H, wal W)")
  local separate=no; [ "$BY_THREAD" = 0 ] || separate=yes
  serve valgrind --tool=callgrind --compress-strings=no --compress-pos=no --separate-threads=$separate \
    --callgrind-out-file="$TMP/run/cg.out" "$1"
  load "$2" "$CG_RATE" 1  # warm: the first requests of a workload take the cold paths
  callgrind_control -z "$PID" >/dev/null
  load "$2" "$CG_RATE" "$CG_SECONDS"
  callgrind_control -d "$PID" >/dev/null
  local n; n=$(answers)
  stop
  if [ "$BY_THREAD" = 0 ]; then
    local dump; dump=$(ls -t "$TMP"/run/cg.out.* | head -1)
    awk -v n="$n" '/^summary:/ {s = $2} END {printf "%.0f", s / n}' "$dump"
    return
  fi
  # One file per thread of the requested dump (cg.out.1-TT); a thread is named by a function only it runs.
  local all=0 http=0 wal=0 f s
  for f in "$TMP"/run/cg.out.1-*; do
    s=$(awk '/^summary:/ {print $2}' "$f"); all=$((all + s))
    if grep -q '^fn=.*HttpConnection::on_input' "$f"; then http=$((http + s)); fi
    if grep -q '^fn=.*WalWriter::write_batch' "$f"; then wal=$((wal + s)); fi
  done
  awk -v n="$n" -v a="$all" -v h="$http" -v w="$wal" 'BEGIN {printf "%.0f (http %.0f, wal %.0f)", a / n, h / n, w / n}'
}

syscalls() {  # BIN WORKLOAD -> "name per-request ..." for the calls made at least once per 100 requests
  serve "$1"
  timeout $((SECONDS_ + 60)) strace -q -c -f -p "$PID" -o "$TMP/run/strace.txt" 2>/dev/null &
  local tracer=$!
  sleep 1
  load "$2" "$RATE" "$SECONDS_"
  kill -INT "$tracer"; wait "$tracer" || true
  local n; n=$(answers)
  stop
  awk -v n="$n" 'NR > 2 && $NF != "total" && $4 + 0 > 0 && $4 / n >= 0.01 {printf "%s %.2f, ", $NF, $4 / n}' \
    "$TMP/run/strace.txt" | sed 's/, $//'
}

echo "# edge_cost: $USERS users; instructions by callgrind at $CG_RATE req/s for ${CG_SECONDS}s; syscalls by strace -c"
echo "# at $RATE req/s for ${SECONDS_}s (open loop, 16 connections); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| round | workload | binary | instructions/request | syscalls/request (strace -c) |"
echo "| --- | --- | --- | ---: | --- |"
for round in $(seq 1 "$ROUNDS"); do
  order=("${BINS[@]}")
  if [ $((round % 2)) = 0 ]; then  # both orders: the position of a binary in a round has an effect of its own
    order=(); for ((i = ${#BINS[@]} - 1; i >= 0; i--)); do order+=("${BINS[$i]}"); done
  fi
  for workload in $WORKLOADS; do
    for bin in "${order[@]}"; do
      ins=$(instructions "$bin" "$workload")
      sys="-"; [ "$STRACE" = 0 ] || sys=$(syscalls "$bin" "$workload")
      echo "| $round | $workload | $bin | $ins | $sys |"
    done
  done
done
