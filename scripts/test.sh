#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a full test run: install, build, run every unit test
# (GoogleTest) and the black-box suite (pytest against the real tallyd binary). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
meson test -C "${BUILD_DIR:-build}" --print-errorlogs --num-processes 2
