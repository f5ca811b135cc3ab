#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: install, build, then
#   1. the release build: every unit test (GoogleTest), the black-box suite (pytest against the real tallyd) and
#      the crash runner with its self-test;
#   2. the unit tests and the black-box suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#      (scripts/sanitize.sh);
#   3. the unit tests and the black-box suite again under ThreadSanitizer (scripts/sanitize.sh thread, in
#      ./build-tsan);
#   4. a short fuzz run of every libFuzzer target (scripts/fuzz.sh 20: 20 s each, in ./build-fuzz);
#   5. the quick mutation-testing subset (scripts/mutants.sh --quick: planted bugs the tests must catch).
# Exits non-zero on any failure or sanitizer finding; every step runs even after an earlier one failed. The last
# lines list every skipped test with its reason ("skipped: none" when nothing was skipped).
#   SANITIZE unset               all of the above (what CI runs)
#   SANITIZE=none                step 1, 4 and 5 (no sanitizer pass)
#   SANITIZE=address,undefined   the ASan+UBSan pass only
#   SANITIZE=thread              the ThreadSanitizer pass only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
mode="${SANITIZE:-all}"
case "$mode" in
  address,undefined | thread) exec bash scripts/sanitize.sh "$mode" ;;
  all | none) ;;
  *) echo "test.sh: SANITIZE must be unset, none, address,undefined or thread (got '$mode')" >&2; exit 2 ;;
esac

build_dir="${BUILD_DIR:-build}"
# A build directory configured by the run command alone predates GoogleTest: configure again to find it.
if [ -f "$build_dir/build.ninja" ]; then meson setup --reconfigure "$build_dir" >/dev/null; fi
bash scripts/build.sh
status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 || status=$?
# Keep the release pass's log for the skip summary before the other steps run.
cp "$build_dir/meson-logs/testlog.txt" "$build_dir/testlog-release.txt" 2>/dev/null || true
[ "$mode" = none ] || bash scripts/sanitize.sh address,undefined || status=$?
[ "$mode" = none ] || bash scripts/sanitize.sh thread || status=$?
FUZZ_JOBS="${FUZZ_JOBS:-2}" bash scripts/fuzz.sh 20 || status=$?
if [ "${TALLY_SKIP_MUTANTS:-0}" != 1 ]; then  # also after a failure: its own baseline check keeps it honest
  bash scripts/mutants.sh --quick || status=$?
fi
# Skips are visible, never silent: pytest's SKIPPED / XFAIL summary lines and GoogleTest's [  SKIPPED ] lines.
skips=$(grep -hE '^(SKIPPED|XFAIL) |^\[  SKIPPED \] [A-Za-z]' "$build_dir/testlog-release.txt" 2>/dev/null | sort -u || true)
if [ -n "$skips" ]; then
  echo "skipped or expected to fail: $(printf '%s\n' "$skips" | wc -l) line(s):"
  printf '  %s\n' "$skips"
else
  echo "skipped: none"
fi
[ "$status" -eq 0 ] && echo "test.sh: every step passed" || echo "test.sh: FAILED (exit $status)"
exit "$status"
