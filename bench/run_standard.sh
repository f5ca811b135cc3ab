#!/usr/bin/env bash
# The standard Tally benchmark set, in one run on this machine: canned nginx and Pistache ceilings, then tallyd,
# each measured with wrk and tally-loadgen; prints a markdown table with ratios. See bench/README.md.
#
# usage: bench/run_standard.sh [--quick] [--duration SECONDS] [--users N] [--open-rate N] [--with-postgres]
#                              [--keep] [--port-base P]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PERF=${PERF_DIR:-$(cd "$ROOT/.." && pwd)/shared/perf}
[ -d "$PERF" ] || PERF=/work/shared/perf
DUR=8
USERS=10000
OPEN_RATE=auto
WITH_PG=0
KEEP=0
PORT_BASE=18000  # nginx +80, Pistache +112, tallyd +100, FastAPI peer +90, PostgreSQL 15432

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DUR=3 ;;
    --duration) DUR=$2; shift ;;
    --users) USERS=$2; shift ;;
    --open-rate) OPEN_RATE=$2; shift ;;
    --with-postgres) WITH_PG=1 ;;
    --keep) KEEP=1 ;;
    --port-base) PORT_BASE=$2; shift ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 1 ;;
  esac
  shift
done
NGINX_PORT=$((PORT_BASE + 80)); PIST_PORT=$((PORT_BASE + 112)); TALLY_PORT=$((PORT_BASE + 100))
PEER_PORT=$((PORT_BASE + 90)); PG_PORT=15432
BOUND=$((DUR + 30))  # hard limit on any single measuring command
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

TMP=$(mktemp -d /tmp/tally-bench.XXXXXX)
RES=$TMP/results.tsv; : > "$RES"
PIDS=()
PG_STARTED=0

log() { echo "== $*" >&2; }

cleanup() {
  local rc=$?
  set +e
  if [ "$PG_STARTED" = 1 ]; then
    runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$TMP/pg" -m fast -w -t 20 stop >/dev/null 2>&1
  fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then
    echo "raw outputs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }
need_port() { port_free "$1" || { echo "port $1 is in use; pick another --port-base" >&2; exit 1; }; }

# wait_http URL SECONDS: until the URL answers anything
wait_http() {
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt "$end" ]; do
    curl -s -o /dev/null -m 1 "$1" && return 0
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# ---- build ----
log "building tallyd and tally-loadgen"
cd "$ROOT"
(test -d build || meson setup build >/dev/null)
ninja -C build app/tallyd bench/tally-loadgen >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; exit 1; }
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
LG=$BUILD_DIR/bench/tally-loadgen
TALLYD=$BUILD_DIR/app/tallyd

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  log "nginx missing: installing nginx-light (Debian package)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >"$TMP/apt.log" 2>&1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

CACHE=/tmp/tally-bench-cache; mkdir -p "$CACHE"
if ! cmp -s "$PERF/pistache-ceiling.cpp" "$CACHE/pistache-ceiling.cpp" || [ ! -x "$CACHE/pistache-ceiling" ]; then
  log "building the Pistache ceiling"
  cp "$PERF/pistache-ceiling.cpp" "$CACHE/pistache-ceiling.cpp"
  g++ -O2 -std=c++17 "$CACHE/pistache-ceiling.cpp" -o "$CACHE/pistache-ceiling" \
    $(pkg-config --cflags --libs libpistache) -lpthread
fi

# ---- start the servers ----
need_port "$NGINX_PORT"; need_port "$PIST_PORT"; need_port "$TALLY_PORT"
mkdir -p "$TMP/nginx"
sed -e "s#/tmp/anchor-nginx#$TMP/nginx#g" -e "s#127.0.0.1:18080#127.0.0.1:$NGINX_PORT#" \
  "$PERF/nginx-ceiling.conf" >"$TMP/nginx.conf"
"$NGINX" -c "$TMP/nginx.conf" >"$TMP/nginx.out" 2>&1 &
PIDS+=($!)
"$CACHE/pistache-ceiling" "$PIST_PORT" 2 >"$TMP/pistache.out" 2>&1 &
PIDS+=($!)
mkdir -p "$TMP/data"
# Threads: tallyd's defaults (half the cores each for HTTP and actors; TALLY_THREADS / TALLY_ACTOR_THREADS override).
"$TALLYD" --bind 127.0.0.1 --port "$TALLY_PORT" --data-dir "$TMP/data" >"$TMP/tallyd.log" 2>&1 &
TALLY_PID=$!
PIDS+=($TALLY_PID)
wait_http "http://127.0.0.1:$NGINX_PORT/x" 10
wait_http "http://127.0.0.1:$PIST_PORT/x" 10
wait_http "http://127.0.0.1:$TALLY_PORT/healthz" 30

log "set-up: $USERS users through the API"
timeout 300 "$LG" --url "http://127.0.0.1:$TALLY_PORT" --setup-users "$USERS" --setup-only \
  --save-ids "$TMP/ids" --save-uids "$TMP/uids" 2>&1 | sed 's/^/   /' >&2

# ---- measuring helpers ----
N=0
tally_alive() {
  if ! kill -0 "$TALLY_PID" 2>/dev/null; then
    echo "tallyd is not running any more; last log lines:" >&2
    tail -20 "$TMP/tallyd.log" >&2
    exit 1
  fi
}
# run_wrk NAME URL [LUA_SCRIPT [script args...]]
run_wrk() {
  local name=$1 url=$2 script=${3:-}; shift 2; [ $# -gt 0 ] && shift
  N=$((N + 1)); local out=$TMP/$N.wrk.txt
  log "$name: wrk"
  if [ -n "$script" ]; then
    timeout "$BOUND" wrk -t1 -c64 -d"${DUR}s" --latency -s "$script" "$url" -- "$@" >"$out" 2>&1 || true
  else
    timeout "$BOUND" wrk -t1 -c64 -d"${DUR}s" --latency "$url" >"$out" 2>&1 || true
  fi
  printf '%s\twrk\twrk\t%s\n' "$name" "$out" >>"$RES"
}
# run_lg NAME NOTE loadgen-args...
run_lg() {
  local name=$1 note=$2; shift 2
  N=$((N + 1)); local out=$TMP/$N.lg.json
  log "$name: tally-loadgen"
  timeout "$BOUND" "$LG" --connections 64 --threads 1 --duration "${DUR}s" --json "$out" --label "$name" "$@" \
    >"$TMP/$N.lg.txt" 2>&1 || true
  sed 's/^/   /' "$TMP/$N.lg.txt" >&2
  printf '%s\ttally-loadgen\tlg\t%s\t%s\n' "$name" "$out" "$note" >>"$RES"
}
T="http://127.0.0.1:$TALLY_PORT"
IDS=(--load-ids "$TMP/ids" --load-uids "$TMP/uids")

# ---- the standard set ----
run_wrk "canned nginx" "http://127.0.0.1:$NGINX_PORT/x"
run_lg "canned nginx" "" --url "http://127.0.0.1:$NGINX_PORT/x" --workload get
run_wrk "canned Pistache" "http://127.0.0.1:$PIST_PORT/x"
run_lg "canned Pistache" "" --url "http://127.0.0.1:$PIST_PORT/x" --workload get

tally_alive
run_wrk "Tally GET balance" "$T" "$PERF/wrk-balance.lua" "$TMP/ids"
run_lg "Tally GET balance" "" --url "$T" --workload balance "${IDS[@]}"
tally_alive
run_wrk "Tally PUT transaction" "$T" "$PERF/wrk-tx.lua" "$TMP/ids"
run_lg "Tally PUT transaction" "" --url "$T" --workload tx "${IDS[@]}"
TX_RPS=$($PY -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["requests_per_s"]))' \
  "$TMP/$N.lg.json" 2>/dev/null || echo 0)
tally_alive
run_wrk "Tally balance-at-date" "$T" "$ROOT/bench/wrk-workloads.lua" balance-at-date "$TMP/ids"
run_lg "Tally balance-at-date" "" --url "$T" --workload balance-at-date "${IDS[@]}"
tally_alive
run_wrk "Tally get-tx" "$T" "$ROOT/bench/wrk-workloads.lua" get-tx "$TMP/ids" "$TMP/uids"
run_lg "Tally get-tx" "" --url "$T" --workload get-tx "${IDS[@]}"
tally_alive
run_wrk "Tally mixed 80/20" "$T" "$ROOT/bench/wrk-workloads.lua" mixed "$TMP/ids" "$TMP/uids"
run_lg "Tally mixed 80/20" "" --url "$T" --workload mixed "${IDS[@]}"
tally_alive
if [ "$OPEN_RATE" = auto ]; then
  OPEN_RATE=$(( TX_RPS * 8 / 10 / 100 * 100 )); [ "$OPEN_RATE" -ge 100 ] || OPEN_RATE=1000
  OPEN_NOTE="rate = 80% of the closed-loop PUT figure (issue 15: p99 <= 5 ms there)"
else
  OPEN_NOTE="fixed rate"
fi
run_lg "Tally PUT open-loop ${OPEN_RATE}/s" "$OPEN_NOTE" --url "$T" --workload tx --rate "$OPEN_RATE" "${IDS[@]}"
tally_alive
# The same rate from 256 connections: with 64, every connection is busy as soon as the mean latency passes
# 64 / rate (1.2 ms at 52k/s), so a short stall queues sends in the client's pool; this row shows the server's
# tail without that queue (the "late" counts in the log say how many sends waited for a connection).
run_lg "Tally PUT open-loop ${OPEN_RATE}/s, 256 conns" "same rate, 256 connections" --url "$T" --workload tx \
  --rate "$OPEN_RATE" --connections 256 "${IDS[@]}"
tally_alive
# Batches of the sizes users send (1,000-10,000): few connections, since each request carries many items.
run_lg "Tally batch PUT (1,000/req)" "8 connections" --url "$T" --workload batch --batch-size 1000 --connections 8 "${IDS[@]}"
tally_alive
run_lg "Tally batch PUT (10,000/req)" "4 connections" --url "$T" --workload batch --batch-size 10000 --connections 4 "${IDS[@]}"
tally_alive

# ---- optional: PostgreSQL alone and the FastAPI+PostgreSQL peer ----
if [ "$WITH_PG" = 1 ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  missing=()
  [ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || missing+=(postgresql)
  command -v pgbench >/dev/null || missing+=(postgresql-client)
  /usr/bin/python3 -c 'import fastapi, uvicorn, asyncpg' 2>/dev/null ||
    missing+=(python3-fastapi python3-uvicorn python3-asyncpg)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (Debian packages)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
      >"$TMP/apt-pg.log" 2>&1 || { tail -5 "$TMP/apt-pg.log" >&2; exit 1; }
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  need_port "$PG_PORT"; need_port "$PEER_PORT"
  log "starting a scratch PostgreSQL on 127.0.0.1:$PG_PORT"
  mkdir -p "$TMP/pg" "$TMP/pgsock"; chown postgres "$TMP/pg" "$TMP/pgsock"; chmod 755 "$TMP"
  runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$TMP/initdb.log" 2>&1
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $TMP/pgsock -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PG_STARTED=1
  export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres
  psql -q -d postgres -f "$PERF/pg-schema.sql" >/dev/null
  for kind in tx balance; do
    N=$((N + 1))
    log "PostgreSQL $kind: pgbench"
    mkdir -p "$TMP/pgb$N"; chmod 777 "$TMP/pgb$N"
    (cd "$TMP/pgb$N" && timeout "$BOUND" pgbench -n -M prepared -c 16 -j 1 -T "$DUR" -l --log-prefix="$TMP/pgb$N/log" \
      -f "$PERF/pg-$kind.pgbench" postgres >"$TMP/$N.pgbench.txt" 2>&1) || true
    label="PostgreSQL $kind (pgbench -c16)"; [ "$kind" = balance ] && label="PostgreSQL balance read (pgbench -c16)"
    printf '%s\tpgbench\tpgbench\t%s|%s\n' "$label" "$TMP/$N.pgbench.txt" "$TMP/pgb$N/log" >>"$RES"
  done
  log "starting the FastAPI peer on 127.0.0.1:$PEER_PORT"
  (cd "$PERF" && PYTHONDONTWRITEBYTECODE=1 PEER_DSN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres" \
    exec /usr/bin/python3 -m uvicorn fastapi_peer:app --host 127.0.0.1 --port "$PEER_PORT" --log-level warning \
    >"$TMP/peer.log" 2>&1) &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PEER_PORT/v1/user/1/balance" 30
  P="http://127.0.0.1:$PEER_PORT"
  timeout 300 "$LG" --url "$P" --setup-users 2000 --setup-only --save-ids "$TMP/peer-ids" \
    --save-uids "$TMP/peer-uids" 2>&1 | sed 's/^/   /' >&2
  run_wrk "FastAPI+PG GET balance" "$P" "$PERF/wrk-balance.lua" "$TMP/peer-ids"
  run_lg "FastAPI+PG GET balance" "" --url "$P" --workload balance --load-ids "$TMP/peer-ids"
  run_wrk "FastAPI+PG PUT transaction" "$P" "$PERF/wrk-tx.lua" "$TMP/peer-ids"
  run_lg "FastAPI+PG PUT transaction" "" --url "$P" --workload tx --load-ids "$TMP/peer-ids"
fi

# ---- report ----
echo
echo "Tally standard benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, ${DUR} s per measurement," \
  "64 connections, 1 client thread (wrk -t1 -c64 and tally-loadgen -t1 -c64);" \
  "tallyd threads: $(grep -o '[0-9]* HTTP and [0-9]* actor threads[^,]*' "$TMP/tallyd.log" | head -1)," \
  "$USERS users."
echo
$PY "$ROOT/bench/table.py" "$RES"
echo
echo "Ratios compare each row with the same tool's canned-answer figure from this run (pgbench rows: wrk's)."
WARN=$(grep -ciE '\b(warn|warning|error|critical)\b' "$TMP/tallyd.log" || true)
echo "tallyd log: $(wc -l <"$TMP/tallyd.log") lines, $WARN warning/error lines."
if [ "$WARN" != 0 ]; then grep -iE '\b(warn|warning|error|critical)\b' "$TMP/tallyd.log" | head -5 | sed 's/^/    /'; fi
tally_alive
kill -TERM "$TALLY_PID"
TALLY_RC=0; timeout 30 tail --pid="$TALLY_PID" -f /dev/null || true; wait "$TALLY_PID" || TALLY_RC=$?
echo "tallyd stopped by SIGTERM with exit code $TALLY_RC (0 expected)."
