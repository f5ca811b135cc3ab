#!/usr/bin/env bash
# Installs every Debian 12 package and npm package Tally needs to build, run and test. Idempotent; needs root (or
# sudo) when a Debian package is missing.
#   bash scripts/install-deps.sh          what scripts/run.sh needs (build and run tallyd), with
#                                         Swagger UI's files for /docs (npm ci in rest/docs_ui: built into tallyd)
#   bash scripts/install-deps.sh --test   also the test-only tools (what scripts/test.sh needs: fuzzing, the
#                                         OpenAPI validator in tests/tools, JSON Schema checks, headless Chromium)
# npm packages are pinned by each folder's package-lock.json and go into its git-ignored node_modules/.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config meson ninja-build
  libcaf-dev libpistache-dev capnproto libcapnp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libjemalloc-dev libhttp-parser-dev prometheus-cpp-dev libssl-dev
  libboost-dev          # header-only: boost::container::small_vector (actors/user_actor.hpp)
  libcurl4-openssl-dev  # shard/peer_client (a clustered tallyd's peer HTTP client) and tally-relay's long-polls
  libnats-dev           # tally-relay (relay/): publishes the change feed to NATS JetStream
  python3 curl
)

# Test-only: GoogleTest, pytest with requests and hypothesis, wrk and valgrind (bench/; bench/auth_cost.sh counts
# instructions with callgrind), ccache (scripts/mutants.sh rebuilds a
# scratch tree per mutant); libFuzzer and the sanitizer runtimes come with clang (scripts/fuzz.sh, scripts/sanitize.sh);
# clang-tidy 14 for scripts/tidy.sh; JSON Schema validation of every answer the black-box suite receives against
# rest/openapi.json; a headless browser that loads /docs (tests/blackbox/test_api_document.py); promtool (Debian
# prometheus) checks a /metrics scrape and k8s/monitoring/'s alert rules (test_metrics.py, test_monitoring.py);
# YAML for the rendered Kubernetes manifests (tests/k8s/) and buildah, podman and debootstrap for the opt-in
# container image test (tests/k8s/test_image.py, meson suite "image"); a NATS server with JetStream for
# tally-relay's tests (tests/blackbox/test_relay.py).
# Not needed to run tallyd.
test_packages=(
  libgtest-dev libgmock-dev python3-pytest python3-requests python3-hypothesis wrk valgrind ccache
  clang-14 libclang-rt-14-dev clang-tidy-14
  python3-jsonschema chromium prometheus nats-server
  python3-yaml buildah podman debootstrap
)

# Folders whose package-lock.json npm ci installs: rest/docs_ui (swagger-ui-dist, which the build embeds into
# tallyd, so running needs it) and, for tests, tests/tools (@apidevtools/swagger-parser; kubernetes-models, the
# Kubernetes schema validators for tests/k8s/).
npm_dirs=(rest/docs_ui)

case "${1:-}" in
  --test) packages+=("${test_packages[@]}"); npm_dirs+=(tests/tools) ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

# Node.js and npm fetch those: from Debian unless a node and an npm are already there (e.g. a newer Node.js).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

# kubectl: its built-in kustomize renders k8s/ in tests/k8s/. Debian's kubernetes-client (kubectl 1.20, kustomize
# v2.0.3; the manifests are written to render the same with it and with v5) unless a kubectl is already on PATH
# (e.g. a newer one from the Kubernetes apt repository: kept, not replaced).
if [ "${1:-}" = --test ] && ! command -v kubectl >/dev/null; then
  packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci (exactly the lock, no install scripts) unless node_modules already holds what the lock names: a stamp
# with the lock's hash is written after a complete install.
for dir in "${npm_dirs[@]}"; do
  stamp="$dir/node_modules/.tally-lock.sha256"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "install-deps: $dir/node_modules is up to date"
    continue
  fi
  echo "install-deps: npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
done
