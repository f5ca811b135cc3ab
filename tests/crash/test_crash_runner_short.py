"""A short run of the crash-recovery runner (recovery/crash_runner.py) against the real tallyd: ~10 cycles of
concurrent load, SIGKILL (mid-load, and during recovery on some cycles), restart and verification.

tallyd: $TALLYD, else build/app/tallyd. Bounded to a few minutes. CRASH_SEED=<n> replays a seed's choices.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "recovery" / "crash_runner.py"
TIMEOUT_S = 240


def test_crash_runner_short(tmp_path):
    tallyd = Path(os.environ.get("TALLYD") or REPO_ROOT / "build" / "app" / "tallyd")
    if not tallyd.exists():
        pytest.fail(f"tallyd not found at {tallyd}: build it (ninja -C build app/tallyd) or set TALLYD",
                    pytrace=False)
    cmd = [sys.executable, str(RUNNER), "--cycles", "10", "--clients", "6", "--load-seconds", "2",
           "--tallyd", str(tallyd), "--start-timeout", "30"]
    if os.environ.get("CRASH_SEED"):
        cmd += ["--seed", os.environ["CRASH_SEED"]]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=TIMEOUT_S, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"crash runner did not finish within {TIMEOUT_S}s:\n{out[-20000:]}", pytrace=False)
    out = proc.stdout.decode(errors="replace")
    print(out[-20000:])
    assert proc.returncode == 0, f"crash runner exited {proc.returncode}:\n{out[-20000:]}"
    assert "violations: 0" in out, out[-20000:]
