#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: install, build, run every unit test
# (GoogleTest), the black-box suite (pytest against the real tallyd binary) and the crash runner, a short fuzz run
# of every libFuzzer target (20 s each, in ./build-fuzz), then the quick mutation-testing subset
# (scripts/mutants.sh --quick: planted bugs the tests must catch). Exits non-zero on any failure. The last lines
# list every skipped test with its reason ("skipped: none" when nothing was skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
bash scripts/build.sh
build_dir="${BUILD_DIR:-build}"
status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 || status=$?
FUZZ_JOBS="${FUZZ_JOBS:-2}" bash scripts/fuzz.sh 20 || status=$?
if [ "${TALLY_SKIP_MUTANTS:-0}" != 1 ]; then  # also after a failure: its own baseline check keeps it honest
  bash scripts/mutants.sh --quick || status=$?
fi
# Skips are visible, never silent: pytest's SKIPPED / XFAIL summary lines and GoogleTest's [  SKIPPED ] lines.
skips=$(grep -hE '^(SKIPPED|XFAIL) |^\[  SKIPPED \] [A-Za-z]' "$build_dir/meson-logs/testlog.txt" 2>/dev/null | sort -u || true)
if [ -n "$skips" ]; then
  echo "skipped or expected to fail: $(printf '%s\n' "$skips" | wc -l) line(s):"
  printf '  %s\n' "$skips"
else
  echo "skipped: none"
fi
exit "$status"
