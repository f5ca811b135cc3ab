#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: install, build, run every unit test
# (GoogleTest), the black-box suite (pytest against the real tallyd binary) and a short fuzz run of every
# libFuzzer target (20 s each, two at a time, in ./build-fuzz). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
bash scripts/build.sh
meson test -C "${BUILD_DIR:-build}" --print-errorlogs --num-processes 2
FUZZ_JOBS="${FUZZ_JOBS:-2}" bash scripts/fuzz.sh 20
