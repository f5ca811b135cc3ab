#!/usr/bin/env bash
# tally-relay's rate on a backlog and its lag at the single node's full write rate (docs/notifications.md):
#   1. backlog: PUT load (tally-loadgen, 64 connections) until the feed holds --events events, with no relay;
#      then the relay starts against an empty stream: events/s until the stream holds them all, and the relay's
#      and nats-server's CPU per 1,000 events;
#   2. live: the relay running, PUT load for --duration s at full rate; the events made meanwhile, and how long
#      after the load stops the stream holds every one (the lag).
#
#   bench/relay_rate.sh [--events N] [--duration S] [--port-base P] [--relay PATH]
#
# Everything on 127.0.0.1; every process it starts is stopped on exit. 2 cores shared: say the load average.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=500000
DURATION=10
PORT_BASE=18700
BUILD=${BUILD_DIR:-build}
RELAY=$BUILD/relay/tally-relay
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --relay) RELAY=$2; shift 2 ;;
    *) echo "usage: $0 [--events N] [--duration S] [--port-base P] [--relay PATH]" >&2; exit 2 ;;
  esac
done
TALLY_PORT=$PORT_BASE
NATS_PORT=$((PORT_BASE + 1))
TMP=$(mktemp -d /tmp/tally-relay-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-/work}
ninja -C "$BUILD" -j2 app/tallyd bench/tally-loadgen relay/tally-relay >"$TMP/build.log" 2>&1 || {
  tail -30 "$TMP/build.log" >&2; exit 1; }
"$BUILD/app/tallyd" --bind 127.0.0.1 --port "$TALLY_PORT" --data-dir "$TMP/data" >"$TMP/tallyd.log" 2>&1 &
PIDS+=("$!")
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$TMP/js" >"$TMP/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
URL=http://127.0.0.1:$TALLY_PORT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
"$BUILD/bench/tally-loadgen" --url "$URL" --setup-users 1000 --setup-only --save-ids "$TMP/ids" >"$TMP/setup.log" 2>&1

newest() { python3 - "$URL" <<'PY'
import json, sys, urllib.request
after = 0
while True:
    page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/v1/events?after={after}&limit=10000&types=user.updated"))
    if page["last"] == after:
        print(after)
        break
    after = page["last"]
PY
}
in_stream() { python3 - "$NATS_PORT" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5); f = s.makefile("rb"); f.readline()
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _INBOX.b 1\r\nPUB $JS.API.STREAM.INFO.TALLY _INBOX.b 0\r\n\r\n')
while True:
    line = f.readline()
    if line.startswith(b"MSG"):
        d = json.loads(f.read(int(line.split()[-1]) + 2)); print(d.get("state", {}).get("last_seq", 0)); break
PY
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_stream() {  # target -> seconds until the stream's last sequence reaches it (bounded: 600 s)
  local target=$1 t0 s
  t0=$(date +%s.%N)
  for _ in $(seq 12000); do
    s=$(in_stream 2>/dev/null || echo 0)
    [ "$s" -ge "$target" ] && break
    sleep 0.05
  done
  python3 -c "print(round($(date +%s.%N) - $t0, 2))"
}

# 1. backlog
while [ "$(newest)" -lt "$EVENTS" ]; do
  "$BUILD/bench/tally-loadgen" --url "$URL" --workload tx --load-ids "$TMP/ids" --connections 64 \
    --duration 5s >>"$TMP/fill.log" 2>&1
done
MADE=$(newest)
"$RELAY" --source "$URL" --nats "nats://127.0.0.1:$NATS_PORT" >>"$TMP/relay.log" 2>&1 &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
NATS0=$(ticks "$NATS_PID")
SECONDS_TAKEN=$(wait_stream "$MADE")
RELAY_T=$(ticks "$RELAY_PID")
NATS_T=$(( $(ticks "$NATS_PID") - NATS0 ))
HZ=$(getconf CLK_TCK)
python3 - "$MADE" "$SECONDS_TAKEN" "$RELAY_T" "$NATS_T" "$HZ" <<'PY'
import sys
n, s, rt, nt, hz = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"backlog: {n} events into an empty stream in {s} s = {n / s:.0f} events/s; "
      f"CPU per 1,000 events: relay {rt * 1000 / hz / n * 1000:.1f} ms, nats-server {nt * 1000 / hz / n * 1000:.1f} ms")
PY

# 2. live, at full write rate
BEFORE=$(newest)
"$BUILD/bench/tally-loadgen" --url "$URL" --workload tx --load-ids "$TMP/ids" --connections 64 \
  --duration "${DURATION}s" --json "$TMP/live.json" >"$TMP/live.log" 2>&1
MADE=$(newest)
LAG=$(wait_stream "$MADE")
python3 - "$TMP/live.json" "$BEFORE" "$MADE" "$LAG" "$DURATION" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
made = int(sys.argv[3]) - int(sys.argv[2])
print(f"live: {d['requests_per_s']:.0f} PUT/s for {sys.argv[5]} s with the relay running, {made} events "
      f"({made / float(sys.argv[5]):.0f}/s); the stream held every one {sys.argv[4]} s after the load stopped")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
