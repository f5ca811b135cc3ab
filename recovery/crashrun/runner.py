"""The runner: the cycle loop (load, kill, maybe kill again during recovery, restart, verify), its read helpers
shared by the verification, and the summary it prints at the end.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from .load import Worker
from .process import Server, ServerFailed
from .record import ABSENT, ACKED, HAS_RECORD, NEW, PRESENT, REFUSED, UNKNOWN, State
from .verify import Verifier
from .wire import CONNECT_TIMEOUT, READ_TIMEOUT, new_session

REPO_ROOT = Path(__file__).resolve().parents[2]


class Runner:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
        self.rng = random.Random(self.seed)
        self.run_id = f"r{self.seed:x}-{os.getpid()}"
        self.state = State()
        self.workdir = Path(tempfile.mkdtemp(prefix="tally-crash-"))
        self.data_dir = Path(args.data_dir) if args.data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.fresh = not any(self.data_dir.iterdir())  # then every transaction in it is one of ours
        (self.workdir / "logs").mkdir()
        binary = Path(args.tallyd or os.environ.get("TALLYD") or REPO_ROOT / "build" / "app" / "tallyd")
        self.server = Server(binary, self.data_dir, self.workdir / "logs", args.threads, args.start_timeout,
                             args.wal_segment_mib)
        self.pool = ThreadPoolExecutor(max_workers=max(2, args.clients))
        self.local = threading.local()
        self.verifier = Verifier(self)

    # -- parallel read helpers ------------------------------------------------------------------------------
    def session(self) -> requests.Session:
        s = getattr(self.local, "session", None)
        gen = getattr(self.local, "gen", -1)
        if s is None or gen != self.server.runs:
            if s is not None:
                s.close()
            s = self.local.session = new_session()
            self.local.gen = self.server.runs
        return s

    def get(self, path: str, params=None):
        """A read: retried a few times on a connection problem (the server is up and idle here)."""
        last = ""
        for attempt in range(4):
            try:
                r = self.session().get(self.server.base + path, params=params, timeout=(CONNECT_TIMEOUT, 30))
                try:
                    js = r.json()
                except ValueError:
                    js = None
                with self.state.lock:
                    self.state.c["requests"] += 1
                return r.status_code, js
            except requests.RequestException as e:
                last = repr(e)
                time.sleep(0.2 * (attempt + 1))
        raise ServerFailed(f"GET {path}: no answer after retries: {last}\n{self.server.log_tail()}")

    def parallel(self, fn, items):
        items = list(items)
        if not items:
            return []
        chunks = [items[i::self.args.clients] for i in range(self.args.clients)]
        futures = [self.pool.submit(lambda ch=ch: [fn(x) for x in ch]) for ch in chunks if ch]
        out = []
        for f in futures:
            out.extend(f.result(timeout=3600))
        return out

    # -- one load phase -------------------------------------------------------------------------------------
    def load_and_kill(self, cycle: int):
        st = self.state
        load_for = self.rng.uniform(min(0.3, self.args.load_seconds), self.args.load_seconds)
        stop = threading.Event()
        deadline = time.monotonic() + load_for + 60  # a bound only; the kill comes first
        workers = [Worker(self, t, stop, deadline) for t in range(self.args.clients)]
        before = dict(st.c)
        for w in workers:
            w.start()
        t_end = time.monotonic() + load_for
        while time.monotonic() < t_end:
            if self.server.proc.poll() is not None:
                break
            time.sleep(min(0.05, max(0.0, t_end - time.monotonic())))
        died = self.server.proc.poll()
        if died is not None:
            stop.set()
            for w in workers:
                w.join(timeout=60)
            st.violation(f"tallyd exited by itself during load with code {died}; log tail:\n"
                         f"{self.server.log_tail()}")
            self.server._closed()
        else:
            stop.set()  # no new requests; the ones in flight are cut by the kill
            self.server.kill9()
            st.c["kills_load"] += 1
            for w in workers:
                w.join(timeout=READ_TIMEOUT + CONNECT_TIMEOUT + 10)
        for w in workers:
            if w.is_alive():
                raise ServerFailed(f"client thread {w.name} did not stop")
            if w.error:
                raise ServerFailed(f"client thread {w.name} crashed (runner bug): {w.error}")
        d = {k: st.c[k] - before[k] for k in st.c}
        return load_for, d

    # -- a kill during recovery -----------------------------------------------------------------------------
    def kill_during_recovery(self) -> str:
        """Spawns tallyd and SIGKILLs it while it starts (process.Server.kill_while_recovering); counts the kill."""
        st = self.state
        how, after_replay = self.server.kill_while_recovering(self.args.recovery_kill_mode, self.rng)
        st.c["kills_recovery_after_ready" if after_replay else "kills_recovery_before_ready"] += 1
        st.c["kills_recovery"] += 1
        return how

    # -- main loop ------------------------------------------------------------------------------------------
    def run(self) -> int:
        a = self.args
        st = self.state
        t0 = time.monotonic()
        print(f"crash_runner: seed {self.seed}, cycles {a.cycles}, clients {a.clients}, load up to "
              f"{a.load_seconds}s, tallyd {self.server.binary}, data {self.data_dir}, logs {self.workdir / 'logs'}",
              flush=True)
        if not self.server.binary.exists():
            raise ServerFailed(f"tallyd binary not found at {self.server.binary} (build it or pass --tallyd)")
        took = self.server.start()
        st.c["starts"] += 1
        print(f"started in {took * 1000:.0f} ms", flush=True)
        for cycle in range(1, a.cycles + 1):
            st.cycle = cycle
            load_for, d = self.load_and_kill(cycle)
            rec = ""
            if cycle >= 2 and (cycle == 2 or self.rng.random() < a.recovery_kill_ratio):
                rec = self.kill_during_recovery()
            took = self.server.start()
            st.c["starts"] += 1
            rec_line = re.search(r"recovered .*", self.server.log_text())
            full = cycle == a.cycles or (a.full_every > 0 and cycle % a.full_every == 0)
            v = self.verifier.verify(cycle, full)
            print(f"cycle {cycle}/{a.cycles}: load {load_for:.2f}s {d['requests']} req "
                  f"(+{d['users_acked']} users, {d['tx_sent']} new tx, {d['tx_retries']} retries, "
                  f"{d['tx_200']}x200 {d['tx_402']}x402 {d['tx_ceiling']}x422-ceiling, {d['conflicts_409']}/{d['conflicts_sent']} conflicts 409, "
                  f"{d['unknown_attempts']} unknown) | "
                  f"{'killed in recovery ' + rec + ' | ' if rec else ''}"
                  f"restart {took * 1000:.0f} ms [{rec_line.group(0) if rec_line else '?'}] | "
                  f"verified {'ALL' if full else 'new+sample'}: {v['tx_checked']} tx, {v['users']} users, unknown "
                  f"-> {v['resolved_present']} present / {v['resolved_absent']} absent | "
                  f"violations {len(st.violations)}", flush=True)
            if len(st.violations) >= a.max_violations:
                print(f"stopping early: {len(st.violations)} violations", flush=True)
                break
        code = self.server.terminate()
        log = self.server.log_text()
        if code != 0:
            st.violation(f"SIGTERM: tallyd exited with {code} (expected 0); log tail:\n{self.server.log_tail()}")
        m = re.search(r"users (\d+), transactions (\d+)", log.splitlines()[-1] if log else "")
        if self.fresh and not m and code == 0:
            st.violation(f"tallyd's last line on SIGTERM reports no 'users N, transactions M', so the count cannot "
                         f"be checked; log tail:\n{self.server.log_tail()}")
        if m and self.fresh:
            with st.lock:
                present = sum(1 for t in st.txs.values() if t.status in HAS_RECORD)
            if int(m.group(2)) != present:
                st.violation(f"on SIGTERM tallyd reported {m.group(2)} transactions, {present} known present")
        self.summary(time.monotonic() - t0)
        return 1 if st.violations else 0

    def summary(self, secs: float):
        st = self.state
        c = st.c
        by = {s: 0 for s in (ACKED, PRESENT, REFUSED, ABSENT, UNKNOWN, NEW)}
        for t in st.txs.values():
            by[t.status] += 1
        ever_unknown = sum(1 for t in st.txs.values() if t.ever_unknown)
        print("=" * 100)
        print(f"SUMMARY seed {self.seed}: cycles {st.cycle}, {secs:.0f}s, {c['requests']} requests, "
              f"{c['starts']} starts")
        print(f"  users: {c['users_acked']} acknowledged ({c['users_key_resolved']} by replaying the key of an "
              f"unknown creation), {c['users_unknown']} creations with unknown outcome, "
              f"{c['users_key_replayed']} keyed replays")
        print(f"  transactions: {len(st.txs)} uids, {c['tx_sent'] + c['tx_retries']} sends "
              f"({c['tx_retries']} identical retries, {c['verify_retries']} more after restarts, {c['batches']} batches); "
              f"final state: "
              f"{by[ACKED]} acknowledged, {by[PRESENT]} unknown->present, {by[REFUSED] + by[ABSENT]} absent "
              f"({by[REFUSED]} refused 402, {by[ABSENT]} unknown->absent), {by[UNKNOWN]} unresolved")
        print(f"  answers: {c['tx_200']} x 200, {c['tx_402']} x 402, {c['conflicts_409']}/{c['conflicts_sent']} "
              f"conflicting reuses answered 409, {c['unknown_attempts']} attempts with unknown outcome "
              f"({ever_unknown} uids not acknowledged before; resolved after restart: {c['resolved_present']} present, "
              f"{c['resolved_absent']} absent), {c['not_sent']} refused connections")
        print(f"  kills: {c['kills_load']} during load, {c['kills_recovery']} during recovery "
              f"({c['kills_recovery_before_ready']} before the replay finished, "
              f"{c['kills_recovery_after_ready']} after it, before or as /healthz turned ready); checks: {c['tx_checked']} transaction GETs, ~{c['balance_checks']} balance reads")
        print(f"  limits: {c['tx_ceiling']} deposits refused at the balance ceiling, {c['probes']} edge-case requests "
              f"that must be refused")
        with st.vlock:
            violations = list(st.violations)
        print(f"  violations: {len(violations)}")
        for i, v in enumerate(violations, 1):
            print(f"  VIOLATION {i}/{len(violations)}: {v[:6000]}")
        sys.stdout.flush()

    def cleanup(self, keep: bool):
        self.pool.shutdown(wait=False)
        if self.server.proc is not None:
            self.server.kill9()
        if keep:
            print(f"kept {self.workdir} (data {self.data_dir})", flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self.args.data_dir:
                pass  # a data dir the caller gave is the caller's

