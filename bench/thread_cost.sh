#!/usr/bin/env bash
# tallyd's CPU and context switches per request BY THREAD (HTTP reactor, CAF workers, WAL writer, ...), same-run
# A/B: where a request's cost lands, to compare PUT against GET and one build against another. For each round,
# workload and binary (alternating), starts the binary on a copy of the set-up data, wakes every actor, reads
# /proc/PID/task/*/{stat,status} before and after a bounded closed-loop (or --rate open-loop) load and prints, per
# thread name, CPU µs (utime+stime) and voluntary/involuntary switches per answered request. The load average is
# printed beside each row: on a shared machine compare within a round only.
#
# usage: bench/thread_cost.sh [--users N] [--duration S] [--rounds K] [--workloads "tx balance"] [--rate R]
#                             [--connections C] [--port P] BIN [BIN...]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LG=$ROOT/build/bench/tally-loadgen
USERS=2000; DUR=5; ROUNDS=2; WORKLOADS="tx balance"; RATE=""; CONNS=64; PORT=18760
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --port) PORT=$2; shift ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) BINS+=("$1") ;;
  esac
  shift
done
[ ${#BINS[@]} -gt 0 ] || { echo "give at least one tallyd binary" >&2; exit 1; }
[ -x "$LG" ] || { echo "build $LG first (ninja -C build bench/tally-loadgen)" >&2; exit 1; }

AB_NAME=thread-cost
# shellcheck source=bench/ab_tallyd.sh
source "$ROOT/bench/ab_tallyd.sh"
setup_users 300 -- --save-uids "$TMP/uids"

# one line per thread: tid name cpu_ticks voluntary nonvoluntary
threads() {
  for t in /proc/"$PID"/task/*; do
    local tid=${t##*/} name ticks vol nvol
    name=$(tr ' ' '_' <"$t/comm" 2>/dev/null) || continue
    ticks=$(sed 's/^.*) //' "$t/stat" | awk '{print $12 + $13}') || continue
    vol=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status") || continue
    nvol=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status") || continue
    echo "$tid $name $ticks $vol $nvol"
  done
}

echo "| round | workload | binary | req/s | thread | CPU µs/req | vol sw/req | invol sw/req | load |"
echo "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- |"
order=("${BINS[@]}")
for round in $(seq 1 "$ROUNDS"); do
  for workload in $WORKLOADS; do
    for bin in "${order[@]}"; do
      rm -rf "$TMP/run"; cp -r "$TMP/data" "$TMP/run"
      start "$bin" "$TMP/run"
      timeout 60 "$LG" --url "http://127.0.0.1:$PORT" --workload balance-at-date --duration 1s \
        --load-ids "$TMP/ids" >/dev/null 2>&1 || true
      args=(--workload "$workload" --connections "$CONNS" --threads 1)
      [ -n "$RATE" ] && args+=(--rate "$RATE")
      threads >"$TMP/t0"
      timeout $((DUR + 60)) "$LG" --url "http://127.0.0.1:$PORT" "${args[@]}" --duration "${DUR}s" \
        --load-ids "$TMP/ids" --load-uids "$TMP/uids" --json "$TMP/lg.json" >/dev/null 2>&1 || true
      threads >"$TMP/t1"
      stop
      /usr/bin/python3 - "$round" "$workload" "$bin" "$TMP/t0" "$TMP/t1" "$(getconf CLK_TCK)" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" "$TMP/lg.json" <<'PY'
import json, sys, collections
rnd, workload, binary, p0, p1, tck, load, path = sys.argv[1:]
j = json.load(open(path))
answers = max(sum(j["status"][k] for k in ("2xx", "402", "other_4xx", "5xx")), 1)
def read(p):
    return {l.split()[0]: l.split()[1:] for l in open(p) if l.strip()}
a, b = read(p0), read(p1)
by = collections.defaultdict(lambda: [0.0, 0, 0])
for tid, (name, t, v, n) in b.items():
    t0, v0, n0 = (float(a[tid][1]), int(a[tid][2]), int(a[tid][3])) if tid in a else (0.0, 0, 0)
    g = by[name]; g[0] += float(t) - t0; g[1] += int(v) - v0; g[2] += int(n) - n0
tot = [0.0, 0, 0]
for name, (t, v, n) in sorted(by.items(), key=lambda kv: -kv[1][0]):
    for i, x in enumerate((t, v, n)): tot[i] += x
    if t == 0 and v == 0 and n == 0: continue
    print(f"| {rnd} | {workload} | {binary} | {j['requests_per_s']:.0f} | {name} | {t * 1e6 / float(tck) / answers:.2f} "
          f"| {v / answers:.3f} | {n / answers:.3f} | {load} |")
print(f"| {rnd} | {workload} | {binary} | {j['requests_per_s']:.0f} | **all** | {tot[0] * 1e6 / float(tck) / answers:.2f} "
      f"| {tot[1] / answers:.3f} | {tot[2] / answers:.3f} | {load} |", flush=True)
PY
    done
  done
  # alternate the order every round (A B, then B A)
  rev=(); for ((i=${#order[@]}-1; i>=0; i--)); do rev+=("${order[$i]}"); done; order=("${rev[@]}")
done
