"""The command line of the crash runner (recovery/crash_runner.py): options, cluster-mode dispatch
(recovery/crash_cluster.py), and the exit status rules.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

from .process import ServerFailed
from .runner import REPO_ROOT, Runner


def build_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--data-dir", default=None, help="default: a fresh temp dir, removed at the end unless --keep")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (data and tallyd logs)")
    p.add_argument("--load-seconds", type=float, default=3.0, help="load runs a random time up to this, then kill")
    p.add_argument("--tallyd", default=None, help="default: $TALLYD, else build/app/tallyd")
    p.add_argument("--threads", type=int, default=2, help="tallyd --threads")
    p.add_argument("--wal-segment-mib", type=int, default=None,
                   help="tallyd --wal-segment-mib (1..64; small segments make the run rotate and seal under kill -9)")
    p.add_argument("--max-users", type=int, default=60, help="create users eagerly up to this many, rarely beyond")
    p.add_argument("--verify-sample", type=int, default=400,
                   help="transactions from earlier cycles re-checked per restart (besides all new ones)")
    p.add_argument("--full-every", type=int, default=10, help="re-check every transaction every N cycles (and last)")
    p.add_argument("--verify-retries", type=int, default=20, help="identical retries after each restart")
    p.add_argument("--recovery-kill-ratio", type=float, default=0.2,
                   help="share of cycles with an extra kill during recovery (cycle 2 always has one)")
    p.add_argument("--recovery-kill-mode", choices=("mixed", "delay", "replay", "ready"), default="mixed",
                   help="when to kill during recovery: a random delay, inside the WAL replay, as /healthz turns "
                        "ready, or a random one of these each time")
    p.add_argument("--start-timeout", type=float, default=60.0)
    p.add_argument("--max-violations", type=int, default=50, help="stop after this many")
    p.add_argument("--skip-probe", action="append", default=[], metavar="TEXT",
                   help="do not send the edge-case probes whose description contains TEXT (for a run that is about "
                        "something else against a build with a known bug there); repeatable")
    p.add_argument("--shards", type=int, default=1,
                   help="N > 1: cluster mode (recovery/crash_cluster.py): N shards, random shards killed each cycle")
    return p


def main(argv=None, description: str = "Crash-recovery runner for tallyd.") -> int:
    p = build_parser(description)
    a = p.parse_args(argv)
    if a.cycles < 1 or a.clients < 1 or a.load_seconds <= 0:
        p.error("--cycles and --clients must be >= 1, --load-seconds > 0")
    if a.shards > 1:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recovery/, beside crash_cluster.py
        from crash_cluster import run_cluster
        binary = Path(a.tallyd or os.environ.get("TALLYD") or REPO_ROOT / "build" / "app" / "tallyd")
        seed = a.seed if a.seed is not None else random.randrange(1 << 30)
        return run_cluster(binary, a.shards, a.cycles, a.clients, a.load_seconds, seed, a.keep)
    runner = Runner(a)
    failed = True
    try:
        code = runner.run()
        failed = code != 0
        return code
    except ServerFailed as e:
        # Runner trouble (tallyd would not start, a client thread hung): reported, but violations found before it
        # are the evidence and decide the exit status.
        print(f"FAILED: {e}", flush=True)
        runner.summary(0)
        return 1 if runner.state.violations else 2
    except Exception:  # a runner bug: say so, and still report what was found before it
        import traceback
        print(f"RUNNER BUG (not a tallyd violation):\n{traceback.format_exc()}", flush=True)
        runner.summary(0)
        return 1 if runner.state.violations else 2
    finally:
        runner.cleanup(a.keep or failed)

