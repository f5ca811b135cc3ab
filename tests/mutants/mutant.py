#!/usr/bin/env python3
"""One mutant: a planted bug that breaks one named invariant, and the tests that must catch it.

A mutant is a TOML file in tests/mutants/ (the file name, less .toml, is its name):

    invariant = "409 on changed content: a retry that changes only the client timestamp"
    file = "ledger/records.hpp"             # relative to the repository root
    original = '''
               timestamp_given == other.timestamp_given && (!timestamp_given || at == other.at);'''
    replacement = '''
               timestamp_given == other.timestamp_given;'''
    tests = ["unit:ledger_service:LedgerService.RetryThatChangesOnlyTheTimestampConflicts",
             "pytest:tests/blackbox/test_exactly_once.py -k timestamp",
             "crash:4"]
    quick = true                              # part of `scripts/mutants.sh --quick` (CI)
    timeout = 120                             # seconds per test command (optional; a hang counts as caught)

The snippet is applied by exact string match (no line numbers): it must occur exactly once in the file, else
the mutant is STALE, which is a failure to fix (the code moved on: update the snippet), never a silent skip.
Tests, cheapest first:
    unit:BINARY[:GTEST_FILTER]     tests/unit/test_BINARY, optionally only the tests the filter selects
    pytest:ARGS                    /usr/bin/python3 -m pytest ARGS (paths relative to the repository root)
    crash:CYCLES[:RUNNER ARGS]     recovery/crash_runner.py with that many cycles

`python3 tests/mutants/mutant.py apply MUTANT.toml SOURCE OUTPUT` writes SOURCE with the mutant applied to
OUTPUT, its first line a marker saying whether it was applied (meson builds a mutant tallyd this way).
"""
from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MUTANTS_DIR = Path(__file__).resolve().parent
APPLIED_MARKER = "// tally-mutant applied: "
STALE_MARKER = "// tally-mutant STALE: "
TEST_KINDS = ("unit", "pytest", "crash")


class MutantFormatError(Exception):
    pass


@dataclass
class Mutant:
    name: str
    path: Path
    invariant: str
    file: str
    original: str
    replacement: str
    tests: list[str]
    quick: bool = False
    timeout: float = 300.0
    extra: dict = field(default_factory=dict)

    def apply_to(self, text: str) -> tuple[str | None, str]:
        """(mutated text, "") or (None, why it is stale)."""
        n = text.count(self.original)
        if n == 0:
            return None, f"snippet not found in {self.file}"
        if n > 1:
            return None, f"snippet found {n} times in {self.file} (must be exactly once)"
        return text.replace(self.original, self.replacement, 1), ""


def load(path: Path) -> Mutant:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MutantFormatError(f"{path}: {e}") from e
    missing = [k for k in ("invariant", "file", "original", "replacement", "tests") if k not in data]
    if missing:
        raise MutantFormatError(f"{path}: missing {', '.join(missing)}")
    if not data["original"] or data["original"] == data["replacement"]:
        raise MutantFormatError(f"{path}: original must be non-empty and differ from replacement")
    tests = data["tests"]
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise MutantFormatError(f"{path}: tests must be a non-empty list of strings")
    for t in tests:
        if t.split(":", 1)[0] not in TEST_KINDS:
            raise MutantFormatError(f"{path}: test {t!r} is not one of {', '.join(k + ':' for k in TEST_KINDS)}")
    known = {"invariant", "file", "original", "replacement", "tests", "quick", "timeout"}
    return Mutant(name=path.stem, path=path, invariant=data["invariant"], file=data["file"],
                  original=data["original"], replacement=data["replacement"], tests=tests,
                  quick=bool(data.get("quick", False)), timeout=float(data.get("timeout", 300)),
                  extra={k: v for k, v in data.items() if k not in known})


def load_all(directory: Path = MUTANTS_DIR) -> list[Mutant]:
    return [load(p) for p in sorted(Path(directory).glob("*.toml"))]


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "apply":
        print(__doc__, file=sys.stderr)
        return 2
    mutant = load(Path(argv[1]))
    text = Path(argv[2]).read_text()
    mutated, why = mutant.apply_to(text)
    out = (f"{APPLIED_MARKER}{mutant.name}\n{mutated}" if mutated is not None
           else f"{STALE_MARKER}{mutant.name}: {why}\n{text}")
    Path(argv[3]).write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
