"""Hostile clients that go after the server's resources, over raw sockets against the real tallyd: oversized
request lines and header sections, bodies over a route's limit, slow uploads, slowloris, connections dropped
mid-request, half-closed sockets, a client that never reads, and running out of file descriptors. Each case
bounds what the attack may cost (time to the refusal, memory, descriptors, CPU) and checks that other clients
are served meanwhile; at the end the shared server must be idle, fast and correct.

Expected answers come from test_hostile.EXPECTED. Every socket wait is bounded (hostile_wire.PROMPT_S).
"""
from __future__ import annotations

import os
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

def test_h_out_of_descriptors_the_server_idles_and_recovers(make_server):
    fd_limit, connections_max = 64, 400

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    server = make_server(name="fdlimit", preexec_fn=low_fd_limit)
    pid, socks = server.proc.pid, []
    try:
        for _ in range(connections_max):  # until the backlog is full too (connect then times out)
            try:
                socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=0.5))
            except OSError:
                break
        deadline = time.monotonic() + PROMPT_S
        while open_count(pid) < fd_limit - 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert open_count(pid) >= fd_limit - 1, f"never ran out: {open_count(pid)} fds, {len(socks)} clients"
        assert cpu_fraction(pid) <= IDLE_CPU_FRACTION_MAX, "spins while out of descriptors"
    finally:
        for s in socks:
            s.close()
    assert serving_again_within(server, 3 * PROMPT_S), "still not serving after the connections closed"
    assert_functional(server)


# ----------------------------------------------------------------------------------------------------------------
# After everything above
# ----------------------------------------------------------------------------------------------------------------

def test_zz_after_the_attacks_the_server_is_idle_fast_and_correct(shared, srv, request):
    request.node._tally_servers += shared.retired
    assert_idle_fast_and_correct(shared, srv)
