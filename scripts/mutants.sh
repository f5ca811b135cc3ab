#!/usr/bin/env bash
# Mutation testing: plants each bug of tests/mutants/*.toml in a scratch copy of the tree, builds, runs the tests
# that must catch it, and prints killed / survived / stale per mutant with a total. Exit non-zero unless every
# mutant was killed. Usage: scripts/mutants.sh [--quick] [--list] [--all-tests] [-v] [NAME ...]
# (--quick: the CI subset). The checkout is never written; see tests/mutants/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tests/mutants/run.py "$@"
