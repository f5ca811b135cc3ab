#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, ./build-fuzz) and runs every target defined in
# fuzz/meson.build for SECONDS each, seeded from fuzz/corpus/<target>/. Exits non-zero on any finding and
# prints where the reproducer is. Usage:
#   bash scripts/fuzz.sh SECONDS [TARGET...]      e.g.  bash scripts/fuzz.sh 20;  bash scripts/fuzz.sh 600 fuzz_money
# Environment: FUZZ_RUNS=N stops each target after N executions instead (SECONDS still caps the time, 0 = none);
# FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_WORK_DIR keeps new inputs and artefacts (default: a new
# directory under /tmp); FUZZ_BUILD_DIR (default build-fuzz). Needs clang-14: bash scripts/install-deps.sh --test
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-1}"
work_dir="${FUZZ_WORK_DIR:-$(mktemp -d /tmp/tally-fuzz.XXXXXX)}"
mkdir -p "$work_dir"

command -v clang++-14 >/dev/null || { echo "fuzz: clang++-14 missing: bash scripts/install-deps.sh --test" >&2; exit 2; }
# Quiet unless it fails.
quietly() {
  local output
  if ! output="$("$@" 2>&1)"; then
    echo "$output" >&2
    echo "fuzz: failed: $*" >&2
    exit 2
  fi
}
if [ ! -f "$build_dir/build.ninja" ]; then
  quietly env CC=clang-14 CXX=clang++-14 meson setup "$build_dir" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false --buildtype=debugoptimized
fi
quietly ninja -C "$build_dir" -j2

# Every executable defined in fuzz/meson.build whose name starts with fuzz_ is a target.
mapfile -t all_targets < <(meson introspect "$build_dir" --targets | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["defined_in"].endswith("fuzz/meson.build") and t["name"].startswith("fuzz_"):
        print(t["name"] + " " + t["filename"][0])')
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for entry in "${all_targets[@]}"; do targets+=("${entry%% *}"); done
fi

binary_of() {
  for entry in "${all_targets[@]}"; do
    [ "${entry%% *}" = "$1" ] && { echo "${entry#* }"; return 0; }
  done
  echo "fuzz: no target $1 in fuzz/meson.build" >&2
  return 1
}

run_one() {
  local name="$1" binary="$2" dir="$work_dir/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts" "fuzz/corpus/$name"
  local limits=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  [ -n "${FUZZ_RUNS:-}" ] && limits+=(-runs="$FUZZ_RUNS")
  # New inputs go to the scratch corpus (first directory); the repository's seeds are only read.
  if "$binary" "${limits[@]}" -artifact_prefix="$dir/artifacts/" "$dir/corpus" "fuzz/corpus/$name" \
      >"$dir/log" 2>&1; then
    echo 0 >"$dir/status"
  else
    echo 1 >"$dir/status"
  fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each${FUZZ_RUNS:+ or $FUZZ_RUNS runs}, $jobs at a time; work dir $work_dir"
running=0
for name in "${targets[@]}"; do
  binary="$(binary_of "$name")"
  run_one "$name" "$binary" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for name in "${targets[@]}"; do
  dir="$work_dir/$name"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)"
  if [ "$(cat "$dir/status")" = 0 ]; then
    printf 'fuzz: %-30s ok      %12s runs  %8s exec/s  %6s new inputs\n' "$name" "${runs:-?}" "${rate:-?}" \
      "$(find "$dir/corpus" -type f | wc -l)"
  else
    failed=1
    printf 'fuzz: %-30s FINDING (log: %s)\n' "$name" "$dir/log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|FUZZ_CHECK)|runtime error' "$dir/log" | head -5 | sed 's/^/      /'
    for artifact in "$dir"/artifacts/*; do
      [ -e "$artifact" ] && echo "      reproduce: $(binary_of "$name") $artifact"
    done
  fi
done
exit "$failed"
