"""Crash runner, cluster mode (`crash_runner.py --shards N`; docs/sharding.md).

N tallyd shards on loopback (--shards N --shard K --peers ...), each on its own data dir. Every cycle: client
threads drive load through random pods (users created on every shard, keyed creations, deposits and withdrawals
some of which are refused, identical retries through other pods, the same uid reused for a user of another shard),
one or more random shards get SIGKILL mid-load while the load goes on, the killed shards restart, and everything
the cluster says is checked against what the clients saw:

- every acknowledged user exists, with its name, through any pod;
- every acknowledged transaction is present through any pod with exactly its content; no uid was ever
  acknowledged for two different contents (cluster-wide uniqueness);
- a request answered 503 shard_unavailable, or whose connection broke, is present at most once with its content;
  after the restart its retry through another pod succeeds (200) or is refused by the rules (402, or 409 when
  another content holds the uid), and a second retry answers the same;
- each user's balance equals the sum of its transactions present, and is never negative at any of their
  timestamps (recomputed in timestamp order).

Exit status: 0 = no violation, 1 = violations, 2 = a shard failed to start.
"""
from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

HOST = "127.0.0.1"
TIMEOUT = (2.0, 10.0)


def free_ports(n: int) -> list[int]:
    import socket
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind((HOST, 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Shard:
    def __init__(self, binary: Path, k: int, n: int, port: int, peers: str, workdir: Path):
        self.binary, self.k, self.n, self.port, self.peers = binary, k, n, port, peers
        self.data_dir = workdir / f"shard{k}"
        self.log_dir = workdir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self, timeout: float = 60.0):
        self.runs += 1
        log = open(self.log_dir / f"shard{self.k}-run{self.runs:03d}.log", "wb")
        self.proc = subprocess.Popen(
            [str(self.binary), "--bind", HOST, "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--threads", "2", "--shards", str(self.n), "--shard", str(self.k), "--peers", self.peers],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(self.url("/readyz"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"shard {self.k} did not become ready (exit {self.proc.poll()}); logs in {self.log_dir}")

    def kill9(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.proc = None


class Ledger:
    """What the clients saw, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users: dict[int, str] = {}            # acknowledged users: id -> name
        self.acked: dict[str, dict] = {}           # uid -> the acknowledged record
        self.unknown: dict[str, dict] = {}         # uid -> body whose outcome is unknown (503, broken connection)
        self.refused: dict[str, dict] = {}         # uid -> body refused 402 (nothing recorded)
        self.violations: list[str] = []

    def violation(self, text: str):
        with self.lock:
            self.violations.append(text)
        print(f"VIOLATION: {text}", flush=True)


def call(method: str, url: str, body=None, headers=None):
    try:
        r = requests.request(method, url, json=body, headers=headers, timeout=TIMEOUT)
        return r.status_code, (r.json() if r.content else None)
    except (requests.RequestException, ValueError):
        return None, None


def same(record: dict, body: dict) -> bool:
    return (record["uid"] == body["uid"] and record["user_id"] == body["user_id"] and record["type"] == body["type"]
            and record["amount"] == body["amount"])


class Load(threading.Thread):
    def __init__(self, shards: list[Shard], ledger: Ledger, rng: random.Random, until: float, prefix: str):
        super().__init__(daemon=True)
        self.shards, self.ledger, self.rng, self.until, self.prefix = shards, ledger, rng, until, prefix
        self.count = 0

    def pod(self) -> Shard:
        return self.rng.choice(self.shards)

    def run(self):
        while time.monotonic() < self.until and self.count < 2000:
            self.count += 1
            with self.ledger.lock:
                users = list(self.ledger.users)
                acked = list(self.ledger.acked.values())
            if len(users) < 6 or self.rng.random() < 0.05:
                self.create_user()
            elif acked and self.rng.random() < 0.15:
                self.reuse(self.rng.choice(acked), users)
            else:
                self.transact(self.rng.choice(users))

    def create_user(self):
        name = f"{self.prefix}-{self.count}"
        status, js = call("POST", self.pod().url("/v1/user"), {"name": name})
        if status == 201:
            with self.ledger.lock:
                self.ledger.users[js["id"]] = name

    def transact(self, user_id: int, uid: str | None = None):
        kind = "WITHDRAW" if self.rng.random() < 0.35 else "DEPOSIT"
        body = {"uid": uid or f"{self.prefix}-{self.count}-{self.rng.randrange(1 << 30)}", "type": kind,
                "amount": f"{self.rng.randint(1, 5000) / 100:.2f}", "user_id": user_id}
        self.record(body, *call("PUT", self.pod().url("/v1/transaction"), body))

    def reuse(self, record: dict, users: list[int]):
        """The same request again through another pod, or its uid for another user."""
        body = {k: record[k] for k in ("uid", "type", "amount", "user_id")}
        if self.rng.random() < 0.5:
            body["user_id"] = self.rng.choice(users)
        self.record(body, *call("PUT", self.pod().url("/v1/transaction"), body))

    def record(self, body: dict, status, js):
        led = self.ledger
        with led.lock:
            held = led.acked.get(body["uid"])
            if status == 200:
                if held is not None and not same(held, js):
                    led.violations.append(f"uid {body['uid']} acknowledged twice: {held} and {js}")
                elif not same(js, body):
                    led.violations.append(f"uid {body['uid']}: answer {js} is not the request {body}")
                led.acked.setdefault(body["uid"], js)
                led.unknown.pop(body["uid"], None)
            elif status == 409:
                existing = js.get("existing") if js else None
                if held is not None and existing != held:
                    led.violations.append(f"uid {body['uid']}: 409 names {existing}, acknowledged was {held}")
            elif status == 402 and held is None:
                led.refused.setdefault(body["uid"], body)
            elif status in (None, 503) and held is None:
                led.unknown.setdefault(body["uid"], body)


def verify(shards: list[Shard], ledger: Ledger, rng: random.Random, checked: set, full: bool):
    """Users and balances every cycle; transactions new since the last cycle plus a sample of older ones (all of
    them when `full`), so a long run's verification stays linear."""
    pod = lambda: rng.choice(shards)  # noqa: E731
    older = [u for u in ledger.acked if u in checked]
    sample = set(older if full else rng.sample(older, min(len(older), 300)))
    for user_id, name in ledger.users.items():
        status, js = call("GET", pod().url(f"/v1/user/{user_id}"))
        if status != 200 or js["name"] != name:
            ledger.violation(f"acknowledged user {user_id} ({name}): {status} {js}")
    present: dict[int, list[dict]] = {}
    for uid, record in ledger.acked.items():
        present.setdefault(record["user_id"], []).append(record)
        if uid in checked and uid not in sample:
            continue
        checked.add(uid)
        status, js = call("GET", pod().url(f"/v1/transaction/{requests.utils.quote(uid, safe='')}"))
        if status != 200 or js != record:
            ledger.violation(f"acknowledged transaction {uid}: {status} {js}, acknowledged {record}")
    for uid, body in list(ledger.unknown.items()):  # the retry through another pod settles it
        first = call("PUT", pod().url("/v1/transaction"), body)
        second = call("PUT", pod().url("/v1/transaction"), body)
        if first[0] not in (200, 402, 409) or second[0] != first[0]:
            ledger.violation(f"unknown-outcome {uid}: retries answered {first} then {second}")
            continue
        if first[0] == 200:
            ledger.acked[uid] = first[1]
            present.setdefault(first[1]["user_id"], []).append(first[1])
        del ledger.unknown[uid]
    for uid in ledger.refused:
        if uid not in ledger.acked and (uid not in checked or full):
            checked.add(uid)
            status, js = call("GET", pod().url(f"/v1/transaction/{requests.utils.quote(uid, safe='')}"))
            if status != 404:
                ledger.violation(f"refused {uid} is present: {status} {js}")
    for user_id in ledger.users:
        txs = sorted(present.get(user_id, []), key=lambda r: r["timestamp"])
        running, lowest = 0, 0
        for r in txs:
            cents = round(float(r["amount"]) * 100)
            running += cents if r["type"] == "DEPOSIT" else -cents
            lowest = min(lowest, running)
        status, js = call("GET", pod().url(f"/v1/user/{user_id}/balance"))
        if status != 200 or round(float(js["balance"]) * 100) != running:
            ledger.violation(f"user {user_id}: balance {js}, recomputed {running / 100:.2f}")
        if lowest < 0:
            ledger.violation(f"user {user_id}: recomputed balance negative ({lowest / 100:.2f})")


def run_cluster(binary: Path, shards_n: int, cycles: int, clients: int, load_seconds: float, seed: int,
                keep: bool) -> int:
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="tally-crash-cluster-"))
    ports = free_ports(shards_n)
    peers = ",".join(f"http://{HOST}:{p}" for p in ports)
    shards = [Shard(binary, k, shards_n, ports[k], peers, workdir) for k in range(shards_n)]
    ledger = Ledger()
    checked: set[str] = set()
    print(f"cluster crash runner: {shards_n} shards, {cycles} cycles, {clients} clients, seed {seed}, dir {workdir}")
    try:
        for s in shards:
            s.start()
        for cycle in range(1, cycles + 1):
            until = time.monotonic() + load_seconds
            loads = [Load(shards, ledger, random.Random(rng.random()), until, f"c{cycle}t{i}") for i in range(clients)]
            for t in loads:
                t.start()
            time.sleep(rng.uniform(0.1, load_seconds * 0.7))
            victims = rng.sample(shards, rng.randint(1, max(1, shards_n - 1)))
            for v in victims:
                v.kill9()
            for t in loads:
                t.join()
            for v in victims:
                v.start()
            verify(shards, ledger, rng, checked, full=cycle == cycles or cycle % 10 == 0)
            print(f"cycle {cycle}: killed {[v.k for v in victims]}; {len(ledger.users)} users, "
                  f"{len(ledger.acked)} transactions acknowledged, violations {len(ledger.violations)}", flush=True)
            if ledger.violations:
                break
    except RuntimeError as e:
        print(f"RUNNER TROUBLE: {e}")
        return 2 if not ledger.violations else 1
    finally:
        for s in shards:
            s.stop()
        if not keep and not ledger.violations:
            shutil.rmtree(workdir, ignore_errors=True)
    for v in ledger.violations:
        print(f"VIOLATION: {v}")
    print(f"violations: {len(ledger.violations)}")
    return 1 if ledger.violations else 0
