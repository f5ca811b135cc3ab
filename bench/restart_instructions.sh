#!/usr/bin/env bash
# Restart cost of two tallyd builds in instructions (callgrind, every thread, exec to /readyz 200): a figure the
# busy machine does not move, unlike restart_cost.sh's CPU seconds. Runs A, B, then A again (the A/A control
# shows how repeatable the count is) on one api-shaped dataset (users at random), killed at ready (SIGKILL: no
# snapshot is taken, the dataset stays as made). Slow (valgrind): ~2 minutes per run at the default size.
# usage: bench/restart_instructions.sh OLD_TALLYD [NEW_TALLYD]    (NEW defaults to build/app/tallyd)
#   DATA=dir (default /tmp/tally-restart-small, made once), USERS / TXS (default 100000 / 1000000),
#   SHAPE (api or generated; default api), PORT (default 18473).
#   SNAPSHOT=1: restore from a snapshot instead: a copy of DATA in DATA-snapshot (made once) after tallyd's SIGTERM
#   snapshot, which covers the whole WAL (restored, the WAL under it CRC-checked), as restart_cost.sh's snapshot shape.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/restart_instructions.sh OLD_TALLYD [NEW_TALLYD]}
NEW=${2:-build/app/tallyd}
DATA=${DATA:-/tmp/tally-restart-small}
USERS=${USERS:-100000}
TXS=${TXS:-1000000}
SHAPE=${SHAPE:-api}
PORT=${PORT:-18473}
OUT=$(mktemp -d)
VPID=""
trap '[ -n "$VPID" ] && kill -9 "$VPID" 2>/dev/null; rm -rf "$OUT"' EXIT

if ss -ltn | grep -q ":$PORT "; then echo "port $PORT is in use: set PORT" >&2; exit 1; fi
if [ ! -d "$DATA/wal" ]; then
  echo "making the $SHAPE dataset in $DATA" >&2
  build/bench/tally-make-dataset "$DATA" "$USERS" "$TXS" "$SHAPE" >/dev/null
fi

ready() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; }
FROM=""
if [ "${SNAPSHOT:-0}" = 1 ]; then
  FROM=" from a snapshot"
  if ! ls "$DATA-snapshot"/snapshots/*.snap >/dev/null 2>&1; then
    echo "making the snapshot dataset in $DATA-snapshot (a copy of $DATA, then tallyd's SIGTERM snapshot)" >&2
    rm -rf "$DATA-snapshot"; cp -r "$DATA" "$DATA-snapshot"; rm -f "$DATA-snapshot"/snapshots/*
    "$NEW" --bind 127.0.0.1 --port "$PORT" --data-dir "$DATA-snapshot" --log-level warn >"$OUT/log" 2>&1 &
    VPID=$!
    for _ in $(seq 1 600); do ready && break; sleep 0.1; done
    kill -TERM "$VPID"; wait "$VPID" || true; VPID=""
  fi
  DATA="$DATA-snapshot"
fi
count() {  # count BIN: prints the instructions until ready
  [ "${SNAPSHOT:-0}" = 1 ] || rm -f "$DATA"/snapshots/*.snap "$DATA"/snapshots/*.tmp
  rm -f "$DATA"/snapshots/*.tmp "$OUT"/cg.*
  valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.%p" "$1" --bind 127.0.0.1 --port "$PORT" \
    --data-dir "$DATA" --log-level warn >"$OUT/log" 2>&1 &
  VPID=$!
  for _ in $(seq 1 6000); do ready && break; kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done  # 10 min
  if ! ready; then echo "tallyd did not become ready:" >&2; tail -5 "$OUT/log" >&2; exit 1; fi
  callgrind_control -d "$VPID" >/dev/null 2>&1; sleep 1  # the dump written before the kill
  kill -9 "$VPID"; wait "$VPID" 2>/dev/null || true; VPID=""
  grep -h '^totals:' "$OUT"/cg.* | awk '{ s += $2 } END { printf "%.0f", s }'
}

a1=$(count "$OLD"); b=$(count "$NEW"); a2=$(count "$OLD")
echo "| run | binary | instructions to ready | per record |"
echo "|---|---|---:|---:|"
records=$((USERS + TXS))
for row in "A $OLD $a1" "B $NEW $b" "A $OLD $a2"; do
  set -- $row
  echo "| $1 | $2 | $3 | $(awk -v i="$3" -v r="$records" 'BEGIN { printf "%.0f", i / r }') |"
done
awk -v a1="$a1" -v a2="$a2" -v b="$b" 'BEGIN {
  a = (a1 + a2) / 2; printf "B / A = %.3f (A/A: %.4f); %s shape%s, %s users / %s transactions\n", b / a, a2 / a1, "'"$SHAPE"'", "'"$FROM"'", "'"$USERS"'", "'"$TXS"'" }'
