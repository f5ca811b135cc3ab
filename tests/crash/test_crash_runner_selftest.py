"""The crash runner catches what it claims: against a tallyd with a planted bug (tests/mutants/
conflict-always-replays.toml: a reused uid with other content is answered 200 as a retry instead of 409), it must
report the violation with its evidence and exit 1, within a bound — not hang, not exit 2 with "violations: 0".

The mutant tallyd is built by meson (tests/meson.build): $TALLYD_MUTANT_CONFLICT, its generated source
$MUTANT_CONFLICT_SOURCE (whose first line says whether the mutant applied). CRASH_SEED=<n> replays a seed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "recovery" / "crash_runner.py"
TIMEOUT_S = 180


def mutant_binary() -> Path:
    binary = os.environ.get("TALLYD_MUTANT_CONFLICT")
    source = os.environ.get("MUTANT_CONFLICT_SOURCE")
    if not binary or not source:
        pytest.fail("TALLYD_MUTANT_CONFLICT / MUTANT_CONFLICT_SOURCE not set: run through `meson test` (the mutant "
                    "tallyd is built by tests/meson.build)", pytrace=False)
    first = Path(source).read_text().splitlines()[0]
    if not first.startswith("// tally-mutant applied: "):
        pytest.fail(f"the mutant did not apply, so this tallyd has no planted bug: {first} — update "
                    f"tests/mutants/conflict-always-replays.toml to the current code", pytrace=False)
    if not Path(binary).exists():
        pytest.fail(f"mutant tallyd not found at {binary}", pytrace=False)
    return Path(binary)


def test_runner_reports_the_planted_409_bug_and_exits_1(tmp_path):
    binary = mutant_binary()
    # Many conflicting reuses per cycle (the bug shows on each), several cycles so that the violations are found
    # during load, with the state lock held, where the runner used to deadlock.
    cmd = [sys.executable, str(RUNNER), "--cycles", "4", "--clients", "6", "--load-seconds", "1.5",
           "--tallyd", str(binary), "--start-timeout", "30"]
    if os.environ.get("CRASH_SEED"):
        cmd += ["--seed", os.environ["CRASH_SEED"]]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=TIMEOUT_S, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"the crash runner hung on a build with a planted bug (no exit within {TIMEOUT_S}s):\n"
                    f"{out[-20000:]}", pytrace=False)
    out = proc.stdout.decode(errors="replace")
    print(out[-20000:])
    assert proc.returncode == 1, f"expected exit 1 (violations), got {proc.returncode}:\n{out[-20000:]}"
    assert "did not stop" not in out, out[-20000:]
    m = re.search(r"^  violations: (\d+)$", out, re.M)
    assert m and int(m.group(1)) >= 1, out[-20000:]
    # The evidence: the conflicting body, the 200 it got, and the acknowledged record it should have matched.
    found = re.findall(r"VIOLATION \d+/\d+: \[cycle \d+\] conflicting reuse of acknowledged uid (\S+) with (.*) "
                       r"answered 200 .*\(expected 409\); uid=\1 body=.* state=(acked|present) record=\{.*", out)
    assert found, f"the summary does not list the 409 violation with its evidence:\n{out[-20000:]}"
    assert "RUNNER BUG" not in out, out[-20000:]
    kept = re.search(r"^kept (/\S*tally-crash-\S+) ", out, re.M)  # the runner keeps a failed run's dir: expected here
    if kept:
        shutil.rmtree(kept.group(1), ignore_errors=True)
