#!/usr/bin/env bash
# The change feed's cost on the write path (docs/notifications.md), same machine, same run: closed-loop PUT
# /v1/transaction throughput (tally-loadgen, 64 connections) and tallyd's CPU per 1,000 PUTs
#   A: no feed reader;  B: one long-poll reader following the whole feed;  C: tally-relay publishing to NATS;
# interleaved A B C A B C ... (ROUNDS times) so that drift of a shared machine hits all three alike. Then the feed's
# read throughput (events/s, one reader paging through everything with limit=10000) and the relay's lag after C
# (events made but not yet in the stream, and how long the stream took to catch up).
#
#   bench/feed_cost.sh [--duration S] [--rounds N] [--port-base P]
#
# Everything on 127.0.0.1; every process it starts is stopped on exit. The reader and the relay run on the same
# 2 cores as tallyd and the load generator: their own CPU is part of what B and C cost here.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
ROUNDS=3
PORT_BASE=18600
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
TMP=$(mktemp -d /tmp/tally-feed-bench.XXXXXX)
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

"$BUILD/app/tallyd" --bind 127.0.0.1 --port "$TALLY_PORT" --threads 2 --data-dir "$TMP/data" >"$TMP/tallyd.log" 2>&1 &
TALLYD_PID=$!
PIDS+=("$TALLYD_PID")
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$TMP/js" >"$TMP/nats.log" 2>&1 &
PIDS+=("$!")
URL=http://127.0.0.1:$TALLY_PORT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done
"$BUILD/bench/tally-loadgen" --url "$URL" --setup-users 1000 --setup-only --save-ids "$TMP/ids" >"$TMP/setup.log" 2>&1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$TALLYD_PID/stat"; }
newest() { curl -s "$URL/healthz" >/dev/null; python3 - "$URL" <<'EOF'
import json, sys, urllib.error, urllib.request
after = 0
while True:
    try:
        page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/v1/events?after={after}&limit=10000&types=user.updated"))
    except urllib.error.HTTPError as e:  # 410: the ring wrapped (a long run); go on from the oldest event kept
        if e.code != 410:
            raise
        after = json.load(e)["error"]["oldest"] - 1
        continue
    if page["last"] == after:
        print(after)
        break
    after = page["last"]
EOF
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
    print(got, flush=True)
EOF
  READER_PID=$!
}

measure() {  # label -> appends "label req/s cpu_ms_per_1000" to results
  local label=$1 before after
  before=$(cpu_ticks)
  perf stat -x, -e instructions -p "$TALLYD_PID" -o "$TMP/$label.perf" -- sleep "$((DURATION + 1))" 2>/dev/null &
  local perf_pid=$!
  "$BUILD/bench/tally-loadgen" --url "$URL" --workload tx --load-ids "$TMP/ids" --connections 64 \
    --duration "${DURATION}s" --json "$TMP/$label.json" >"$TMP/$label.log" 2>&1
  after=$(cpu_ticks)
  wait "$perf_pid" || true
  python3 - "$TMP/$label.json" "$label" "$before" "$after" "$(getconf CLK_TCK)" "$TMP/$label.perf" >>"$TMP/results" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ticks = int(sys.argv[4]) - int(sys.argv[3])
cpu_ms = ticks * 1000 / int(sys.argv[5])
instructions = 0
for line in open(sys.argv[6]):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[2].startswith("instructions") and fields[0].isdigit():
        instructions = int(fields[0])
# instructions over the load's duration + 1 s of idle (a few k/s): per PUT sent
print(sys.argv[2], round(d["requests_per_s"]), round(cpu_ms / d["sent"] * 1000, 1), round(instructions / d["sent"]))
EOF
}

: >"$TMP/results"
RELAY_LAGS=()
for round in $(seq "$ROUNDS"); do
  measure none
  start_reader
  measure reader
  kill "$READER_PID"; wait "$READER_PID" 2>/dev/null || true
  "$BUILD/relay/tally-relay" --source "$URL" --nats "nats://127.0.0.1:$NATS_PORT" >>"$TMP/relay.log" 2>&1 &
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  sleep 0.5  # catches up with the earlier rounds' events first
  measure relay
  made=$(newest)
  started=$(date +%s.%N)
  for _ in $(seq 600); do
    in_stream=$(python3 - "$NATS_PORT" <<'EOF'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5); f = s.makefile("rb"); f.readline()
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _INBOX.b 1\r\nPUB $JS.API.STREAM.INFO.TALLY _INBOX.b 0\r\n\r\n')
while True:
    line = f.readline()
    if line.startswith(b"MSG"):
        print(json.loads(f.read(int(line.split()[-1]) + 2))["state"]["last_seq"]); break
EOF
)
    [ "$in_stream" -ge "$made" ] && break
    sleep 0.1
  done
  RELAY_LAGS+=("$(python3 -c "print(round($(date +%s.%N) - $started, 2))")")
  kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true
done

# Feed read throughput: everything so far, paged with limit=10000, by one reader.
READ=$(python3 - "$URL" <<'EOF'
import json, sys, time, urllib.error, urllib.request
after, n, t0 = 0, 0, time.monotonic()
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

python3 - "$TMP/results" "$READ" "${RELAY_LAGS[*]}" "$DURATION" "$ROUNDS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
ins = {}
for label, rps, cpu, instructions in rows:
    by.setdefault(label, []).append((int(rps), float(cpu)))
    ins.setdefault(label, []).append(int(instructions))
base = statistics.median(r for r, _ in by["none"])
base_cpu = statistics.median(c for _, c in by["none"])
print(f"PUT /v1/transaction, tally-loadgen 64 connections, {sys.argv[4]} s x {sys.argv[5]} rounds (interleaved), "
      "tallyd --threads 2; 2-core VM shared with other builds: read the ratios")
base_ins = statistics.median(ins["none"]) or 1  # 0: perf counts no instructions here (a VM without a PMU)
print("| configuration | req/s (median) | vs none | tallyd CPU ms / 1000 PUTs | vs none | tallyd instructions / PUT "
      "| vs none | CPU runs |")
print("|---|---|---|---|---|---|---|---|")
for label in ("none", "reader", "relay"):
    rps = statistics.median(r for r, _ in by[label]); cpu = statistics.median(c for _, c in by[label])
    i = statistics.median(ins[label])
    i_text = f"{i:.0f} | {i / base_ins:.3f}" if i else "n/a | n/a"
    print(f"| {label} | {rps:.0f} | {rps / base:.3f} | {cpu:.1f} | {cpu / base_cpu:.3f} | {i_text} | "
          f"{', '.join(str(c) for _, c in by[label])} |")
events, per_s = sys.argv[2].split()
print(f"\nfeed read: {events} events in pages of 10,000 at {per_s} events/s (one python reader)")
print(f"relay: after each relay run the stream held every event {sys.argv[3]} s after the load stopped")
print("load average:", open("/proc/loadavg").read().split()[:3])
EOF
