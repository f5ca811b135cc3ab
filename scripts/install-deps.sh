#!/usr/bin/env bash
# Installs every Debian 12 package Tally needs to build and run; with --test also what only the tests need.
# Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential pkg-config meson ninja-build
  libcaf-dev libpistache-dev capnproto libcapnp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libjemalloc-dev
  python3 python3-pytest python3-requests python3-hypothesis
  curl wrk
)
# Test-only: the sanitizer builds (scripts/sanitize.sh) use clang 14 and its sanitizer runtimes; scripts/tidy.sh
# uses clang-tidy 14.
test_packages=(clang-14 libclang-rt-14-dev clang-tidy-14)
[ "${1:-}" = "--test" ] && packages+=("${test_packages[@]}")

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
