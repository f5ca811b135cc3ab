#!/usr/bin/env python3
"""Crash-recovery runner for tallyd.

For --cycles N on one data dir: start tallyd, drive concurrent load from --clients threads (new users, deposits,
withdrawals some of which are refused, backdated transactions, identical retries, conflicting uid reuse), kill
the process with SIGKILL at a random moment (mostly mid-load; on some cycles again during the recovery at the
next start), restart it and check everything the server says against what the clients saw:

- every acknowledged user exists with its name (and a keyed creation retried gives the same user);
- every acknowledged transaction is present with identical content; every refused uid (402, never later
  acknowledged) is absent; a request whose outcome is unknown (connection error, killed mid-flight) may be
  present or absent but, if present, exactly once with exactly the sent content;
- each user's balance, now and at a set of dates, equals the recomputation from the transactions present;
- recomputed balances are never negative, nor above the ceiling, at any transaction timestamp;
- edge cases are refused with 422 and never stored (an offset moving an instant out of years 1..9999, year 9999,
  an amount over the cap), and deposits at the amount cap, at the first instant of year 1 and up to the balance
  ceiling are accepted or refused by the rule.

Timestamps: none (server clock), or instants in 2023, in any year from 1 to now, in the first days of year 1, in the
last days, or exactly an instant sent before (colliding); written as naive UTC, with Z, or at an offset
-14:00..+14:00.
- a retry of an acknowledged uid returns the original record and changes no balance;
- the transaction count tallyd reports on recovery equals the number of transactions known to be present.

The code is the package recovery/crashrun/ (money_time, record, wire, process, load, verify, runner, cli); this
file is the entry point that tests, mutants and docs call. Only Debian's python3 and python3-requests. All traffic
stays on 127.0.0.1; every loop is bounded.
Exit status: 0 = no violation, 1 = violations (each printed when found and again in the summary, also when
runner trouble follows them), 2 = tallyd failed to start / runner trouble with no violation before it.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # recovery/: the crashrun package (also when imported)

from crashrun.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(description=__doc__.split("\n\n")[0]))
