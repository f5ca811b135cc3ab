#!/usr/bin/env bash
# Restart time of two tallyd builds on the same datasets, alternating: exec to /readyz 200 (wall) and the CPU the
# process spent until then (utime + stime), for 1M users / 10M transactions in three shapes:
#   generated  tally-make-dataset's users in turn, WAL only
#   api        users at random, as the API writes them, WAL only
#   snapshot   the api dataset after a SIGTERM: its final snapshot covers the whole WAL (snapshot restored, the
#              WAL under it CRC-checked beside it)
# Each round runs A then B, the next round B then A (there is a position effect); every run is killed with
# SIGKILL at ready, so no snapshot is taken and the datasets stay as made.
# usage: bench/restart_cost.sh OLD_TALLYD [NEW_TALLYD]    (NEW defaults to build/app/tallyd)
#   ROUNDS=N (default 2, i.e. 4 runs of each binary per shape), SHAPES="generated api snapshot",
#   DATA=dir for the datasets (default /tmp/tally-restart-data: made once, ~4.5 GB, reused by later runs),
#   USERS / TXS (default 1000000 / 10000000), PORT (default 18471).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/restart_cost.sh OLD_TALLYD [NEW_TALLYD]}
NEW=${2:-build/app/tallyd}
ROUNDS=${ROUNDS:-2}
SHAPES=${SHAPES:-generated api snapshot}
DATA=${DATA:-/tmp/tally-restart-data}
USERS=${USERS:-1000000}
TXS=${TXS:-10000000}
PORT=${PORT:-18471}
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; true' EXIT

ready() { [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; }
launch() {  # launch BIN DIR: tallyd in the background, PID set
  "$1" --bind 127.0.0.1 --port "$PORT" --data-dir "$2" --log-level warn >"$DATA/tallyd.log" 2>&1 &
  PID=$!
}
wait_ready() {  # bounded: 10 minutes
  for _ in $(seq 1 30000); do ready && return 0; kill -0 "$PID" 2>/dev/null || break; sleep 0.02; done
  echo "tallyd did not become ready:" >&2; tail -5 "$DATA/tallyd.log" >&2; exit 1
}

if ss -ltn | grep -q ":$PORT "; then echo "port $PORT is in use: set PORT" >&2; exit 1; fi
mkdir -p "$DATA"
for shape in generated api; do
  if [ ! -d "$DATA/$shape/wal" ]; then
    echo "making the $shape dataset in $DATA/$shape" >&2
    build/bench/tally-make-dataset "$DATA/$shape" "$USERS" "$TXS" "$shape" >/dev/null
  fi
done
if [[ " $SHAPES " == *" snapshot "* ]] && ! ls "$DATA"/snapshot/snapshots/*.snap >/dev/null 2>&1; then
  echo "making the snapshot dataset in $DATA/snapshot (a copy of api, then tallyd's SIGTERM snapshot)" >&2
  rm -rf "$DATA/snapshot"; cp -r "$DATA/api" "$DATA/snapshot"; rm -f "$DATA"/snapshot/snapshots/*
  launch "$NEW" "$DATA/snapshot"; wait_ready; kill -TERM "$PID"; wait "$PID" || true; PID=""
fi

run() {  # run BIN SHAPE: prints "wall cpu"
  local dir="$DATA/$2"
  [ "$2" = snapshot ] || rm -f "$dir"/snapshots/*.snap "$dir"/snapshots/*.tmp  # WAL only, as made
  local t0 t1 cpu
  t0=$(date +%s.%N); launch "$1" "$dir"; wait_ready; t1=$(date +%s.%N)
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$PID/stat")
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $cpu"
}

echo "| shape | round | order | A wall s | A CPU s | B wall s | B CPU s | load avg |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
for shape in $SHAPES; do
  for round in $(seq 1 "$ROUNDS"); do
    for order in AB BA; do
      if [ "$order" = AB ]; then a=$(run "$OLD" "$shape"); b=$(run "$NEW" "$shape")
      else b=$(run "$NEW" "$shape"); a=$(run "$OLD" "$shape"); fi
      echo "| $shape | $round | $order | ${a% *} | ${a#* } | ${b% *} | ${b#* } | $(cut -d' ' -f1 /proc/loadavg) |"
    done
  done
done
echo "A = $OLD, B = $NEW; $USERS users / $TXS transactions; $(nproc) cores"
