#!/usr/bin/env python3
"""Instructions per timeline read (callgrind), old build against new in one run: the cost check of TxIndex's
bounded `at` decode (actors/tx_index_entry.hpp entry_at). Each tallyd runs under callgrind with its own data dir;
two users get deposits (one user's timestamps within a minute of each other, so every `at` varint is short; the
other's spread over a month, so they are 5-6 bytes from the chunk's base time); then, one request at a time on one
keep-alive connection, callgrind counts tallyd's user-space instructions over R requests of each kind:
balance at a date (a timeline descent), GET transaction by uid, and a page of the user's transactions.
Every binary is measured twice, A B A B order, so the A/A spread shows what the method resolves.

usage: bench/timeline_read_cost.sh OLD_TALLYD NEW_TALLYD [--txs N] [--requests R] [--port-base P]
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=headers)
    answer = conn.getresponse()
    return answer.status, answer.read()


class Server:
    def __init__(self, tallyd: str, workdir: Path, port: int):
        self.dir, self.port = workdir, port
        workdir.mkdir()
        args = ["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
                f"--callgrind-out-file={workdir}/callgrind.out", tallyd, "--bind", "127.0.0.1", "--port",
                str(port), "--data-dir", str(workdir / "data"), "--threads", "2"]
        self.log = open(workdir / "log", "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            if self.proc.poll() is not None:
                raise SystemExit(f"tallyd exited: see {workdir}/log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                if request(conn, "GET", "/healthz")[0] == 200:
                    self.conn = conn
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"tallyd did not start: see {workdir}/log")

    def control(self, command: str) -> None:
        subprocess.run(["callgrind_control", command, str(self.proc.pid)], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def counted(self, requests: list[str]) -> float:
        """Instructions per request over `requests` (GET paths), each answered 200."""
        self.control("-z")
        for path in requests:
            status, body = request(self.conn, "GET", path)
            if status != 200:
                raise SystemExit(f"GET {path}: {status} {body[:200]!r}")
        self.control("-d")
        dump = max(self.dir.glob("callgrind.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        for line in dump.read_text().splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1]) / len(requests)
        raise SystemExit(f"no summary line in {dump}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def load(server: Server, txs: int) -> dict:
    """Two users, `txs` deposits each; returns their ids, uids and the timestamp ranges to ask about."""
    users = {}
    for name, spread_s in (("near", 60), ("spread", 30 * 86400)):
        status, body = request(server.conn, "POST", "/v1/user", {"name": name})
        assert status == 201, body
        user_id = json.loads(body)["id"]
        rng = random.Random(name)
        base = 1_700_000_000  # 2023-11-14
        uids = []
        for k in range(txs):
            at = base + rng.random() * spread_s
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"
            uid = f"{name}-{k}-{rng.getrandbits(64):016x}"
            status, body = request(server.conn, "PUT", "/v1/transaction",
                                   {"uid": uid, "type": "DEPOSIT", "amount": 1 + k % 500, "user_id": user_id,
                                    "timestamp": stamp})
            assert status == 200, body
            uids.append(uid)
        users[name] = (user_id, uids, base, spread_s)
    return users


def workloads(users: dict, count: int) -> dict[str, list[str]]:
    out = {}
    for name, (user_id, uids, base, spread_s) in users.items():
        rng = random.Random(f"requests-{name}")
        dates = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + rng.random() * spread_s))
                 for _ in range(count)]
        out[f"balance at date ({name})"] = [f"/v1/user/{user_id}/balance?date={d}" for d in dates]
        out[f"GET transaction ({name})"] = [f"/v1/transaction/{rng.choice(uids)}" for _ in range(count)]
        out[f"transactions page ({name})"] = [f"/v1/user/{user_id}/transactions?from={d}" for d in dates]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--txs", type=int, default=1500, help="deposits per user (default 1500)")
    p.add_argument("--requests", type=int, default=300, help="requests of each kind (default 300)")
    p.add_argument("--port-base", type=int, default=18870)
    args = p.parse_args()
    results: dict[tuple[str, str], list[float]] = {}
    order = [("old", args.old), ("new", args.new), ("old", args.old), ("new", args.new)]
    with tempfile.TemporaryDirectory(prefix="timeline-read-cost-") as tmp:
        for i, (label, tallyd) in enumerate(order):
            print(f"# run {i + 1}/{len(order)}: {label} ({tallyd})", file=sys.stderr, flush=True)
            server = Server(tallyd, Path(tmp) / f"run{i}", args.port_base + i)
            try:
                work = workloads(load(server, args.txs), args.requests)
                for kind, paths in work.items():
                    results.setdefault((kind, label), []).append(server.counted(paths))
            finally:
                server.stop()
    kinds = list(dict.fromkeys(kind for kind, _ in results))
    print(f"# instructions per request (callgrind, tallyd user space), {args.requests} requests of each kind, "
          f"{args.txs} deposits per user; two runs per build (A B A B)")
    print(f"{'request':34} {'old run1':>10} {'old run2':>10} {'new run1':>10} {'new run2':>10} {'new/old':>8}")
    for kind in kinds:
        old, new = results[(kind, "old")], results[(kind, "new")]
        ratio = (sum(new) / len(new)) / (sum(old) / len(old))
        print(f"{kind:34} {old[0]:10.0f} {old[1]:10.0f} {new[0]:10.0f} {new[1]:10.0f} {ratio:8.4f}")


if __name__ == "__main__":
    main()
