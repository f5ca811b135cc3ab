# Sourced by the same-run A/B benches (batch_cost.sh, hop_cost.sh): one tallyd at a time on $PORT, its scratch
# in $TMP (removed on exit, the server stopped), and the process counters they divide by the answers.
# Before sourcing: PORT, AB_NAME (names the scratch folder). After: start BIN DATA [ARGS...], stop, cpu_ticks,
# switches, setup_users; $TMP, $PID.
TMP=$(mktemp -d "/tmp/tally-$AB_NAME.XXXXXX")
PID=""
ab_cleanup() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap ab_cleanup EXIT

# start BIN DATA [ARGS...]: tallyd in the background on PORT, until /readyz answers (bounded: 60 s)
start() {
  local bin=$1 data=$2; shift 2
  "$bin" --bind 127.0.0.1 --port "$PORT" --data-dir "$data" --log-level warn "$@" >"$TMP/tallyd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null -m 1 "http://127.0.0.1:$PORT/readyz" && return 0; sleep 0.1; done
  echo "tallyd did not come up" >&2; tail -5 "$TMP/tallyd.log" >&2; exit 1
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }
# utime+stime of the server so far, in clock ticks (getconf CLK_TCK a second)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# voluntary + involuntary context switches of all the server's threads so far
switches() { cat /proc/"$PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
# setup_users TIMEOUT_S [START_ARGS...] -- [LOADGEN_ARGS...]: USERS funded users made once in $TMP/data by ${BINS[0]},
# their ids saved in $TMP/ids (LG, USERS, BINS from the caller)
setup_users() {
  local timeout_s=$1; shift
  local start_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do start_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  echo "== setting up $USERS users with ${BINS[0]}" >&2
  mkdir -p "$TMP/data"
  start "${BINS[0]}" "$TMP/data" "${start_args[@]}"
  timeout "$timeout_s" "$LG" --url "http://127.0.0.1:$PORT" --setup-users "$USERS" --setup-only --fund-batch 1000 \
    --connections 16 --save-ids "$TMP/ids" "$@" >&2
  stop
}
