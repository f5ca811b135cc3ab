#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: install, build, run every unit test (GoogleTest),
# the black-box suite (pytest against the real tallyd binary) and the crash runner on a release build, then the
# unit tests and the black-box suite again under AddressSanitizer + UndefinedBehaviorSanitizer
# (scripts/sanitize.sh). Both passes run even if the first fails; exits non-zero on any failure or finding.
#   SANITIZE unset               both passes (what CI runs)
#   SANITIZE=none                the release pass only
#   SANITIZE=address,undefined   the ASan+UBSan pass only
#   SANITIZE=thread              a ThreadSanitizer build running the unit tests only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
mode="${SANITIZE:-both}"
status=0
case "$mode" in
  both | none)
    bash scripts/build.sh
    meson test -C "${BUILD_DIR:-build}" --print-errorlogs --num-processes 2 || status=$?
    [ "$mode" = none ] || bash scripts/sanitize.sh address,undefined || status=$?
    ;;
  address,undefined | thread) bash scripts/sanitize.sh "$mode" || status=$? ;;
  *) echo "test.sh: SANITIZE must be unset, none, address,undefined or thread (got '$mode')" >&2; exit 2 ;;
esac
exit "$status"
