#!/usr/bin/env bash
# Configures (once) and builds Tally in release mode into ./build (or $BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" --buildtype=release
fi
ninja -C "$build_dir"
