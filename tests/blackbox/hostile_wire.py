"""Tools for the hostile black-box suites (test_hostile*.py): raw connections whose every read has a deadline, a
background sender, a /healthz prober, /proc probes of the server's CPU time and memory, and the shared server
each suite attacks (fixtures `shared` and `srv`) with the checks that it still serves.

Every wait here is bounded: a read past its deadline raises socket.timeout, a send past its deadline stops.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from tallylib import RawConnection, RawResponse, TallyServer

# An answer that needs no waiting on the client (a limit crossed, a malformed head, a plain GET) arrives within
# this; generous against a loaded 2-core machine and a sanitizer build, far below every server-side timeout.
PROMPT_S = 3.0
IDLE_CPU_FRACTION_MAX = 0.10  # of one core, for a server with nothing to do (or nothing it can do)
PLAIN_GET_S = 0.1  # a GET /healthz on an idle server, at best of a few tries
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class Wire(RawConnection):
    """A RawConnection whose reads share one deadline, so a whole answer (not each recv) is bounded."""

    def __init__(self, port: int, timeout_s: float = PROMPT_S):
        super().__init__(port, timeout=timeout_s)
        # Each send is its own segment, so a split the test makes is a split the server sees.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.deadline: float | None = None

    def _fill(self) -> bool:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("deadline passed")
            self.sock.settimeout(remaining)
        return super()._fill()

    def response(self, within_s: float = PROMPT_S) -> RawResponse:
        self.deadline = time.monotonic() + within_s
        try:
            return self.read_response()
        finally:
            self.deadline = None

    def send_quietly(self, data: bytes) -> bool:
        """Sends all of data; False if the server closed or reset the connection first (it may have answered)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:  # a timeout, or the test closed the wire under a background Sender
            return False

    def closed_within(self, within_s: float = PROMPT_S) -> bool:
        """True once the server closes (EOF or reset) before the deadline; what it sent meanwhile stays in buf."""
        self.deadline = time.monotonic() + within_s
        try:
            while self._fill():
                pass
            return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        finally:
            self.deadline = None


class Sender(threading.Thread):
    """Sends data in pieces on a Wire from a background thread (so the test can read answers meanwhile); stops at
    the first error, which is the normal end when the server answers early and closes."""

    PIECE_BYTES = 64 * 1024

    def __init__(self, wire: Wire, data: bytes, pause_s: float = 0.0):
        super().__init__(daemon=True)
        self.wire, self.data, self.pause_s = wire, data, pause_s
        self.sent = 0

    def run(self):
        for start in range(0, len(self.data), self.PIECE_BYTES):
            if not self.wire.send_quietly(self.data[start:start + self.PIECE_BYTES]):
                return
            self.sent = min(len(self.data), start + self.PIECE_BYTES)
            if self.pause_s:
                time.sleep(self.pause_s)


class HealthProber(threading.Thread):
    """GET /healthz on fresh connections until stopped; records each answer's status and latency. A probe that
    gets no answer within PROMPT_S records status 0."""

    INTERVAL_S = 0.1

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.results: list[tuple[int, float]] = []
        self.stop_event = threading.Event()

    def probe_once(self) -> tuple[int, float]:
        started = time.monotonic()
        try:
            with Wire(self.port) as w:
                w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                status = w.response().status
        except (OSError, EOFError):
            status = 0
        return status, time.monotonic() - started

    def run(self):
        while not self.stop_event.is_set():
            self.results.append(self.probe_once())
            self.stop_event.wait(self.INTERVAL_S)

    def finish(self) -> list[tuple[int, float]]:
        self.stop_event.set()
        self.join(timeout=2 * PROMPT_S)
        return list(self.results)

    def wait_for(self, probes: int, within_s: float) -> bool:
        deadline = time.monotonic() + within_s
        while len(self.results) < probes and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.results) >= probes

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.finish()


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted from 'state' (field 3)


def cpu_fraction(pid: int, window_s: float = 1.0) -> float:
    """Share of one core the process used over window_s of wall time."""
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(window_s)
    t1, c1 = time.monotonic(), cpu_ticks(pid)
    return (c1 - c0) / CLOCK_TICKS_PER_S / (t1 - t0)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def peak_rss_over(pid: int, window_s: float = 1.0, step_s: float = 0.1) -> int:
    """Highest RSS seen over window_s: the server may still be reading what the test just sent."""
    peak = rss_bytes(pid)
    deadline = time.monotonic() + window_s
    while time.monotonic() < deadline:
        time.sleep(step_s)
        peak = max(peak, rss_bytes(pid))
    return peak


def open_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class SharedServer:
    """One tallyd that a whole module attacks, as a real attacker would. If an attack kills it or leaves it
    unresponsive, the next test gets a fresh one (so one bad case does not fail every later one) and
    `replacements` records why."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.replacements: list[str] = []
        self.retired: list[TallyServer] = []
        self.srv = TallyServer(workdir, name="hostile").start()

    # Fresh connections probed: tallyd spreads connections over its HTTP threads in turn, so a few probes reach
    # each of them (one hung thread leaves /healthz answering on the others).
    PROBES = 4

    def responsive(self) -> bool:
        try:
            for _ in range(self.PROBES):
                with Wire(self.srv.port) as w:
                    w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    if w.response().status != 200:
                        return False
            return True
        except (OSError, EOFError):
            return False

    def ensure_running(self, after: str) -> TallyServer:
        """`after`: the test that is about to run (so a replacement names the test before it as the cause)."""
        if self.srv.running and self.responsive():
            return self.srv
        why = "exited" if not self.srv.running else "stopped answering /healthz"
        self.replacements.append(f"{self.srv.name} {why} before {after}")
        if self.srv.running:
            self.srv.kill9()
        else:
            self.srv.signal_stop()  # records the exit code for the report
        self.retired.append(self.srv)
        self.srv = TallyServer(self.workdir, name=f"hostile{len(self.replacements)}").start()
        return self.srv

    def close(self):
        if self.srv.proc is not None:
            self.srv.stop()


# ----------------------------------------------------------------------------------------------------------------
# Fixtures and checks shared by the hostile suites
# ----------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    state = SharedServer(tmp_path_factory.mktemp("hostile"))
    yield state
    state.close()


@pytest.fixture
def srv(shared, request):
    server = shared.ensure_running(after=request.node.name)
    request.node._tally_servers = [server]  # its log goes into a failing test's report (conftest)
    return server


def ask(srv, raw: bytes, within_s: float = PROMPT_S):
    """Sends raw bytes on a fresh connection; returns (answer, wire) with the wire still open."""
    wire = Wire(srv.port)
    wire.send_quietly(raw)
    return wire.response(within_s), wire


def counts(srv) -> tuple[int, int]:
    with Wire(srv.port) as w:
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = w.response()
    assert r.status == 200, r.body
    body = r.json()
    return body["users"], body["transactions"]


def assert_serving(srv):
    assert srv.running, f"tallyd exited: {srv.proc.poll()}"
    with Wire(srv.port) as w:
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert w.response().status == 200


def serving_again_within(srv, within_s: float) -> bool:
    """Polls /healthz until it answers 200 or within_s passes."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with Wire(srv.port, timeout_s=max(0.1, min(PROMPT_S, deadline - time.monotonic()))) as w:
                w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if w.response(within_s=max(0.1, deadline - time.monotonic())).status == 200:
                    return True
        except (OSError, EOFError):
            time.sleep(0.1)
    return False


def assert_functional(srv):
    c = srv.client()
    user = c.create_user("after attack")
    c.deposit(user["id"], "12.34")
    assert c.balance(user["id"]) == "12.34"
    c.session.close()


def create_user(srv, name: str) -> dict:
    """POST /v1/user on a fresh connection, answered within PROMPT_S (requests would wait 30 s)."""
    with Wire(srv.port) as w:
        w.send(post_user(json.dumps({"name": name}).encode()))
        r = w.response()
    assert r.status == 201, r.body
    return r.json()


def post_user(body: bytes, extra: bytes = b"") -> bytes:
    return (b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


def timed_healthz(srv) -> float:
    with Wire(srv.port) as w:
        started = time.monotonic()
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert w.response().status == 200
        return time.monotonic() - started


def assert_idle_fast_and_correct(shared: SharedServer, srv: TallyServer):
    """The end of a hostile suite: no attack killed or hung a server, and this one is fast, idle and correct."""
    assert not shared.replacements, f"attacks killed or hung servers: {shared.replacements}"
    fastest = min(timed_healthz(srv) for _ in range(5))
    assert fastest <= PLAIN_GET_S, f"a plain GET took {fastest * 1000:.0f} ms at best"
    assert cpu_fraction(srv.proc.pid) <= IDLE_CPU_FRACTION_MAX
    assert_functional(srv)
