#!/usr/bin/env bash
# Installs every Debian 12 package Tally needs to build, run and test. Idempotent; needs root (or sudo).
#   bash scripts/install-deps.sh          what scripts/run.sh needs (build, run, unit and black-box tests)
#   bash scripts/install-deps.sh --test   also the test-only tools (what scripts/test.sh needs: fuzzing)
set -euo pipefail

packages=(
  build-essential pkg-config meson ninja-build ccache
  libcaf-dev libpistache-dev capnproto libcapnp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libjemalloc-dev libhttp-parser-dev
  python3 python3-pytest python3-requests python3-hypothesis
  curl wrk
)

# Test-only: libFuzzer and the sanitizer runtimes come with clang (scripts/fuzz.sh, scripts/sanitize.sh);
# clang-tidy 14 for scripts/tidy.sh.
# Not needed to run tallyd.
test_packages=(
  clang-14 libclang-rt-14-dev clang-tidy-14
)

case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
