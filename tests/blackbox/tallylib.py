"""Helpers for the Tally black-box tests: the server process, an HTTP client, a raw-socket HTTP reader.

Nothing here knows the server's internals; everything goes through the process and its HTTP API. The raw-socket
reader (tally_raw_http.py), the time and money helpers (tally_time_money.py) and the answer observers
(answer_observers.py) live in modules of their own and are re-exported here, so tests import all from tallylib.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from answer_observers import _observe_answer, answer_observers  # noqa: F401 (re-exported)
from tally_raw_http import RawConnection, RawResponse  # noqa: F401 (re-exported)
from tally_time_money import (EPOCH, cents_text, from_micros, iso, micros, norm_iso,  # noqa: F401 (re-exported)
                              parse_norm_iso, text_cents)

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
HTTP_TIMEOUT_S = 30.0


def tallyd_path() -> Path:
    return Path(os.environ.get("TALLYD") or REPO_ROOT / "build" / "app" / "tallyd")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_uid(prefix: str = "tx") -> str:
    return f"{prefix}-{uuid.uuid4()}"


# ----------------------------------------------------------------------------------------------------------------
# The server process
# ----------------------------------------------------------------------------------------------------------------

class ServerDidNotStart(Exception):
    pass


class TallyServer:
    """One tallyd on a data dir. start/stop/kill/restart keep the data dir; every run logs to its own file."""

    def __init__(self, workdir: Path, name: str = "tallyd", data_dir: Path | None = None,
                 extra_args: list[str] | None = None, env: dict | None = None, preexec_fn=None,
                 port: int | None = None):
        self.binary = tallyd_path()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.data_dir = Path(data_dir) if data_dir else self.workdir / f"{name}-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.extra_args = list(extra_args or [])
        self.env = env
        self.preexec_fn = preexec_fn  # runs in the child before exec, e.g. to lower its RLIMIT_NOFILE
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.fixed_port = port  # a cluster's pods keep their port (the peers list names it)
        self.runs = 0
        self.log_paths: list[Path] = []
        self.exit_codes: list[int] = []
        self._log_file = None

    # -- paths and output ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def wal_dir(self) -> Path:
        return self.data_dir / "wal"

    def wal_segments(self) -> list[Path]:
        if not self.wal_dir.is_dir():
            return []
        return sorted(p for p in self.wal_dir.iterdir()
                      if p.name.startswith("wal-") and p.name.endswith(".log"))

    def output(self) -> str:
        """Output of the current (or last) run."""
        if not self.log_paths:
            return ""
        return self.log_paths[-1].read_text(errors="replace")

    def all_output(self) -> str:
        parts = []
        for i, p in enumerate(self.log_paths):
            text = p.read_text(errors="replace") if p.exists() else "<no log>"
            code = self.exit_codes[i] if i < len(self.exit_codes) else "running"
            parts.append(f"===== {self.name} run {i + 1} (exit: {code}) {p} =====\n{text}")
        return "\n".join(parts)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def command(self, port: int) -> list[str]:
        return [str(self.binary), "--bind", "127.0.0.1", "--port", str(port),
                "--data-dir", str(self.data_dir)] + self.extra_args

    def _spawn(self, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        self.runs += 1
        log_path = self.workdir / f"{self.name}-run{self.runs}.log"
        self.log_paths.append(log_path)
        self._log_file = open(log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(self.env or {})
        full_env.update(env or {})
        return subprocess.Popen(cmd, stdout=self._log_file, stderr=subprocess.STDOUT, env=full_env,
                                stdin=subprocess.DEVNULL, preexec_fn=self.preexec_fn)

    def _record_exit(self, code: int):
        self.exit_codes.append(code)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def start(self) -> "TallyServer":
        assert self.proc is None, "already running"
        if not self.binary.exists():
            raise ServerDidNotStart(f"tallyd binary not found at {self.binary} (set TALLYD)")
        last_error = ""
        for _attempt in range(5 if self.fixed_port is None else 1):
            port = self.fixed_port or free_port()
            self.proc = self._spawn(self.command(port))
            self.port = port
            ok, why = self._wait_ready()
            if ok:
                return self
            code = self.proc.poll()
            if code is None:  # alive but never became ready
                self.proc.kill()
                code = self.proc.wait()
            self._record_exit(code)
            self.proc = None
            out = self.output()
            last_error = f"{why}; exit code {code}\n{out}"
            lowered = out.lower()
            if not any(w in lowered for w in ("address already in use", "in use", "eaddrinuse", "bind")):
                break  # not a port clash: retrying will not help
        raise ServerDidNotStart(f"{self.name} did not become ready: {last_error}\n{self.all_output()}")

    def _wait_ready(self) -> tuple[bool, str]:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, "process exited before /healthz answered"
            try:
                r = requests.get(self.url("/healthz"), timeout=1)
                if r.status_code == 200:
                    return True, ""
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False, f"/healthz not 200 within {READY_TIMEOUT_S}s"

    def run_expect_exit(self, timeout: float = READY_TIMEOUT_S) -> tuple[int | None, bool]:
        """Starts the server and waits for it to exit by itself (for 'must refuse to start' cases).
        Returns (exit code or None if it kept running, whether /healthz ever answered 200)."""
        assert self.proc is None
        port = free_port()
        self.proc = self._spawn(self.command(port))
        self.port = port
        healthy = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    healthy = True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        code = self.proc.poll()
        if code is None:
            self.proc.kill()
            self._record_exit(self.proc.wait())
        else:
            self._record_exit(code)
        self.proc = None
        return code, healthy

    def signal_stop(self, sig=signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """Sends sig and waits; returns the exit code, or None if it had to be killed after the timeout."""
        if self.proc is None:
            return self.exit_codes[-1] if self.exit_codes else None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._record_exit(self.proc.wait())
            self.proc = None
            return None
        self._record_exit(code)
        self.proc = None
        return code

    def stop(self) -> int | None:
        return self.signal_stop(signal.SIGTERM)

    def kill9(self) -> int:
        assert self.proc is not None
        self.proc.kill()
        code = self.proc.wait()
        self._record_exit(code)
        self.proc = None
        return code

    def restart(self, hard: bool = False) -> "TallyServer":
        if hard:
            self.kill9()
        else:
            code = self.stop()
            assert code == 0, f"graceful stop should exit 0, got {code}\n{self.output()}"
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self) -> "Client":
        return Client(self)


# ----------------------------------------------------------------------------------------------------------------
# The HTTP client
# ----------------------------------------------------------------------------------------------------------------

JSON_HEADERS = {"Content-Type": "application/json"}


def json_bytes(obj, ascii_only: bool = False) -> bytes:
    return json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8")


class Client:
    """A requests.Session bound to a server (follows it across restarts and port changes). Not thread-safe:
    use one per thread."""

    def __init__(self, server: TallyServer):
        self.server = server
        self.session = requests.Session()

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT_S)
        r = self.session.request(method, self.server.url(path), **kw)
        if answer_observers and not kw.get("stream"):
            _observe_answer(r.request.method, urlsplit(r.request.url).path, r.status_code, r.headers, r.content)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def send_json(self, method: str, path: str, body, headers: dict | None = None) -> requests.Response:
        """body: a dict/list (serialized as UTF-8 JSON) or str/bytes sent verbatim."""
        if isinstance(body, (dict, list)):
            data = json_bytes(body)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = body
        h = dict(JSON_HEADERS)
        h.update(headers or {})
        return self.request(method, path, data=data, headers=h)

    # -- users ------------------------------------------------------------------------------------------------
    def create_user_raw(self, body, key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": key} if key is not None else None
        return self.send_json("POST", "/v1/user", body, headers)

    def create_user(self, name: str = "vasya", key: str | None = None) -> dict:
        r = self.create_user_raw({"name": name}, key)
        assert r.status_code == 201, f"create user: {r.status_code} {r.text}"
        u = r.json()
        assert isinstance(u["id"], int) and u["id"] > 0, u
        return u

    def get_user(self, user_id) -> requests.Response:
        return self.get(f"/v1/user/{user_id}")

    def balance_raw(self, user_id, date: str | None = None) -> requests.Response:
        params = {"date": date} if date is not None else None
        return self.get(f"/v1/user/{user_id}/balance", params=params)

    def balance(self, user_id, date: str | None = None) -> str:
        r = self.balance_raw(user_id, date)
        assert r.status_code == 200, f"balance of {user_id} at {date}: {r.status_code} {r.text}"
        body = r.json()
        assert body["user_id"] == user_id, body
        text_cents(body["balance"])  # format check
        return body["balance"]

    # -- transactions -----------------------------------------------------------------------------------------
    def tx_raw(self, body, method: str = "PUT") -> requests.Response:
        return self.send_json(method, "/v1/transaction", body)

    def tx(self, user_id, type_: str, amount, uid: str | None = None, timestamp=None,
           method: str = "PUT") -> requests.Response:
        body = {"uid": uid if uid is not None else new_uid(), "type": type_, "amount": amount, "user_id": user_id}
        if timestamp is not None:
            body["timestamp"] = timestamp
        return self.tx_raw(body, method)

    def deposit(self, user_id, amount, uid=None, timestamp=None) -> dict:
        r = self.tx(user_id, "DEPOSIT", amount, uid, timestamp)
        assert r.status_code == 200, f"deposit {amount} at {timestamp}: {r.status_code} {r.text}"
        return r.json()

    def withdraw(self, user_id, amount, uid=None, timestamp=None) -> dict:
        r = self.tx(user_id, "WITHDRAW", amount, uid, timestamp)
        assert r.status_code == 200, f"withdraw {amount} at {timestamp}: {r.status_code} {r.text}"
        return r.json()

    def get_tx(self, uid: str) -> requests.Response:
        return self.get("/v1/transaction/" + quote(uid, safe=""))


def assert_error(r: requests.Response, status, code) -> dict:
    """status/code may be a value or a tuple of accepted values. Returns the parsed body."""
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    assert r.status_code in statuses, f"expected {statuses} {codes}, got {r.status_code}: {r.text[:2000]}"
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {r.status_code} {r.text[:2000]!r}")
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"bad error body {body}"
    assert body["error"].get("code") in codes, f"expected code {codes}, got {body}"
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"], f"no message: {body}"
    return body


def assert_tx_record(rec: dict, uid: str, user_id: int, type_: str, amount: str, timestamp: str | None = None):
    assert rec["uid"] == uid, rec
    assert rec["user_id"] == user_id, rec
    assert rec["type"] == type_, rec
    assert rec["amount"] == amount, rec
    parse_norm_iso(rec["timestamp"])
    if timestamp is not None:
        assert rec["timestamp"] == timestamp, rec


# ----------------------------------------------------------------------------------------------------------------
# Parallel helpers
# ----------------------------------------------------------------------------------------------------------------

class ThreadClients:
    """One Client per thread, for ThreadPoolExecutor workers."""

    def __init__(self, server: TallyServer):
        self.server = server
        self.local = threading.local()
        self.all: list[Client] = []
        self.lock = threading.Lock()

    def get(self) -> Client:
        c = getattr(self.local, "client", None)
        if c is None:
            c = Client(self.server)
            self.local.client = c
            with self.lock:
                self.all.append(c)
        return c

    def close(self):
        for c in self.all:
            c.session.close()


def wal_logical_end(segment: Path) -> int:
    """Where the records of a WAL segment end: its file may go on with the writer's zeroed room after them
    (docs/wal_format.md, "Pre-zeroed segments"). Walks the frames' length fields from the 16-byte header;
    the segment is assumed whole (no CRC check)."""
    data = segment.read_bytes()
    at = 16
    while at + 8 <= len(data):
        length = int.from_bytes(data[at:at + 4], "little")
        if length == 0 or length % 8 or at + 8 + length > len(data):
            break
        at += 8 + length
    return at
