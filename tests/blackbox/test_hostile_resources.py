"""Hostile clients that go after the server's resources, over raw sockets against the real tallyd: oversized
request lines and header sections, bodies over a route's limit, slow uploads, slowloris, connections dropped
mid-request, half-closed sockets, a client that never reads, the connection cap, and running out of file
descriptors. Each case bounds what the attack may cost (time to the refusal, memory, descriptors, CPU) and
checks that other clients are served meanwhile; at the end the shared server must be idle, fast and correct.

Expected answers come from test_hostile.EXPECTED. Every socket wait is bounded (hostile_wire.PROMPT_S).
"""
from __future__ import annotations

import os
import re
import resource
import select
import socket
import time

import pytest

from hostile_wire import (IDLE_CPU_FRACTION_MAX, PROMPT_S, HealthProber, Sender, Wire, ask,  # noqa: F401
                          assert_functional, assert_idle_fast_and_correct, assert_serving, counts, cpu_fraction,
                          open_count, peak_rss_over, rss_bytes, serving_again_within, shared, srv)
from test_hostile import BATCH_BODY_LIMIT_BYTES, BODY_LIMIT_BYTES, CHUNKED_HEAD, assert_json_error

HEAD_TIMEOUT_S = 10.0  # mirrors limits::http_header_timeout_ms: a head must be complete within this
ACCEPT_BACKOFF_S = 0.1  # mirrors limits::http_accept_backoff_ms: accepting pauses this long when out of descriptors
REFUSALS_PER_BACKOFF = 16  # mirrors limits::http_refusals_per_backoff_max: waiting clients answered per pause
# scripts/sanitize.sh sets TALLY_SANITIZE. ASan keeps up to 256 MiB of freed memory in quarantine, so RSS no
# longer measures what the server holds: the memory bounds are checked in the release pass, and the sanitizer
# pass runs the same attacks for what ASan checks.
SANITIZED = bool(os.environ.get("TALLY_SANITIZE"))
MEMORY_FACTOR = 2  # RSS growth allowed per byte the attack sent...
MEMORY_SLACK_BYTES = 16 * 1024 * 1024  # ...plus this


def assert_rss_growth_within(growth: int, bound: int, what):
    if SANITIZED:
        pytest.skip(f"RSS bound not checked under {os.environ['TALLY_SANITIZE']} (ASan's quarantine); "
                    f"grew {growth} bytes")
    assert growth <= bound, (growth, bound, what)


# ----------------------------------------------------------------------------------------------------------------
# (c) oversized heads are refused at once while others are served; (d) bodies over the route's limit
# ----------------------------------------------------------------------------------------------------------------

def refused_while_others_served(srv, raw: bytes, case: str):
    with HealthProber(srv.port) as prober, Wire(srv.port) as w:
        sender = Sender(w, raw)
        sender.start()
        r = w.response()
        prober.wait_for(3, 3 * PROMPT_S)  # a few probes, so some ran while the head was still coming in
    assert_json_error(r, case)
    assert len(prober.results) >= 3 and all(status == 200 for status, _ in prober.results), prober.results
    assert_serving(srv)


@pytest.mark.parametrize("size", [1 << 20, 4 << 20], ids=["1MiB", "4MiB"])
def test_c_huge_request_line_is_414_at_once(srv, size):
    refused_while_others_served(srv, b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n", "uri_too_long")


def test_c_100k_header_lines_are_431_at_once(srv):
    fields = b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
    refused_while_others_served(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n", "headers_too_large")


@pytest.mark.parametrize("path,limit", [("/v1/user", BODY_LIMIT_BYTES), ("/v1/transaction", BODY_LIMIT_BYTES),
                                        ("/v1/transactions", BATCH_BODY_LIMIT_BYTES)])
def test_d_content_length_over_the_route_limit_is_413_before_the_body(srv, path, limit):
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {limit + 1}\r\n\r\n".encode()
    r, w = ask(srv, head)  # no body is ever sent: the answer must not wait for it
    w.close()
    assert_json_error(r, "body_too_large")
    assert_serving(srv)


def test_d_slow_uploads_hold_memory_bounded_by_what_arrived(srv):
    connections, sent_each = 100, 64 * 1024
    head = (f"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BATCH_BODY_LIMIT_BYTES}\r\n\r\n").encode()
    before = rss_bytes(srv.proc.pid)
    wires = [Wire(srv.port) for _ in range(connections)]
    try:
        for w in wires:
            w.send(head + b"[" + b" " * (sent_each - 1))
        growth = peak_rss_over(srv.proc.pid) - before
    finally:
        for w in wires:
            w.close()
    arrived = connections * (len(head) + sent_each)
    assert_serving(srv)
    assert_rss_growth_within(growth, MEMORY_FACTOR * arrived + MEMORY_SLACK_BYTES, f"{arrived} bytes arrived")


# ----------------------------------------------------------------------------------------------------------------
# Slow, silent, vanishing and half-closed clients
# ----------------------------------------------------------------------------------------------------------------

def test_slowloris_head_gets_408_and_others_are_unaffected(srv):
    byte_interval_s = 0.1
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    with HealthProber(srv.port) as prober, Wire(srv.port) as w:
        give_up = time.monotonic() + HEAD_TIMEOUT_S + PROMPT_S
        for byte in head:  # one byte per interval until the server answers (or the bound passes)
            if time.monotonic() > give_up or not w.send_quietly(bytes([byte])):
                break
            if select.select([w.sock], [], [], byte_interval_s)[0]:
                break
        r = w.response()
    assert_json_error(r, "request_timeout")
    assert len(prober.results) >= 3 and all(status == 200 for status, _ in prober.results), prober.results


def test_connections_dropped_mid_request_leave_no_trace(srv):
    users, transactions = counts(srv)
    fds = open_count(srv.proc.pid)
    partials = [b"GET /heal", b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Le",
                b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"name\": ",
                CHUNKED_HEAD + b"11\r\n{\"name\""]
    for i in range(200):
        with Wire(srv.port) as w:
            w.send_quietly(partials[i % len(partials)])
            if i % 2:  # half of them reset instead of closing
                w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert_serving(srv)
    assert counts(srv) == (users, transactions)
    deadline = time.monotonic() + 2 * PROMPT_S  # the server notices the closes asynchronously
    while open_count(srv.proc.pid) > fds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_count(srv.proc.pid) <= fds, "descriptors of dropped connections were not closed"
    assert cpu_fraction(srv.proc.pid) <= IDLE_CPU_FRACTION_MAX


def test_half_closed_client_still_gets_its_answer(srv):
    with Wire(srv.port) as w:
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        w.sock.shutdown(socket.SHUT_WR)  # "no more requests", not "do not answer"
        assert w.response().status == 200
        assert w.closed_within()


def test_half_closed_mid_request_is_closed_at_once(srv):
    # RFC 9112 8: an incomplete request may get an error answer before the close; it must not hang either way.
    users, _ = counts(srv)
    with Wire(srv.port) as w:
        w.send(b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"name\": ")
        w.sock.shutdown(socket.SHUT_WR)
        assert w.closed_within(), "server kept a half-closed incomplete request open"
        if w.buf:
            assert_json_error(w.read_response(), "bad_request")
    assert counts(srv)[0] == users


@pytest.mark.parametrize("requests_before", [0, 1])
def test_fin_in_the_requests_own_segment_is_seen(srv, requests_before):
    # The edge reads a client socket once while that read comes back short (rest/http_transport.hpp): a FIN that
    # arrives in the same segment as the request raises no later readiness, so the server must take it from the
    # event that brought the request, or the connection would sit open until the idle timeout.
    for _ in range(20):
        with Wire(srv.port) as w:
            for _ in range(requests_before):  # a keep-alive connection the server already knows
                w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert w.response().status == 200
            w.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            w.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            w.sock.shutdown(socket.SHUT_WR)  # still corked: the request and the FIN leave in one segment
            assert w.response().status == 200
            assert w.closed_within(), "the FIN that came with the request went unseen"


def test_client_that_never_reads_its_answers_costs_bounded_memory(srv):
    requests_bytes_max, give_up_s = 64 * 1024 * 1024, 8.0
    burst = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 1000
    before = rss_bytes(srv.proc.pid)
    with Wire(srv.port, timeout_s=1.0) as w:
        w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sent, give_up = 0, time.monotonic() + give_up_s
        # The server should stop reading once its answers back up (a send then times out) or drop us.
        while sent < requests_bytes_max and time.monotonic() < give_up and w.send_quietly(burst):
            sent += len(burst)
        growth = peak_rss_over(srv.proc.pid) - before
    assert_serving(srv)
    assert_rss_growth_within(growth, MEMORY_SLACK_BYTES, f"{sent} bytes of requests sent, none read")


# ----------------------------------------------------------------------------------------------------------------
# (h) out of file descriptors
# ----------------------------------------------------------------------------------------------------------------

def connection_cap(server) -> int:
    """The connection cap tallyd sized from its open-file limit at start (its startup log line says it)."""
    found = re.search(r"at most (\d+) connections", server.output())
    assert found, f"no connection cap in the log: {server.output()[-2000:]}"
    return int(found.group(1))


def assert_refused_503(r, why: str):
    assert r.status == 503, f"{why}: {r.status} {r.body[:300]!r}"
    assert (r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type")
    assert r.json()["error"]["code"] == "too_many_connections", r.body
    assert r.header("Retry-After") is not None and r.header("Connection") == "close", r.header_list


def settled_open_count(pid: int, quiet_s: float = 0.5) -> int:
    """The server's descriptor count once it has stopped changing for quiet_s (it notices opens and closes
    asynchronously, slowly under a sanitizer), within PROMPT_S."""
    deadline = time.monotonic() + PROMPT_S
    count, since = open_count(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.05)
        now = open_count(pid)
        if now != count:
            count, since = now, time.monotonic()
    return count


def fd_limited(soft_and_hard: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft_and_hard, soft_and_hard))
    return preexec


def test_h_beyond_the_connection_cap_clients_get_503_and_the_server_idles(make_server):
    # The edge caps connections below its open-file limit (reserving descriptors for the WAL, snapshots and the
    # rest), so clients alone never run it out: the ones beyond the cap are answered 503 and closed at once.
    fd_limit, beyond = 64, 20
    server = make_server(name="fdcap", preexec_fn=fd_limited(fd_limit))
    pid, cap = server.proc.pid, connection_cap(server)
    base = settled_open_count(pid)  # after the start-up probe's connection is gone, so the cap is all free
    assert base + cap < fd_limit, f"the cap ({cap}) leaves no room below {fd_limit} descriptors ({base} in use)"
    held = []
    try:
        held = [Wire(server.port) for _ in range(cap)]  # silent clients: the server holds each until its head timeout
        assert settled_open_count(pid) == base + cap, f"{open_count(pid)} descriptors for {cap} clients over {base}"
        readable, _, _ = select.select([w.sock for w in held], [], [], 0)
        assert not readable, "clients within the cap were answered (refused?)"
        for i in range(beyond):  # they send nothing: a request sent after the close would reset the answer away
            with Wire(server.port) as w:
                assert_refused_503(w.response(), f"client {cap + i + 1} of a cap of {cap}")
                assert w.closed_within(), "a refused client was left open"
        assert open_count(pid) < fd_limit
        assert cpu_fraction(pid) <= IDLE_CPU_FRACTION_MAX, "busy while at the connection cap"
        held[0].send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # the connections it holds are served
        assert held[0].response().status == 200
    finally:
        for w in held:
            w.close()
    assert serving_again_within(server, 3 * PROMPT_S), "still refusing after the held connections closed"
    assert_functional(server)


def test_h_out_of_descriptors_the_server_idles_and_recovers(make_server):
    # Real EMFILE, past the cap: the server starts with 512 descriptors (a cap of 256 connections), then its limit
    # is lowered to 64 while it runs, as when other descriptors are taken after the cap was sized (nothing in the
    # server is made to look out of descriptors: accept(2) itself fails). Pistache's own accept loop spun at ~80%
    # CPU here; the edge answers a few waiting clients 503 through a reserved descriptor and pauses accepting.
    start_limit, fd_limit, clients_max = 512, 64, 400
    server = make_server(name="fdlimit", preexec_fn=fd_limited(start_limit))
    pid = server.proc.pid
    assert connection_cap(server) > fd_limit, "the cap would stop clients before the descriptors run out"
    wires = []
    with Wire(server.port) as keeper:  # a client connected before: it must still be served while out of descriptors
        keeper.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert keeper.response().status == 200
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (fd_limit, fd_limit))
        try:
            flood_started = time.monotonic()
            for _ in range(clients_max):  # the kernel queues those the server does not accept (backlog SOMAXCONN)
                try:
                    wires.append(Wire(server.port, timeout_s=0.5))
                except OSError:
                    break
            deadline = time.monotonic() + PROMPT_S
            while open_count(pid) < fd_limit - 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert open_count(pid) >= fd_limit - 1, f"never ran out: {open_count(pid)} fds, {len(wires)} clients"
            assert "out of file descriptors" in server.output(), "accept(2) never failed with EMFILE"
            assert cpu_fraction(pid) <= IDLE_CPU_FRACTION_MAX, "spins while out of descriptors"
            keeper.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert keeper.response().status == 200, "a connection it had stopped being served"
            # Meanwhile each pause ended in an accept that failed and at most REFUSALS_PER_BACKOFF waiting clients
            # refused, ten pauses a second (ACCEPT_BACKOFF_S), not the whole queue at once (a loop that does not
            # pause refuses all 400 within milliseconds, or spins where it has no reserved descriptor).
            elapsed = time.monotonic() - flood_started
            readable, _, _ = select.select([w.sock for w in wires], [], [], 0)
            answered = [w for w in wires if w.sock in readable]
            assert answered, "no waiting client was answered while out of descriptors"
            assert len(answered) <= REFUSALS_PER_BACKOFF * (2 + elapsed / ACCEPT_BACKOFF_S), \
                f"accepting did not pause: {len(answered)} of {len(wires)} clients refused in {elapsed:.1f} s"
            for w in answered[:5]:
                assert_refused_503(w.response(), "a client waiting while out of descriptors")
        finally:
            for w in wires:
                w.close()
    assert serving_again_within(server, 3 * PROMPT_S), "still not serving after the connections closed"
    assert_functional(server)


# ----------------------------------------------------------------------------------------------------------------
# After everything above
# ----------------------------------------------------------------------------------------------------------------

def test_zz_after_the_attacks_the_server_is_idle_fast_and_correct(shared, srv, request):
    request.node._tally_servers += shared.retired
    assert_idle_fast_and_correct(shared, srv)
