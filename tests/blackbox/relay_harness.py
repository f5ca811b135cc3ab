"""The test harness of tally-relay's black-box tests (test_relay.py): a real nats-server with JetStream in a
directory that survives restarts, just enough of the NATS protocol to read a stream back by request/reply, the
feed as /v1/events shows it, the tally-relay process, its /metrics, and API keys from tally-admin."""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tallylib import REPO_ROOT, free_port, tallyd_path

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
WAIT_S = 60  # bound on every wait for a process or for the stream to catch up


def relay_path() -> Path:
    env = os.environ.get("TALLY_RELAY")
    return Path(env) if env else tallyd_path().parents[1] / "relay" / "tally-relay"


class Nats:
    """nats-server -js on loopback with its store in a directory that survives restarts."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.store = workdir / "jetstream"
        self.log = workdir / "nats.log"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd",
                                      str(self.store)], stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nats-server did not start: " + self.log.read_text())

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(WAIT_S)
            self.proc = None


class NatsClient:
    """Just enough of the NATS protocol for JetStream's request/reply API."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = self.sock.makefile("rb")
        assert self.reader.readline().startswith(b"INFO ")
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n'
                          b"SUB _INBOX.relaytest 1\r\n")

    def request(self, subject: str, payload: bytes = b"", headers: dict | None = None) -> dict:
        if headers:  # HPUB: a message with headers (e.g. Nats-Msg-Id), answered by JetStream's publish ack
            head = ("NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
            self.sock.sendall(b"HPUB %s _INBOX.relaytest %d %d\r\n%s%s\r\n" % (
                subject.encode(), len(head), len(head) + len(payload), head, payload))
        else:
            self.sock.sendall(b"PUB %s _INBOX.relaytest %d\r\n%s\r\n" % (subject.encode(), len(payload), payload))
        while True:
            line = self.reader.readline()
            assert line, "NATS closed the connection"
            if line.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG") or line.startswith(b"HMSG"):
                parts = line.split()
                data = self.reader.read(int(parts[-1]) + 2)[:-2]
                if line.startswith(b"HMSG"):
                    data = data[int(parts[-2]):]
                return json.loads(data)
            elif line.startswith(b"-ERR"):
                raise AssertionError(line)

    def close(self):
        self.sock.close()


def stream_messages(nats: Nats, stream: str) -> list[dict]:
    c = NatsClient(nats.port)
    try:
        info = c.request(f"$JS.API.STREAM.INFO.{stream}")
        if "state" not in info:  # not created yet
            return []
        state = info["state"]
        out = []
        for seq in range(state["first_seq"], state["last_seq"] + 1 if state["messages"] else 0):
            m = c.request(f"$JS.API.STREAM.MSG.GET.{stream}", json.dumps({"seq": seq}).encode())["message"]
            headers = base64.b64decode(m.get("hdrs", "")).decode()
            msg_id = next(line.split(":", 1)[1].strip() for line in headers.split("\r\n")
                          if line.lower().startswith("nats-msg-id:"))
            out.append({"subject": m["subject"], "id": msg_id, "data": base64.b64decode(m["data"]).decode()})
        return out
    finally:
        c.close()


def stream_count(nats: Nats, stream: str) -> int:
    try:
        c = NatsClient(nats.port)
    except OSError:
        return -1
    try:
        info = c.request(f"$JS.API.STREAM.INFO.{stream}")
        return info["state"]["messages"] if "state" in info else -1
    finally:
        c.close()


def feed_texts(server) -> list[str]:
    """Every event's JSON text as /v1/events shows it, in seq order (cut out of the raw answers)."""
    out, after = [], 0
    c = server.client()
    while True:
        r = c.get(f"/v1/events?after={after}&limit=10000")
        page = r.json()
        for e in page["events"]:
            out.append(json.dumps(e, separators=(",", ":"), ensure_ascii=False))
            assert out[-1] in r.text  # the encoding above is the server's, byte for byte
        if page["last"] == after:
            return out
        after = page["last"]


class Relay:
    def __init__(self, workdir: Path, source: str, nats_port: int, api_key: str = "", extra: list | None = None):
        self.cmd = [str(relay_path()), "--source", source, "--nats", f"nats://127.0.0.1:{nats_port}"] + (extra or [])
        self.env = dict(os.environ)
        self.env.pop("TALLY_RELAY_API_KEY", None)
        if api_key:
            self.env["TALLY_RELAY_API_KEY"] = api_key
        self.log = workdir / "relay.log"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=self.env)

    def kill9(self):
        self.proc.kill()
        self.proc.wait(WAIT_S)

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(WAIT_S)


def assert_stream_is_the_feed(got: list[dict], expected: list[str], log: str):
    """Shard 0's events in the stream: every seq exactly once, in order, the same bytes as /v1/events."""
    assert [m["id"] for m in got] == [f"0-{k}" for k in range(1, len(expected) + 1)], log[-3000:]
    assert [m["data"] for m in got] == expected


def relay_metrics(port: int) -> dict:
    """tally-relay's /metrics as {"name{labels}": value}, after promtool has checked the text's format."""
    import requests
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    promtool = shutil.which("promtool")
    if promtool:
        check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                               timeout=WAIT_S)
        assert b"error" not in check.stderr.lower() and b"error" not in check.stdout.lower(), check
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def new_key(name: str, scopes: str) -> tuple[str, str]:
    """(secret, key file line) from tally-admin new-key."""
    admin = os.environ.get("TALLY_ADMIN") or str(REPO_ROOT / "build" / "recovery" / "tally-admin")
    r = subprocess.run([admin, "new-key", name, scopes], capture_output=True, text=True, timeout=WAIT_S)
    assert r.returncode == 0, r.stderr
    secret, entry = (line.split(": ", 1)[1] for line in r.stdout.splitlines())
    return secret, entry
