#!/usr/bin/env bash
# Restart time and memory per user and per transaction, as RSS growth of a real tallyd:
#   1. USERS users and TXS transactions written by tally-make-dataset, replayed by tallyd: RSS per transaction
#      and per idle user (no actor is alive after a restart: state sits in the compact user table);
#   2. balance-at-date requests for random users spawn their actors: RSS per live actor;
#   3. after --actor-idle-ms the actors hand their state back and quit: what stays per touched user.
# It also prints how long tallyd took from exec to /readyz 200 on the full dataset (the restart time) and the CPU
# it spent until then. RSS is read SETTLE_S seconds after ready (default 40): recovery's scratch (read buffers,
# staged slots, freed growth steps) is returned by jemalloc's background thread over its 10 s decay, so RSS at
# ready overstates what the data keeps by ~5-10 B a transaction; the figure at ready is printed too.
# usage: bench/memory.sh [USERS [TXS]]   (default 1000000 10000000; needs ~1.5 GB of /tmp at the default)
#   SHAPE=api      the WAL as real traffic writes it (tally-make-dataset's api shape: users at random, v4 uuids,
#                  batch entries); default: the generator's shape (users in turn)
#   FEED_EVENTS=N  tallyd's --feed-retention-events (default 1000000): the change feed's ring is a fixed cost,
#                  (~160 B an event, full after 1M records) counted in the per-user figure unless set small
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-1000000}
TXS=${2:-10000000}
SHAPE=${SHAPE:-generated}
FEED_EVENTS=${FEED_EVENTS:-1000000}
BUILD_DIR=${BUILD_DIR:-build}
TALLYD=${TALLYD:-$BUILD_DIR/app/tallyd}   # another build's tallyd, for a before/after on the same datasets
PORT=${PORT:-18400}
IDLE_MS=3000
SETTLE_S=${SETTLE_S:-40}
TMP=$(mktemp -d /tmp/tally-memory.XXXXXX)
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
ninja -C "$BUILD_DIR" app/tallyd bench/tally-loadgen bench/tally-make-dataset >/dev/null

rss_kib() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
health() { curl -s "http://127.0.0.1:$PORT/healthz"; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
start() {
  "$TALLYD" --data-dir "$1" --port "$PORT" --actor-idle-ms "$IDLE_MS" --log-level warn \
    --feed-retention-events "$FEED_EVENTS" &
  PID=$!
  for _ in $(seq 1 1200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && return; sleep 0.02; done
  echo "tallyd did not become ready" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" || true; }
settled_rss_kib() { sleep "$SETTLE_S"; rss_kib; }

# Baseline: an empty tallyd.
mkdir -p "$TMP/empty"; start "$TMP/empty"; BASE=$(settled_rss_kib); stop
# Users only, then users and transactions.
"$BUILD_DIR/bench/tally-make-dataset" "$TMP/users" "$USERS" 0 >/dev/null
start "$TMP/users"; USERS_READY=$(rss_kib); USERS_RSS=$(settled_rss_kib); stop
"$BUILD_DIR/bench/tally-make-dataset" "$TMP/full" "$USERS" "$TXS" "$SHAPE" >/dev/null
T0=$(date +%s.%N); start "$TMP/full"; T1=$(date +%s.%N); FULL_READY=$(rss_kib)
CPU=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' /proc/$PID/stat)
FULL_RSS=$(settled_rss_kib)
seq 1 "$USERS" > "$TMP/ids"
"$BUILD_DIR/bench/tally-loadgen" --port "$PORT" --workload balance-at-date --load-ids "$TMP/ids" --duration 10s \
  --connections 64 >/dev/null
LIVE=$(field "$(health)" live_actors); LIVE_RSS=$(rss_kib)
sleep $(( IDLE_MS * 3 / 1000 + 10 ))   # two idle checks, then jemalloc's 10 s decay returns the pages
AFTER=$(field "$(health)" live_actors); AFTER_RSS=$(rss_kib)
stop

echo "restart with $USERS users and $TXS transactions ($SHAPE shape, feed ring $FEED_EVENTS events):" \
  "ready in $(echo "$T1 - $T0" | bc) s, $CPU s CPU, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$BASE" "$USERS_RSS" "$FULL_RSS" "$LIVE" "$LIVE_RSS" "$AFTER" "$AFTER_RSS" "$USERS" "$TXS" \
  "$USERS_READY" "$FULL_READY" "$SETTLE_S" <<'PY'
import sys
base, users_rss, full_rss, live, live_rss, after, after_rss, users, txs, users_ready, full_ready, settle = \
    map(int, sys.argv[1:])
k = 1024
print(f"RSS {settle} s after ready (at ready in brackets):")
print(f"empty tallyd RSS:                       {base / k:8.1f} MiB")
print(f"{users:,} users, no transactions:        {users_rss / k:8.1f} MiB -> {(users_rss - base) * k / users:6.1f} B per idle user"
      f" [{(users_ready - base) * k / users:.1f}]")
if txs:
    print(f"+ {txs:,} transactions:               {full_rss / k:8.1f} MiB -> {(full_rss - users_rss) * k / txs:6.1f} B per transaction"
          f" [{(full_ready - users_ready) * k / txs:.1f}]")
print(f"{live:,} actors spawned by reads:          {live_rss / k:8.1f} MiB -> {(live_rss - full_rss) * k / max(live, 1):6.1f} B per live actor")
print(f"after passivation ({after} live):            {after_rss / k:8.1f} MiB -> {(after_rss - full_rss) * k / max(live, 1):6.1f} B per touched user")
PY
