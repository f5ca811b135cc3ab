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

Only Debian's python3 and python3-requests. All traffic stays on 127.0.0.1; every loop is bounded.
Exit status: 0 = no violation, 1 = violations (each printed when found and again in the summary, also when
runner trouble follows them), 2 = tallyd failed to start / runner trouble with no violation before it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 20.0
JSON_HEADERS = {"Content-Type": "application/json"}

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
Y2023_START = 1672531200 * 1_000_000  # 2023-01-01T00:00:00Z in microseconds
Y2023_END = 1704067200 * 1_000_000    # 2024-01-01T00:00:00Z
# ledger/limits.hpp: timestamps 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z (and at most 5 minutes ahead of
# the server clock), amounts 0.01..10^13 units (10^15 cents), every balance within 0..10^15 units (10^17 cents).
UTC_MIN = -62_135_596_800 * 1_000_000
AMOUNT_MAX = 10 ** 15
BALANCE_MAX = 10 ** 17
OFFSET_MINUTES_MAX = 14 * 60  # UTC offsets sent: -14:00..+14:00
# dates at which every user's balance is checked (plus "now", no date, and one per-user boundary date)
CHECK_DATES = ["0001-01-01T00:00:00", "0001-01-01T12:00:00+05:30", "1969-12-31T23:59:59.999999",
               "2022-12-31T23:59:59", "2023-02-01T00:00:00", "2023-04-15T12:30:00-14:00", "2023-07-01T00:00:00",
               "2023-09-30T23:59:59.999999", "2023-12-31T23:59:59+14:00", "9999-12-31T23:59:59.999999"]
# Edge cases each cycle sends once: requests that must be refused with 422 (and never stored), as
# (what, body changes, accepted error codes). A zone offset may not move an instant out of years 1..9999.
INVALID_PROBES = [
    ("an offset that moves year 1 before year 1", {"timestamp": "0001-01-01T00:00:00+01:00"}, ("invalid_timestamp",)),
    ("an offset that moves year 1 before year 1", {"timestamp": "0001-01-01T13:59:59.999999+14:00"},
     ("invalid_timestamp",)),
    ("year 9999 (beyond the 5-minute skew)", {"timestamp": "9999-12-31T23:59:59.999999Z"},
     ("timestamp_in_future", "invalid_timestamp")),
    ("an offset that moves 9999 past year 9999", {"timestamp": "9999-12-31T23:59:59-14:00"},
     ("timestamp_in_future", "invalid_timestamp")),
    ("an amount one cent over the cap", {"amount": "10000000000000.01"}, ("invalid_amount",)),
]

# transaction states
NEW, ACKED, PRESENT, REFUSED, ABSENT, UNKNOWN = "new", "acked", "present", "refused", "absent", "unknown"
HAS_RECORD = (ACKED, PRESENT)
MUST_BE_ABSENT = (REFUSED, ABSENT)


# ------------------------------------------------------------------------------------------------------------
# money and time (integer cents, integer microseconds)
# ------------------------------------------------------------------------------------------------------------

def cents_text(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def text_cents(text) -> int | None:
    if not isinstance(text, str):
        return None
    m = re.fullmatch(r"(\d+)\.(\d\d)", text)
    return int(m.group(1)) * 100 + int(m.group(2)) if m else None


def micros_of(t: dt.datetime) -> int:
    d = t - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def from_micros(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def parse_server_ts(text) -> int | None:
    """The server's form: YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z (UTC). Returns microseconds or None if malformed."""
    if not isinstance(text, str):
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        return None
    try:
        base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    frac = (m.group(2) or "").ljust(6, "0")[:6]
    return micros_of(base) + int(frac or 0)


def parse_client_ts(text: str) -> int:
    """The forms this runner sends: naive UTC, or with Z, or with a +HH:MM offset."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return micros_of(t.astimezone(dt.timezone.utc))


def format_client_ts(us: int, style: int, offset_minutes: int = 180) -> str:
    """The instant us as naive UTC (0), with Z (1) or in local time at a UTC offset (2; naive UTC instead if the
    local date would leave years 1..9999, which 4-digit years cannot write)."""
    t = from_micros(us)
    if style == 1:
        return t.replace(tzinfo=None).isoformat() + "Z"
    if style == 2:
        try:
            return t.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes))).isoformat()
        except OverflowError:
            pass
    return t.replace(tzinfo=None).isoformat()


def now_micros() -> int:
    return micros_of(dt.datetime.now(dt.timezone.utc))


def signed(body: dict) -> int:
    c = text_cents(body["amount"])
    return c if body["type"] == "DEPOSIT" else -c


# ------------------------------------------------------------------------------------------------------------
# bookkeeping
# ------------------------------------------------------------------------------------------------------------

class Tx:
    __slots__ = ("uid", "body", "ts_sent", "status", "record", "ack_mono", "cycle", "history", "attempts",
                 "dirty", "ever_unknown")

    def __init__(self, uid: str, body: dict, cycle: int):
        self.uid = uid
        self.body = body
        self.ts_sent = parse_client_ts(body["timestamp"]) if "timestamp" in body else None
        self.status = NEW
        self.record: dict | None = None
        self.ack_mono = 0.0
        self.cycle = cycle
        self.history: list[str] = []
        self.attempts = 0
        self.dirty = True  # touched since the last check against the server
        self.ever_unknown = False


class User:
    __slots__ = ("id", "name", "key", "cycle", "est", "dirty")

    def __init__(self, uid: int, name: str, key: str | None, cycle: int):
        self.id = uid
        self.name = name
        self.key = key
        self.cycle = cycle
        self.est = 0  # client-side estimate of the balance (for choosing withdrawal amounts)
        self.dirty = True


class State:
    def __init__(self, max_history: int = 12):
        self.lock = threading.Lock()
        # violation() is called with self.lock held (and without): it must never take self.lock itself.
        self.vlock = threading.Lock()
        self.users: dict[int, User] = {}
        self.user_ids: list[int] = []
        self.txs: dict[str, Tx] = {}
        self.tx_uids: list[str] = []        # answered at least once (candidates for retries)
        self.pending_keys: list[tuple[str, str]] = []  # keyed creations with unknown outcome: (key, name)
        self.violations: list[str] = []
        self.max_history = max_history
        self.cycle = 0
        self.c = dict(requests=0, users_acked=0, users_unknown=0, users_key_resolved=0, users_key_replayed=0,
                      tx_sent=0, tx_retries=0, tx_200=0, tx_402=0, unknown_attempts=0, not_sent=0,
                      conflicts_sent=0, conflicts_409=0, resolved_present=0, resolved_absent=0,
                      verify_retries=0, kills_load=0, kills_recovery=0, kills_recovery_before_ready=0,
                      kills_recovery_after_ready=0, starts=0, tx_checked=0, balance_checks=0, batches=0,
                      tx_ceiling=0, probes=0)
        self.probes: list[tuple[str, str]] = []  # (uid, what): refused edge-case requests, must never be stored

    def violation(self, text: str):
        """Records and prints one violation with its evidence. Safe with or without self.lock held."""
        line = f"[cycle {self.cycle}] {text}"
        with self.vlock:
            self.violations.append(line)
        print(f"VIOLATION {line}", flush=True)

    def note(self, tx: Tx, text: str):
        tx.history.append(f"c{self.cycle} {text}")
        if len(tx.history) > self.max_history:
            del tx.history[1:2]  # keep the first attempt and the latest ones

    def describe(self, tx: Tx) -> str:
        return (f"uid={tx.uid} body={json.dumps(tx.body, ensure_ascii=False)} state={tx.status} "
                f"record={json.dumps(tx.record)} history=[{'; '.join(tx.history)}]")


def record_problems(rec, body: dict, ts_sent: int | None) -> list[str]:
    """What is wrong with a transaction record answered for body (empty if it matches)."""
    if not isinstance(rec, dict):
        return [f"record is not an object: {rec!r}"]
    out = []
    if rec.get("uid") != body["uid"]:
        out.append(f"uid {rec.get('uid')!r} != {body['uid']!r}")
    if rec.get("user_id") != body["user_id"]:
        out.append(f"user_id {rec.get('user_id')!r} != {body['user_id']!r}")
    if rec.get("type") != body["type"]:
        out.append(f"type {rec.get('type')!r} != {body['type']!r}")
    if rec.get("amount") != body["amount"]:
        out.append(f"amount {rec.get('amount')!r} != {body['amount']!r}")
    ts = parse_server_ts(rec.get("timestamp"))
    if ts is None:
        out.append(f"malformed timestamp {rec.get('timestamp')!r}")
    elif ts_sent is not None and ts != ts_sent:
        out.append(f"timestamp {rec.get('timestamp')!r} != sent {body['timestamp']!r}")
    return out


def error_code(js) -> str | None:
    if isinstance(js, dict) and isinstance(js.get("error"), dict):
        return js["error"].get("code")
    return None


# ------------------------------------------------------------------------------------------------------------
# the server process
# ------------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerFailed(Exception):
    pass


class Server:
    def __init__(self, binary: Path, data_dir: Path, log_dir: Path, threads: int, start_timeout: float):
        self.binary = binary
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.threads = threads
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.runs = 0
        self.log_path: Path | None = None
        self._log = None
        self.ready_times: list[float] = []

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def spawn(self):
        assert self.proc is None
        self.runs += 1
        self.port = free_port()
        self.log_path = self.log_dir / f"tallyd-run{self.runs:03d}.log"
        self._log = open(self.log_path, "wb")
        cmd = [str(self.binary), "--bind", HOST, "--port", str(self.port), "--data-dir", str(self.data_dir),
               "--threads", str(self.threads)]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.spawned_at = time.monotonic()

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            with new_session() as s:
                return s.get(self.base + "/healthz", timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    def start(self) -> float:
        """Spawns and waits for /healthz; returns the seconds it took. Retries a port clash a few times."""
        for _attempt in range(4):
            self.spawn()
            deadline = self.spawned_at + self.start_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.healthy():
                    took = time.monotonic() - self.spawned_at
                    self.ready_times.append(took)
                    return took
                time.sleep(0.01)
            code = self.proc.poll()
            if code is None:
                self.proc.kill()
                code = self.proc.wait()
            self._closed()
            tail = self.log_tail()
            if code != 0 and re.search(r"cannot listen|address already in use", tail, re.I):
                continue
            raise ServerFailed(f"tallyd did not become ready within {self.start_timeout}s "
                               f"(exit code {code}); log {self.log_path}:\n{tail}")
        raise ServerFailed(f"tallyd could not listen on a free port; log {self.log_path}:\n{self.log_tail()}")

    def kill9(self) -> int:
        assert self.proc is not None
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = self.proc.wait(timeout=30)
        self._closed()
        return code

    def terminate(self, timeout: float = 30.0) -> int | None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self._closed()
        return code

    def _closed(self):
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])


# ------------------------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------------------------

def new_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # no proxies: everything goes straight to 127.0.0.1
    return s


def send(session: requests.Session, method: str, url: str, body=None, headers=None):
    """Returns (status, parsed JSON or None, error text). status None = outcome unknown;
    status 'not_sent' = the connection was refused (the request never reached a server)."""
    h = dict(JSON_HEADERS)
    if headers:
        h.update(headers)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    try:
        r = session.request(method, url, data=data, headers=h if data is not None else headers,
                            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        content = r.content
    except requests.RequestException as e:
        text = repr(e)
        if "NewConnectionError" in text:  # connect() failed: nothing was sent
            return "not_sent", None, text[:200]
        return None, None, text[:200]
    try:
        js = json.loads(content) if content else None
    except ValueError:
        if r.status_code in (200, 201):
            return None, None, f"unparsable {r.status_code} body {content[:120]!r}"
        js = None
    return r.status_code, js, ""


# ------------------------------------------------------------------------------------------------------------
# load
# ------------------------------------------------------------------------------------------------------------

class Worker(threading.Thread):
    def __init__(self, runner: "Runner", tid: int, stop: threading.Event, deadline: float):
        super().__init__(daemon=True, name=f"client-{tid}")
        self.r = runner
        self.st = runner.state
        self.tid = tid
        self.stop = stop
        self.deadline = deadline
        self.rng = random.Random(runner.rng.random())
        self.session = new_session()
        self.base = runner.server.base
        self.recent: deque[str] = deque(maxlen=40)
        self.recent_ts: deque[int] = deque(maxlen=40)  # instants sent lately: reused to make them collide
        self.edges_due = tid == 0  # client 0 sends the cycle's edge cases first
        self.k = 0
        self.error: str | None = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set() and time.monotonic() < self.deadline and n < 1_000_000:
                n += 1
                self.step()
        except Exception as e:  # a runner bug: report it, never hang
            import traceback
            self.error = f"{e!r}\n{traceback.format_exc()}"
        finally:
            self.session.close()

    # -- choosing -------------------------------------------------------------------------------------------
    def step(self):
        st = self.st
        if self.edges_due:
            with st.lock:
                have_users = bool(st.user_ids)
            if have_users:
                self.edges_due = False
                return self.edges()
        with st.lock:
            n_users = len(st.user_ids)
            pending = st.pending_keys.pop() if st.pending_keys and self.rng.random() < 0.5 else None
        if pending:
            return self.create_user(*pending, replay=True)
        # users up to --max-users early on, then a trickle (so that creations are cut by kills too)
        want_users = max(0.005, 0.15 * (1 - n_users / self.r.args.max_users)) if n_users >= 3 else 1.0
        if self.rng.random() < want_users:
            return self.create_user()
        if self.rng.random() < 0.06:
            return self.batch()
        x = self.rng.random()
        if x < 0.36:
            return self.new_tx("DEPOSIT")
        if x < 0.72:
            return self.new_tx("WITHDRAW")
        if x < 0.82 and self.recent:
            return self.retry(self.rng.choice(self.recent))
        if x < 0.90:
            with st.lock:
                uid = self.rng.choice(st.tx_uids) if st.tx_uids else None
            if uid:
                return self.retry(uid)
        if x < 0.95:
            return self.conflict()
        if x < 0.97:
            return self.replay_user()
        return self.new_tx("DEPOSIT")

    # -- users ----------------------------------------------------------------------------------------------
    def create_user(self, key: str | None = None, name: str | None = None, replay: bool = False):
        st = self.st
        self.k += 1
        if name is None:
            name = f"crash c{st.cycle} t{self.tid} n{self.k} Юзер"
            if self.rng.random() < 0.4:
                key = f"crash-{self.r.run_id}-c{st.cycle}-t{self.tid}-n{self.k}"
        status, js, err = send(self.session, "POST", self.base + "/v1/user", {"name": name},
                               {"Idempotency-Key": key} if key else None)
        with st.lock:
            st.c["requests"] += 1
        if status == "not_sent":
            if key:
                with st.lock:
                    st.pending_keys.append((key, name))
            return
        if status is None:
            with st.lock:
                st.c["users_unknown"] += 1
                if key:
                    st.pending_keys.append((key, name))
            return
        if status != 201 or not isinstance(js, dict):
            return st.violation(f"POST /v1/user name={name!r} key={key!r}: expected 201, got {status} {js}")
        if (not isinstance(js.get("id"), int) or js["id"] <= 0 or js.get("name") != name
                or (js.get("balance") != "0.00" and not replay)):
            return st.violation(f"POST /v1/user name={name!r} key={key!r}: bad answer {js}")
        with st.lock:
            u = st.users.get(js["id"])
            if u is not None:
                if not (key and u.key == key):
                    st.violation(f"POST /v1/user name={name!r} key={key!r} answered id {js['id']} which already "
                                 f"belongs to acknowledged user {u.name!r} (key {u.key!r}, cycle {u.cycle})")
                return
            st.users[js["id"]] = User(js["id"], name, key, st.cycle)
            st.user_ids.append(js["id"])
            st.c["users_acked"] += 1
            if replay:
                st.c["users_key_resolved"] += 1

    def replay_user(self):
        """Re-POST an acknowledged keyed creation: must answer the same user."""
        st = self.st
        with st.lock:
            keyed = [u for u in (st.users.get(self.rng.choice(st.user_ids)) for _ in range(5)) if u and u.key] \
                if st.user_ids else []
        if not keyed:
            return
        u = keyed[0]
        status, js, err = send(self.session, "POST", self.base + "/v1/user", {"name": u.name},
                               {"Idempotency-Key": u.key})
        with st.lock:
            st.c["requests"] += 1
            st.c["users_key_replayed"] += 1
        if status in (None, "not_sent"):
            return
        if status != 201 or not isinstance(js, dict) or js.get("id") != u.id or js.get("name") != u.name:
            st.violation(f"replay of keyed creation key={u.key!r} name={u.name!r} (acknowledged as id {u.id} in "
                         f"cycle {u.cycle}) answered {status} {js}")

    # -- transactions ---------------------------------------------------------------------------------------
    def pick_user(self) -> User | None:
        with self.st.lock:
            if not self.st.user_ids:
                return None
            # a few hot users get most of the traffic: concurrent writers on one user
            ids = self.st.user_ids
            if self.rng.random() < 0.3:
                return self.st.users[ids[self.rng.randrange(min(len(ids), 4))]]
            return self.st.users[self.rng.choice(ids)]

    def pick_timestamp(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.4:
            return None  # server clock
        y = rng.random()
        if y < 0.12 and self.recent_ts:
            us = rng.choice(self.recent_ts)  # the very instant of an earlier transaction (maybe another offset)
        else:
            if y < 0.65:
                us = rng.randrange(Y2023_START, Y2023_END)
            elif y < 0.82:
                us = rng.randrange(UTC_MIN, now_micros() - 600_000_000)  # any year from 1 to now
            elif y < 0.90:
                us = UTC_MIN + rng.randrange(0, 2 * 86_400_000_000)  # the first two days of year 1
            else:
                us = now_micros() - rng.randrange(60_000_000, 3 * 86_400_000_000)  # the last days
            if rng.random() < 0.6:
                us -= us % 1_000_000  # whole seconds mostly
        self.recent_ts.append(us)
        offset = rng.choice((rng.randrange(-OFFSET_MINUTES_MAX, OFFSET_MINUTES_MAX + 1),
                             rng.randrange(-56, 57) * 15, rng.choice((-OFFSET_MINUTES_MAX, OFFSET_MINUTES_MAX))))
        return format_client_ts(us, rng.choice((0, 0, 1, 2, 2)), offset)

    # -- edge cases, once a cycle ---------------------------------------------------------------------------
    def edges(self):
        """Requests at the limits: ones that must be refused with 422 (and never stored), deposits at the amount
        cap at the first instant of year 1 (also through an offset), and a batch of deposits at the cap for the
        first user, which drives its balance to the ceiling (10^15.00) over a few cycles: refused with 422
        balance_too_large from then on."""
        st = self.st
        u = self.pick_user()
        for i, (what, change, codes) in enumerate(INVALID_PROBES):
            if any(text in what for text in self.r.args.skip_probe):
                continue
            uid = f"{self.r.run_id}-probe-c{st.cycle}-{i}"
            body = {"uid": uid, "type": "DEPOSIT", "amount": "1.00", "user_id": u.id, **change}
            status, js, err = send(self.session, "PUT", self.base + "/v1/transaction", body)
            with st.lock:
                st.c["requests"] += 1
                st.c["probes"] += 1
                st.probes.append((uid, f"{what}: {json.dumps(body)}"))
            if status in (None, "not_sent"):
                continue  # killed meanwhile: still must never be stored (checked after the restart)
            if status != 422 or error_code(js) not in codes:
                st.violation(f"{what}: {json.dumps(body)} answered {status} {js or err}, expected 422 "
                             f"{' or '.join(codes)}")
        for ts in ("0001-01-01T00:00:00", "0001-01-01T00:00:00-14:00", "0001-01-01T00:00:00.000001Z"):
            tx = self.make_tx("DEPOSIT", cents=self.rng.choice((1, AMOUNT_MAX)), timestamp=ts)
            if tx is None:
                return
            self.put(tx)
            self.remember_sent([tx])
        with st.lock:
            rich = st.users[st.user_ids[0]]
        txs = [self.make_tx("DEPOSIT", user=rich, cents=AMOUNT_MAX) for _ in range(self.rng.randint(20, 101))]
        self.send_batch(txs)

    def new_tx(self, type_: str):
        tx = self.make_tx(type_)
        if tx is None:
            return self.create_user()
        self.put(tx)
        self.remember_sent([tx])

    def remember_sent(self, txs):
        with self.st.lock:
            for tx in txs:
                if tx.attempts == 1:
                    self.st.tx_uids.append(tx.uid)
        self.recent.extend(tx.uid for tx in txs)

    def batch(self):
        """PUT /v1/transactions with 2-20 new transactions: each item must be answered like the single endpoint."""
        txs = [t for t in (self.make_tx(self.rng.choice(("DEPOSIT", "WITHDRAW"))) for _ in range(self.rng.randint(2, 20)))
               if t is not None]
        if not txs:
            return self.create_user()
        self.send_batch(txs)

    def send_batch(self, txs):
        sent_at = time.monotonic()
        status, js, err = send(self.session, "PUT", self.base + "/v1/transactions", [t.body for t in txs])
        with self.st.lock:
            self.st.c["batches"] += 1
        if status == 200 and (not isinstance(js, list) or len(js) != len(txs)):
            with self.st.lock:
                self.st.violation(f"batch of {len(txs)} answered {str(js)[:300]}")
            return
        for i, tx in enumerate(txs):
            if status == 200:
                item = js[i]
                item_status = item.get("status")
                item_js = item.get("transaction") if item_status == 200 else item
                self.answered(tx, "PUT(batch)", item_status, item_js, "", sent_at, "batch item")
            else:
                self.answered(tx, "PUT(batch)", status, js, err, sent_at, "batch")
        self.remember_sent(txs)

    def make_tx(self, type_: str, user: User | None = None, cents: int | None = None, timestamp: str | None = None):
        u = user or self.pick_user()
        if u is None:
            return None
        if cents is not None:
            pass
        elif type_ == "DEPOSIT":
            cents = self.rng.choice((self.rng.randint(1, 99), self.rng.randint(100, 50_000),
                                     self.rng.randint(100, 50_000), self.rng.randint(50_000, 2_000_000)))
            if self.rng.random() < 0.01:
                cents = AMOUNT_MAX
        else:
            est = max(u.est, 0)
            x = self.rng.random()
            if x < 0.55 and est > 0:
                cents = self.rng.randint(1, min(est, AMOUNT_MAX))
            elif x < 0.8:
                cents = min(self.rng.randint(est + 1, est * 2 + 10_000), AMOUNT_MAX)  # very likely refused
            else:
                cents = self.rng.randint(1, 5_000)
        self.k += 1
        uid = f"{self.r.run_id}-c{self.st.cycle}-t{self.tid}-{self.k}"
        body = {"uid": uid, "type": type_, "amount": cents_text(cents), "user_id": u.id}
        ts = timestamp or self.pick_timestamp()
        if ts is not None:
            body["timestamp"] = ts
        tx = Tx(uid, body, self.st.cycle)
        with self.st.lock:
            self.st.txs[uid] = tx
            self.st.c["tx_sent"] += 1
        return tx

    def retry(self, uid: str):
        with self.st.lock:
            tx = self.st.txs[uid]
            self.st.c["tx_retries"] += 1
        self.put(tx, retry=True)

    def put(self, tx: Tx, retry: bool = False):
        sent_at = time.monotonic()
        method = "PUT" if self.rng.random() < 0.9 else "POST"
        status, js, err = send(self.session, method, self.base + "/v1/transaction", tx.body)
        self.answered(tx, method, status, js, err, sent_at, "retry" if retry else "send")

    def answered(self, tx: Tx, method: str, status, js, err: str, sent_at: float, what: str):
        """Checks one answer for tx (a single PUT's, or one batch item's) and records what it says."""
        st = self.st
        with st.lock:
            st.c["requests"] += 1
            if status == "not_sent":
                st.c["not_sent"] += 1
                if tx.attempts == 0:  # never reached a server: forget it entirely
                    st.txs.pop(tx.uid, None)
                    st.c["tx_sent"] -= 1
                return
            tx.attempts += 1
            tx.dirty = True
            if status is None:
                st.note(tx, f"{what}: no answer ({err[:80]})")
                st.c["unknown_attempts"] += 1
                if tx.status not in HAS_RECORD:
                    tx.status = UNKNOWN
                    tx.ever_unknown = True
                return
            if status == 200:
                st.c["tx_200"] += 1
                st.note(tx, f"{what}: 200")
                probs = record_problems(js, tx.body, tx.ts_sent)
                if probs:
                    st.violation(f"{method} /v1/transaction answered 200 with a record that does not match the "
                                 f"request: {'; '.join(probs)}; answer={js}; {st.describe(tx)}")
                    return
                if tx.status in HAS_RECORD:
                    if js != tx.record:
                        st.violation(f"identical {what} of uid {tx.uid} answered a different record {js} "
                                     f"(original {tx.record}); {st.describe(tx)}")
                    return
                tx.status = ACKED
                tx.record = js
                tx.ack_mono = time.monotonic()
                u = st.users.get(tx.body["user_id"])
                if u:
                    u.est += signed(tx.body)
                    u.dirty = True
                return
            # refusals by the balance rule: 402 below zero, 422 above the ceiling (a deposit only)
            refusal = {402: "insufficient_funds", 422: "balance_too_large"}.get(status)
            if refusal and (status == 402 or (tx.body["type"] == "DEPOSIT" and error_code(js) == refusal)):
                st.c["tx_402" if status == 402 else "tx_ceiling"] += 1
                st.note(tx, f"{what}: {status}")
                if error_code(js) != refusal:
                    st.violation(f"{status} without code {refusal}: {js}; {st.describe(tx)}")
                if tx.status in HAS_RECORD:
                    if sent_at > tx.ack_mono:
                        st.violation(f"identical {what} of acknowledged uid {tx.uid} was refused with {status} "
                                     f"{js}; {st.describe(tx)}")
                    return  # a concurrent copy judged before the accepted one: legitimate
                if tx.status in (NEW, ABSENT, REFUSED):
                    tx.status = REFUSED
                return  # UNKNOWN stays unknown until a restart resolves it
            st.note(tx, f"{what}: {status} {error_code(js)}")
            st.violation(f"identical {what} answered {status} {js}; {st.describe(tx)}")

    def conflict(self):
        """Reuse an acknowledged uid with different content: must be 409 with the existing record."""
        st = self.st
        with st.lock:
            tx = None
            for _ in range(8):
                if not st.tx_uids:
                    break
                cand = st.txs.get(self.rng.choice(st.tx_uids))
                if cand is not None and cand.status in HAS_RECORD:
                    tx = cand
                    break
            if tx is None:
                return
            other = self.rng.choice(st.user_ids)
        body = dict(tx.body)
        x = self.rng.random()
        if x < 0.4:
            cents = text_cents(body["amount"])
            change = self.rng.randint(1, 500)
            body["amount"] = cents_text(cents + change if cents + change <= AMOUNT_MAX or cents <= change
                                        else cents - change)
        elif x < 0.7:
            body["type"] = "WITHDRAW" if body["type"] == "DEPOSIT" else "DEPOSIT"
        elif x < 0.85 and other != body["user_id"]:
            body["user_id"] = other
        elif "timestamp" in body:
            body["timestamp"] = format_client_ts(tx.ts_sent + 1_000_000, 0)
        else:
            cents = text_cents(body["amount"])
            body["amount"] = cents_text(cents + 1 if cents < AMOUNT_MAX else cents - 1)
        status, js, err = send(self.session, "PUT", self.base + "/v1/transaction", body)
        with st.lock:
            st.c["requests"] += 1
            st.c["conflicts_sent"] += 1
            if status in (None, "not_sent"):
                st.note(tx, f"conflicting reuse {json.dumps(body)}: no answer")
                return
            st.note(tx, f"conflicting reuse {json.dumps(body)}: {status}")
            if status == 409:
                st.c["conflicts_409"] += 1
                if error_code(js) != "uid_conflict" or js.get("existing") != tx.record:
                    st.violation(f"409 for conflicting reuse {body} should carry code uid_conflict and the "
                                 f"existing record {tx.record}, got {js}")
                return
            st.violation(f"conflicting reuse of acknowledged uid {tx.uid} with {json.dumps(body)} answered "
                         f"{status} {js} (expected 409); {st.describe(tx)}")


# ------------------------------------------------------------------------------------------------------------
# the runner
# ------------------------------------------------------------------------------------------------------------

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
        self.server = Server(binary, self.data_dir, self.workdir / "logs", args.threads, args.start_timeout)
        self.pool = ThreadPoolExecutor(max_workers=max(2, args.clients))
        self.local = threading.local()

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
            code = self.server.kill9()
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
        """Spawns tallyd and SIGKILLs it while it starts: after a random delay up to the last start-up time,
        inside the WAL replay (timed from its 'recovering from' log line), or just as /healthz turns ready."""
        st = self.state
        srv = self.server
        est = srv.ready_times[-1] if srv.ready_times else 0.05
        m = re.findall(r"recovered .* in ([0-9.]+) ms", srv.log_text())  # the last start's replay time
        replay_s = float(m[-1]) / 1000 if m else 0.005
        mode = self.args.recovery_kill_mode
        if mode == "mixed":
            mode = self.rng.choice(("delay", "replay", "ready"))
        srv.spawn()
        deadline = srv.spawned_at + self.args.start_timeout
        if mode == "delay":
            delay = self.rng.uniform(0.0, est * 1.1)
            time.sleep(delay)
            how = f"at +{delay * 1000:.1f} ms (random; last start took {est * 1000:.0f} ms)"
        elif mode == "replay":
            delay = self.rng.uniform(0.0, replay_s * 1.2)
            while time.monotonic() < deadline and srv.proc.poll() is None and "recovering from" not in srv.log_text():
                time.sleep(0.0002)
            time.sleep(delay)
            how = f"{delay * 1000:.1f} ms into the replay (last replay took {replay_s * 1000:.1f} ms)"
        else:
            ready = False
            while time.monotonic() < deadline and srv.proc.poll() is None:
                if srv.healthy(timeout=0.5):
                    ready = True
                    break
                time.sleep(0.002)
            how = (f"as /healthz turned ready (+{(time.monotonic() - srv.spawned_at) * 1000:.0f} ms)"
                   if ready else "before ready (never became ready)")
        if srv.proc.poll() is not None:
            code = srv.proc.poll()
            tail = srv.log_tail()
            srv._closed()
            raise ServerFailed(f"tallyd exited with {code} during recovery before the kill; log:\n{tail}")
        srv.kill9()
        log = srv.log_text()
        if "recovered " in log:
            phase = "after the replay"
            st.c["kills_recovery_after_ready"] += 1
        else:
            phase = "during the replay" if "recovering from" in log else "before the replay started"
            st.c["kills_recovery_before_ready"] += 1
        st.c["kills_recovery"] += 1
        return f"{how}: {phase}"

    # -- verification ---------------------------------------------------------------------------------------
    def verify(self, cycle: int, full: bool) -> dict:
        st = self.state
        rng = self.rng
        out = dict(resolved_present=0, resolved_absent=0, tx_checked=0, users=0)
        # 1. resolve every unknown transaction; check the acknowledged/refused ones that changed + a sample
        with st.lock:
            unknown = [t for t in st.txs.values() if t.status == UNKNOWN]
            known = [t for t in st.txs.values() if t.status in HAS_RECORD + MUST_BE_ABSENT]
            new = [t for t in st.txs.values() if t.status == NEW]
        for t in new:  # sent, never answered, never failed: cannot happen once the workers are joined
            st.violation(f"runner: transaction left in state new: {st.describe(t)}")
        if full:
            check = known
        else:
            dirty = [t for t in known if t.dirty]
            clean = [t for t in known if not t.dirty]
            check = dirty + rng.sample(clean, min(len(clean), self.args.verify_sample))

        def resolve(t: Tx):
            status, js = self.get("/v1/transaction/" + quote(t.uid, safe=""))
            return t, status, js

        for t, status, js in self.parallel(resolve, unknown):
            if status == 200:
                probs = record_problems(js, t.body, t.ts_sent)
                if probs:
                    st.violation(f"unknown-outcome transaction is present with different content: "
                                 f"{'; '.join(probs)}; found {js}; {st.describe(t)}")
                t.status, t.record, t.ack_mono = PRESENT, js, time.monotonic()
                st.note(t, "after restart: present")
                out["resolved_present"] += 1
                u = st.users.get(t.body["user_id"])
                if u:
                    u.est += signed(t.body)
            elif status == 404:
                t.status = ABSENT
                st.note(t, "after restart: absent")
                out["resolved_absent"] += 1
            else:
                st.violation(f"GET /v1/transaction/{t.uid} answered {status} {js}; {st.describe(t)}")
            t.dirty = False
        for t, status, js in self.parallel(resolve, check):
            if t.status in HAS_RECORD:
                if status == 404:
                    st.violation(f"LOST: {t.status} transaction not found after restart; {st.describe(t)}")
                elif status != 200 or js != t.record:
                    st.violation(f"{t.status} transaction changed after restart: GET answered {status} {js}, "
                                 f"acknowledged {t.record}; {st.describe(t)}")
            else:
                if status == 200:
                    st.violation(f"refused transaction (402, never acknowledged) is present after restart: "
                                 f"{js}; {st.describe(t)}")
                    t.status, t.record = PRESENT, js  # count it from now on (its balance effect is real)
                elif status != 404:
                    st.violation(f"GET /v1/transaction/{t.uid} answered {status} {js}; {st.describe(t)}")
            t.dirty = False
        out["tx_checked"] = len(unknown) + len(check)
        with st.lock:
            probes = list(st.probes)

        def probe(p):
            return p, self.get("/v1/transaction/" + quote(p[0], safe=""))

        for (uid, what), (status, js) in self.parallel(probe, probes):
            if status != 404:
                st.violation(f"a request that must be refused is stored: {what}; GET answered {status} {js}")

        # 2. the model: per user, the transactions present
        with st.lock:
            per_user: dict[int, list[tuple[int, int, str]]] = {uid: [] for uid in st.users}
            present_count = 0
            for t in st.txs.values():
                if t.status in HAS_RECORD:
                    present_count += 1
                    ts = parse_server_ts(t.record["timestamp"])
                    if t.body["user_id"] in per_user and ts is not None:
                        per_user[t.body["user_id"]].append((ts, signed(t.body), t.uid))
            users = list(st.users.values())
        for lst in per_user.values():
            lst.sort()
        # the count tallyd logs on recovery must equal what we know is present
        m = re.search(r"recovered (\d+) users, (\d+) transactions", self.server.log_text())
        if self.fresh and not m:
            st.violation(f"tallyd logged no 'recovered N users, M transactions' line on this start, so the "
                         f"recovered counts cannot be checked; log tail:\n{self.server.log_tail()}")
        if m and self.fresh:
            n_users, n_tx = int(m.group(1)), int(m.group(2))
            if n_tx != present_count:
                st.violation(f"tallyd recovered {n_tx} transactions but exactly {present_count} are known to be "
                             f"present (acknowledged + unknown-found-present)")
            if n_users < len(users):
                st.violation(f"tallyd recovered {n_users} users but {len(users)} were acknowledged")
        # never negative at any moment: the balance after all transactions at each timestamp
        for u in users:
            bal = 0
            lst = per_user[u.id]
            for i, (ts, amt, uid) in enumerate(lst):
                bal += amt
                if (bal < 0 or bal > BALANCE_MAX) and (i + 1 == len(lst) or lst[i + 1][0] != ts):
                    what = (f"NEGATIVE: user {u.id} balance {cents_text(-bal)} below zero" if bal < 0 else
                            f"ABOVE THE CEILING: user {u.id} balance {cents_text(bal)} above {cents_text(BALANCE_MAX)}")
                    st.violation(f"{what} at {from_micros(ts).isoformat()} (after {uid}); "
                                 f"{st.describe(st.txs[uid])}; history of the user: "
                                 f"{[(from_micros(a).isoformat(), b, c) for a, b, c in lst[max(0, i - 15):i + 1]]}")
                    break
        # 3. balances of every user, now and at dates
        now_iso = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat()
        dates = [(d, parse_client_ts(d)) for d in CHECK_DATES] + [(now_iso, parse_client_ts(now_iso))]

        def expected_at(uid: int, at: int | None) -> int:
            return sum(a for ts, a, _ in per_user[uid] if at is None or ts <= at)

        def check_user(u: User):
            problems = []
            status, js = self.get(f"/v1/user/{u.id}")
            want = expected_at(u.id, None)
            if status != 200 or not isinstance(js, dict):
                problems.append(f"GET /v1/user/{u.id} answered {status} {js}")
            else:
                if js.get("name") != u.name or js.get("id") != u.id:
                    problems.append(f"user {u.id} should be named {u.name!r}, GET answered {js}")
                if text_cents(js.get("balance")) != want:
                    problems.append(f"user {u.id} balance {js.get('balance')} != recomputed {cents_text(want)} "
                                    f"({len(per_user[u.id])} transactions present)")
            lst = per_user[u.id]
            user_dates = list(dates)
            if lst:  # exactly at a transaction's timestamp (inclusive), and one microsecond before it
                ts = lst[rng.randrange(len(lst))][0]
                user_dates.append((from_micros(ts).replace(tzinfo=None).isoformat(), ts))
                if ts > UTC_MIN:  # not before 0001-01-01T00:00:00Z, which no date can name
                    user_dates.append((from_micros(ts - 1).replace(tzinfo=None).isoformat(), ts - 1))
            for text, at in user_dates:
                status, js = self.get(f"/v1/user/{u.id}/balance", params={"date": text})
                want = expected_at(u.id, at)
                if status != 200 or not isinstance(js, dict) or js.get("user_id") != u.id:
                    problems.append(f"GET /v1/user/{u.id}/balance?date={text} answered {status} {js}")
                elif text_cents(js.get("balance")) != want:
                    near = [(from_micros(a).isoformat(), b, c) for a, b, c in lst if abs(a - at) < 86400_000_000]
                    problems.append(f"user {u.id} balance at {text} is {js.get('balance')}, recomputed "
                                    f"{cents_text(want) if want >= 0 else '-' + cents_text(-want)}; "
                                    f"transactions within a day of it: {near}")
            status, js = self.get(f"/v1/user/{u.id}/balance")
            if status != 200 or not isinstance(js, dict) or text_cents(js.get("balance")) != expected_at(u.id, None):
                problems.append(f"GET /v1/user/{u.id}/balance answered {status} {js}, recomputed "
                                f"{cents_text(expected_at(u.id, None))}")
            return problems

        for probs in self.parallel(check_user, users):
            for p in probs:
                st.violation(p)
        out["users"] = len(users)
        with st.lock:
            st.c["balance_checks"] += len(users) * (len(dates) + 4)
            st.c["tx_checked"] += out["tx_checked"]
            st.c["resolved_present"] += out["resolved_present"]
            st.c["resolved_absent"] += out["resolved_absent"]

        # 4. identical retries of acknowledged uids: 200 with the original record, balances unchanged
        with st.lock:
            acked = [t for t in st.txs.values() if t.status in HAS_RECORD]
        sample = rng.sample(acked, min(len(acked), self.args.verify_retries))
        session = new_session()
        try:
            for t in sample:
                status, js, err = send(session, "PUT", self.server.base + "/v1/transaction", t.body)
                st.c["requests"] += 1
                st.c["verify_retries"] += 1
                st.note(t, f"verify retry: {status}")
                if status != 200 or js != t.record:
                    st.violation(f"identical retry after restart of {t.status} uid {t.uid} answered {status} "
                                 f"{js or err}, expected 200 {t.record}; {st.describe(t)}")
            for uid in sorted({t.body["user_id"] for t in sample}):
                status, js = self.get(f"/v1/user/{uid}/balance")
                want = expected_at(uid, None)
                if status != 200 or text_cents((js or {}).get("balance")) != want:
                    st.violation(f"after identical retries, user {uid} balance is {status} {js}, expected "
                                 f"{cents_text(want)}")
        finally:
            session.close()
        with st.lock:
            for u in users:
                u.dirty = False
                u.est = expected_at(u.id, None)
        return out

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
            v = self.verify(cycle, full)
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--data-dir", default=None, help="default: a fresh temp dir, removed at the end unless --keep")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (data and tallyd logs)")
    p.add_argument("--load-seconds", type=float, default=3.0, help="load runs a random time up to this, then kill")
    p.add_argument("--tallyd", default=None, help="default: $TALLYD, else build/app/tallyd")
    p.add_argument("--threads", type=int, default=2, help="tallyd --threads")
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
    a = p.parse_args(argv)
    if a.cycles < 1 or a.clients < 1 or a.load_seconds <= 0:
        p.error("--cycles and --clients must be >= 1, --load-seconds > 0")
    if a.shards > 1:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
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


if __name__ == "__main__":
    sys.exit(main())
