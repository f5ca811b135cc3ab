#!/usr/bin/env python3
"""The cost of running as a cluster (docs/sharding.md), measured in one run on one machine: a 3-shard cluster on
loopback, the same number of durable PUT /v1/transaction sent three ways, and the tallyd CPU time (user + system,
from /proc/<pid>/stat, summed over all three processes) per request:

- direct:    to the user's owner, with uids homed on the owner (no peer call at all);
- forwarded: to another pod, which forwards to the owner (uids homed on the owner): the cost of a forward;
- reserved:  to the owner, with uids homed on a third shard: the cost of a cross-shard uid reservation (one peer
             call and one durable WAL record at the home).

Usage: bench/shard_cost.py [--requests N] [--clients C] [--tallyd PATH]. Everything stays on 127.0.0.1. The
client is Python (requests, keep-alive sessions); it runs in its own processes' threads and is not counted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def fnv1a_64(data: bytes) -> int:
    h = 14695981039346656037
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def uids_homed_on(shard: int, n: int, count: int, prefix: str) -> list[str]:
    out, i = [], 0
    while len(out) < count:
        uid = f"{prefix}-{i}"
        if fnv1a_64(uid.encode()) % n == shard:
            out.append(uid)
        i += 1
    return out


def drive(url: str, user_id: int, uids: list[str], clients: int) -> float:
    """Sends one PUT per uid from `clients` threads; returns the wall time. Every answer must be 200."""
    chunks = [uids[i::clients] for i in range(clients)]
    failures = []

    def work(chunk):
        with requests.Session() as s:
            for uid in chunk:
                r = s.put(url, json={"uid": uid, "type": "DEPOSIT", "amount": "1.00", "user_id": user_id}, timeout=30)
                if r.status_code != 200:
                    failures.append(r.text)
    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return time.monotonic() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--tallyd", default=os.environ.get("TALLYD") or str(REPO / "build" / "app" / "tallyd"))
    a = p.parse_args()
    n = 3
    work = Path(tempfile.mkdtemp(prefix="tally-shard-bench-"))
    ports = free_ports(n)
    peers = ",".join(f"http://127.0.0.1:{q}" for q in ports)
    procs = []
    try:
        for k in range(n):
            procs.append(subprocess.Popen(
                [a.tallyd, "--bind", "127.0.0.1", "--port", str(ports[k]), "--data-dir", str(work / f"s{k}"),
                 "--threads", "2", "--shards", str(n), "--shard", str(k), "--peers", peers, "--log-level", "warn"],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        for k in range(n):
            for _ in range(500):
                try:
                    if requests.get(f"http://127.0.0.1:{ports[k]}/readyz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.02)
        owner = 1
        user = requests.post(f"http://127.0.0.1:{ports[owner]}/v1/user", json={"name": "bench"}).json()["id"]
        cases = [("direct", owner, owner), ("forwarded", 0, owner), ("reserved", owner, 2)]
        warm = uids_homed_on(owner, n, 300, "warm")
        drive(f"http://127.0.0.1:{ports[0]}/v1/transaction", user, warm, a.clients)
        rows = []
        for name, entry, home in cases:
            uids = uids_homed_on(home, n, a.requests, name)
            before = [cpu_seconds(pr.pid) for pr in procs]
            wall = drive(f"http://127.0.0.1:{ports[entry]}/v1/transaction", user, uids, a.clients)
            after = [cpu_seconds(pr.pid) for pr in procs]
            per = [(after[k] - before[k]) / a.requests * 1e6 for k in range(n)]
            rows.append((name, sum(per), per, a.requests / wall))
        base = rows[0][1]
        print(f"{a.requests} durable PUTs per case, {a.clients} client threads, 3 shards on one machine "
              f"({os.cpu_count()} cores, shared with other work: compare ratios)")
        print("| case | tallyd CPU µs/request (all shards) | per shard 0 / 1 / 2 | vs direct | requests/s |")
        print("|---|---|---|---|---|")
        for name, total, per, rate in rows:
            print(f"| {name} | {total:.0f} | {' / '.join(f'{x:.0f}' for x in per)} | {total / base:.2f}x | "
                  f"{rate:.0f} |")
    finally:
        for pr in procs:
            pr.send_signal(signal.SIGTERM)
        for pr in procs:
            try:
                pr.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pr.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
