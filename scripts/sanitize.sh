#!/usr/bin/env bash
# Builds Tally with sanitizers (clang 14: its runtime writes UBSan reports to log_path too, GCC's does not) into
# a build dir of its own and runs tests under them. Any finding fails the run, also one in a tallyd that a
# black-box test stopped without checking its exit code: every report goes to a file, and any file is a failure.
#   scripts/sanitize.sh address,undefined   build-asan: unit tests and the black-box suite
#   scripts/sanitize.sh thread              build-tsan: unit tests and the black-box suite (CAF, Pistache and capnp
#                                           are not instrumented: tests/tsan.supp)
# SANITIZE_SUITES="unit" (or "blackbox") picks the meson suites instead. The black-box suite against a TSan tallyd
# takes ~9 minutes on 2 cores (since session 10 in the test command's TSan pass); its meson timeout is stretched.
# Suppressions (third-party internals only, each with its reason): tests/lsan.supp, tests/tsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh address,undefined|thread}"
case "$kind" in
  address,undefined) build_dir=build-asan; suites=(--suite unit --suite blackbox) ;;
  thread) build_dir=build-tsan; suites=(--suite unit --suite blackbox) ;;
  *) echo "sanitize.sh: unknown sanitizer set '$kind'" >&2; exit 2 ;;
esac
if [ -n "${SANITIZE_SUITES:-}" ]; then
  suites=()
  for suite in $SANITIZE_SUITES; do suites+=(--suite "$suite"); done
fi
build_dir="${SANITIZE_BUILD_DIR:-$build_dir}"

if [ ! -f "$build_dir/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$build_dir" --buildtype=debugoptimized \
    -Db_sanitize="$kind" -Db_lundef=false
fi
ninja -C "$build_dir" -j "${NINJA_JOBS:-2}"

reports="$PWD/$build_dir/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
supp="$PWD/tests"
# halt_on_error: the first finding ends the process (UBSan is also built with -fno-sanitize-recover=all).
# Only the set's own options: with UBSAN_OPTIONS also set, a TSan report went to a file named ubsan.PID.
if [ "$kind" = thread ]; then
  # detect_deadlocks=1: lock-order inversions are reported too. clang 14's checker aborts (CHECK failed:
  # sanitizer_deadlock_detector.h:67, then the process hangs) when one thread holds more than 64 mutexes
  # (llvm/llvm-project#57007), so no Tally path may: TxIndex::stage_bulk takes one shard lock at a time (it held
  # all 64 until session 9, when this was off), and no TxIndex path holds two locks.
  export TSAN_OPTIONS="halt_on_error=1:detect_deadlocks=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp:print_suppressions=0:log_path=$reports/tsan"
  # GoogleTest death tests run their child by re-executing the test binary, not by a bare fork: TSan refuses to
  # start threads (an actor system) in a child forked from a process that still has some ("starting new threads
  # after multi-threaded fork is not supported").
  export GTEST_DEATH_TEST_STYLE=threadsafe
else
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
fi
export TALLY_SANITIZE="$kind"  # the black-box suite widens its memory bounds: ASan holds freed memory a while

# A TSan tallyd runs 5-15x slower than a release one: the black-box suite's 15-minute meson timeout (made for the
# release pass) gets 3x, so a busy CI machine does not cut a passing run short.
timeouts=()
[ "$kind" = thread ] && timeouts=(--timeout-multiplier 3)
status=0
meson test -C "$build_dir" --no-rebuild --print-errorlogs --num-processes 2 "${timeouts[@]}" "${suites[@]}" ||
  status=$?
if compgen -G "$reports/*" > /dev/null; then
  echo "sanitize.sh: $kind findings:" >&2
  for f in "$reports"/*; do
    echo "===== $f" >&2
    cat "$f" >&2
  done
  status=1
fi
[ "$status" -eq 0 ] && echo "sanitize.sh: $kind: no findings"
exit "$status"
