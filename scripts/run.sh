#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running server: install, build, run tallyd on
# port 8000 with ./data (override with TALLY_PORT, TALLY_DATA_DIR, ... or flags after the script name).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec ./build/app/tallyd "$@"
