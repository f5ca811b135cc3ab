#!/usr/bin/env bash
# Runs clang-tidy 14 with the repository's .clang-tidy over Tally's own sources (and, through HeaderFilterRegex,
# their headers); exits non-zero on any finding (WarningsAsErrors: '*'). Needs only the compile database and
# the generated Cap'n Proto headers, not a build. rest/http_server.* and rest/responder.* are skipped while the
# HTTP edge is rewritten. Files to check may be given as arguments (default: all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test > /dev/null
build_dir="${TIDY_BUILD_DIR:-build-tidy}"
if [ ! -f "$build_dir/compile_commands.json" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$build_dir" --buildtype=debug > /dev/null
fi
ninja -C "$build_dir" wal/wal_record.capnp.h snapshot/snapshot.capnp.h > /dev/null

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.cpp' | grep -Ev '^rest/(http_server|responder)\.cpp$')
fi
# run-clang-tidy takes regexes: anchor each path so "money.cpp" does not also pick "test_money.cpp".
patterns=()
for f in "${files[@]}"; do patterns+=("/$(printf '%s' "$f" | sed 's/[.+]/\\&/g')\$"); done
started=$SECONDS
status=0
run-clang-tidy-14 -p "$build_dir" -j "${TIDY_JOBS:-2}" -quiet "${patterns[@]}" > "$build_dir/tidy.log" 2>&1 || status=$?
# The log repeats each header finding once per file that includes it; show each finding once.
grep -E '(warning|error): ' "$build_dir/tidy.log" | sort -u || true
echo "tidy.sh: ${#files[@]} files in $((SECONDS - started)) s; $( (grep -E '(warning|error): ' "$build_dir/tidy.log" || true) | sort -u | wc -l) distinct findings (log: $build_dir/tidy.log)"
exit "$status"
