#!/usr/bin/env bash
# Where the open-loop PUT tail comes from (issue 15: p99 <= 5 ms at 80% of the closed-loop rate). For each given
# tallyd (a binary, or a wrapper script that adds flags), on a fresh copy of one data set: a closed-loop PUT run
# fixes the rate (80% of it, or --rate), then an open-loop run at that rate, and the table splits its latency:
# the client's p50/p99 (from the scheduled send time), the sends that went late because all --connections were
# busy (the client's pool, not the server) or because the client itself woke late, tallyd's own request-to-answer
# p99 and its fdatasync p99 and group-commit sizes (from /metrics, deltas over the run), and per tallyd thread its
# CPU and its run delay (time runnable but waiting for a core, /proc/.../schedstat) in ms per second of the run.
#
# usage: bench/put_tail.sh [--users N] [--duration S] [--rate R] [--connections C] [--rounds K] [--port P]
#                          [--turns "sender workers"] [BIN...]   (default: build/app/tallyd; each BIN
#                          is run once per --turns value, as --actor-turns, or with its defaults without --turns)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=10000; DUR=8; RATE=auto; CONNS=64; ROUNDS=1; PORT=18760
BINS=(); TURNS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --port) PORT=$2; shift ;;
    --turns) TURNS=$2; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || BINS=("$ROOT/build/app/tallyd")
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }

AB_NAME=put-tail
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"
URL="http://127.0.0.1:$PORT"

setup_users 300 --

# thread name, utime+stime ticks, run delay ns: one line per tallyd thread
threads() {
  for t in /proc/"$PID"/task/*; do
    printf '%s\t%s\t%s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")" \
      "$(awk '{print $2}' "$t/schedstat")"
  done 2>/dev/null
}

echo "| round | binary, turns | rate/s | p50 ms | p99 ms | p99.9 ms | late: pool / client % | tallyd p99 ms | fdatasync p50 / p99 ms | commit mean / p99 | threads: CPU % / run delay ms per s | load |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
for round in $(seq 1 "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
  for turns in ${TURNS:-default}; do
    args=(); [ "$turns" = default ] || args=(--actor-turns "$turns")
    rm -rf "$TMP/run"; cp -r "$TMP/data" "$TMP/run"
    start "$bin" "$TMP/run" "${args[@]}"
    timeout 60 "$LG" --url "$URL" --workload balance-at-date --duration 1s --load-ids "$TMP/ids" >/dev/null 2>&1 || true
    rate=$RATE
    if [ "$rate" = auto ]; then
      timeout $((DUR + 60)) "$LG" --url "$URL" --workload tx --duration "${DUR}s" --connections "$CONNS" \
        --load-ids "$TMP/ids" --json "$TMP/closed.json" >/dev/null 2>&1 || true
      rate=$(/usr/bin/python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["requests_per_s"] * 0.8))' \
        "$TMP/closed.json")
    fi
    curl -sf "$URL/metrics" >"$TMP/m0"; threads >"$TMP/t0"; w0=$(date +%s.%N)
    timeout $((DUR + 60)) "$LG" --url "$URL" --workload tx --rate "$rate" --duration "${DUR}s" \
      --connections "$CONNS" --load-ids "$TMP/ids" --json "$TMP/open.json" >/dev/null 2>&1 || true
    curl -sf "$URL/metrics" >"$TMP/m1"; threads >"$TMP/t1"; w1=$(date +%s.%N)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    stop
    /usr/bin/python3 "$ROOT/bench/put_tail_report.py" "$round" "$(basename "$bin") $turns" "$rate" "$TMP" "$w0" \
      "$w1" "$(getconf CLK_TCK)" "$load"
  done
  done
done
