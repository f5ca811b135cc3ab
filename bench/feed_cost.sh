#!/usr/bin/env bash
# The change feed's cost on the write path (docs/notifications.md), decomposed, same machine, same run: closed-loop
# PUT /v1/transaction (tally-loadgen, 64 connections) and the CPU per PUT of every process taking part, in four
# configurations interleaved A B C D A B C D ... (ROUNDS times) so that drift of a shared machine hits all alike:
#   none:       no feed reader;
#   reader:     one long-poll reader (python) following the whole feed (limit=10000, wait=25);
#   relay-read: tally-relay --discard: reads the feed exactly as the relay does (limit=1000, wait=25, its 10 ms
#               linger), parses each page and drops it: what serving the relay costs tallyd, without NATS;
#   relay:      tally-relay publishing to nats-server (JetStream), caught up with the earlier rounds' events first.
# relay vs relay-read is what the relay's and nats-server's own work on the same 2 cores adds; relay-read vs none
# is tallyd's own serving cost. Then whether the relay sustains the node's write rate: its lag when the load stops
# (events made but not yet in the stream, and the seconds until the stream holds them), and the rate at which it
# moves a backlog (the earlier rounds' events, with no load) against the PUT rate of the node alone. Last, the
# feed's read throughput (one reader paging through everything with limit=10000).
#
#   bench/feed_cost.sh [--duration S] [--rounds N] [--port-base P]     (defaults 5 s x 4 rounds: 2-3 minutes)
#
# Everything on 127.0.0.1; every process it starts is stopped on exit. nats-server runs throughout (idle outside
# the relay rounds). CPU from /proc/PID/stat (utime+stime) over each load window, per PUT answered.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
ROUNDS=4
PORT_BASE=18660
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--rounds N] [--port-base P]" >&2; exit 2 ;;
  esac
done
BUILD=${BUILD_DIR:-build}
TALLY_PORT=$PORT_BASE
NATS_PORT=$((PORT_BASE + 1))
RELAY_METRICS_PORT=$((PORT_BASE + 2))
for port in "$TALLY_PORT" "$NATS_PORT" "$RELAY_METRICS_PORT"; do
  if ss -ltn "sport = :$port" | grep -q LISTEN; then echo "port $port is in use: pick --port-base" >&2; exit 2; fi
done
TMP=$(mktemp -d /tmp/tally-feed-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-/work}
ninja -C "$BUILD" -j2 app/tallyd bench/tally-loadgen relay/tally-relay >"$TMP/build.log" 2>&1 || {
  tail -30 "$TMP/build.log" >&2; exit 1; }

# The relay round's backlog (three rounds of events) must stay inside the feed's memory: 3M events kept (~480 MB).
"$BUILD/app/tallyd" --bind 127.0.0.1 --port "$TALLY_PORT" --threads 2 --data-dir "$TMP/data" \
  --feed-retention-events 3000000 >"$TMP/tallyd.log" 2>&1 &
TALLYD_PID=$!
PIDS+=("$TALLYD_PID")
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$TMP/js" >"$TMP/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
URL=http://127.0.0.1:$TALLY_PORT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
"$BUILD/bench/tally-loadgen" --url "$URL" --setup-users 1000 --setup-only --save-ids "$TMP/ids" >"$TMP/setup.log" 2>&1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
feed_ticks() {  # tallyd's feed dispatcher thread (named tally-feed): it serves every waiting reader
  local task
  for task in /proc/"$TALLYD_PID"/task/*; do
    [ "$(cat "$task/comm" 2>/dev/null)" = tally-feed ] && { awk '{print $14 + $15}' "$task/stat"; return; }
  done
  echo 0
}
now() { date +%s.%N; }
newest() { curl -s "$URL/metrics" | awk '$1 == "tally_feed_newest_seq" {print $2}'; }
acked() {  # the relay's newest seq the stream acknowledged (its /metrics); 0 until it has one
  curl -s "http://127.0.0.1:$RELAY_METRICS_PORT/metrics" 2>/dev/null |
    awk '/^tally_relay_last_acked_seq/ && !found {print $2; found=1} END {if (!found) print 0}'
}
wait_acked() {  # target -> waits (at most 600 s) until the relay has the stream acknowledge it
  for _ in $(seq 6000); do
    [ "$(acked)" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "the relay did not catch up with seq $1 in 600 s" >&2; exit 1
}

# A reader that follows the feed with long-polls and counts what it received.
start_reader() {
  python3 - "$URL" "$(newest)" >"$TMP/reader.out" 2>&1 <<'EOF' &
import json, sys, urllib.request
url, after, got = sys.argv[1], int(sys.argv[2]), 0
while True:
    with urllib.request.urlopen(f"{url}/v1/events?after={after}&limit=10000&wait=25", timeout=40) as r:
        page = json.load(r)
    got += len(page["events"])
    after = page["last"]
EOF
  READER_PID=$!
}

start_relay() {  # extra flags...
  "$BUILD/relay/tally-relay" --source "$URL" --nats "nats://127.0.0.1:$NATS_PORT" \
    --metrics-port "$RELAY_METRICS_PORT" "$@" >>"$TMP/relay.log" 2>&1 &
  READER_PID=$!
  PIDS+=("$READER_PID")
}

# label reader_pid -> one line in results: label, PUT/s, PUTs, events made, CPU ms of tallyd, loadgen, reader,
# nats-server over the window, tallyd's context switches, CPU ms of tallyd's feed thread
measure() {
  local label=$1 reader=$2 t0 n0 r0 s0 f0 t1 n1 r1 s1 f1
  t0=$(ticks "$TALLYD_PID"); s0=$(ticks "$NATS_PID"); r0=$(ticks "$reader"); f0=$(feed_ticks); n0=$(newest)
  perf stat -x, -e context-switches -p "$TALLYD_PID" -o "$TMP/$label.switches" -- sleep "$DURATION" 2>/dev/null &
  local perf_pid=$!
  perf stat -x, -e task-clock -o "$TMP/$label.loadgen" -- \
    "$BUILD/bench/tally-loadgen" --url "$URL" --workload tx --load-ids "$TMP/ids" --connections 64 \
    --duration "${DURATION}s" --json "$TMP/$label.json" >"$TMP/$label.log" 2>&1
  t1=$(ticks "$TALLYD_PID"); s1=$(ticks "$NATS_PID"); r1=$(ticks "$reader"); f1=$(feed_ticks); n1=$(newest)
  wait "$perf_pid" || true
  python3 - "$TMP" "$label" "$((t1 - t0))" "$((r1 - r0))" "$((s1 - s0))" "$((n1 - n0))" "$((f1 - f0))" \
    "$(getconf CLK_TCK)" \
    >>"$TMP/results" <<'EOF'
import json, sys
tmp, label, tallyd, reader, nats, events, feed, hz = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
d = json.load(open(f"{tmp}/{label}.json"))
def perf_value(path, event):
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 2 and f[2].startswith(event) and f[0].replace(".", "").isdigit():
            return float(f[0])
    return 0.0
ms = lambda t: t * 1000 / hz
print(label, round(d["requests_per_s"]), d["sent"], events, ms(tallyd),
      perf_value(f"{tmp}/{label}.loadgen", "task-clock"), ms(reader), ms(nats), int(perf_value(f"{tmp}/{label}.switches", "context-switches")), ms(feed))
EOF
}

: >"$TMP/results"
: >"$TMP/relay_lags"
STREAM_AT=0  # the newest seq the stream holds (after each relay round)
for round in $(seq "$ROUNDS"); do
  measure none 0

  start_reader
  sleep 0.3
  measure reader "$READER_PID"
  kill "$READER_PID"; wait "$READER_PID" 2>/dev/null || true

  start_relay --discard "$(newest)"
  sleep 0.3
  measure relay-read "$READER_PID"
  kill "$READER_PID"; wait "$READER_PID" 2>/dev/null || true

  # The relay first publishes what the three rounds before made (a backlog, no load): its rate from a backlog.
  backlog_from=$(newest)
  start_relay
  started=$(now)
  wait_acked "$backlog_from"
  caught_up=$(now)
  measure relay "$READER_PID"
  made=$(newest); in_stream=$(acked); stopped=$(now)  # the lag when the load stops
  wait_acked "$made"
  echo "$made $in_stream $(python3 -c "print($(now) - $stopped)") $((backlog_from - STREAM_AT))" \
    "$(python3 -c "print($caught_up - $started)")" >>"$TMP/relay_lags"
  STREAM_AT=$made
  kill "$READER_PID"; wait "$READER_PID" 2>/dev/null || true
done

# Feed read throughput: the newest 1,000,000 events (or all), paged with limit=10000, by one reader.
READ=$(python3 - "$URL" "$(newest)" <<'EOF'
import json, sys, time, urllib.error, urllib.request
after, n, t0 = max(0, int(sys.argv[2]) - 1_000_000), 0, time.monotonic()
while True:
    try:
        page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/v1/events?after={after}&limit=10000"))
    except urllib.error.HTTPError as e:  # 410: the ring wrapped; read everything that is kept
        if e.code != 410:
            raise
        after = json.load(e)["error"]["oldest"] - 1
        continue
    if page["last"] == after:
        break
    n += len(page["events"]); after = page["last"]
print(n, round(n / (time.monotonic() - t0)))
EOF
)

python3 bench/feed_cost_report.py "$TMP/results" "$TMP/relay_lags" "$READ" "$DURATION" "$ROUNDS"
