"""A short cluster-mode run of the crash runner (recovery/crash_runner.py --shards 3, recovery/crash_cluster.py):
3 shards on loopback, random shards SIGKILLed under load through every pod, restarted, and everything the cluster
says checked against what the clients saw (acknowledged users and transactions, cluster-wide uid uniqueness,
retries of unknown outcomes, balances never negative). tallyd: $TALLYD, else build/app/tallyd.
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


def test_crash_runner_cluster_short(tmp_path):
    tallyd = Path(os.environ.get("TALLYD") or REPO_ROOT / "build" / "app" / "tallyd")
    if not tallyd.exists():
        pytest.fail(f"tallyd not found at {tallyd}: build it or set TALLYD", pytrace=False)
    cmd = [sys.executable, str(RUNNER), "--shards", "3", "--cycles", "4", "--clients", "4", "--load-seconds", "2",
           "--tallyd", str(tallyd)]
    if os.environ.get("CRASH_SEED"):
        cmd += ["--seed", os.environ["CRASH_SEED"]]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=TIMEOUT_S, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"cluster crash runner did not finish within {TIMEOUT_S}s:\n"
                    f"{(e.stdout or b'').decode(errors='replace')[-20000:]}", pytrace=False)
    out = proc.stdout.decode(errors="replace")
    print(out[-20000:])
    assert proc.returncode == 0, f"cluster crash runner exited {proc.returncode}:\n{out[-20000:]}"
    assert "violations: 0" in out and "cycle 4:" in out, out[-20000:]
