"""Issue 8, "every client is hostile": each HTTP-edge bug found with raw sockets against Pistache's parser, proven
fixed against the real binary. Every edge error must be the API's JSON error."""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

from tallylib import RawConnection, TallyServer, ServerDidNotStart, assert_error

JSON = "application/json"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def assert_json_error(resp, status: int, code: str):
    assert resp.status == status, (resp.status, resp.body[:300])
    assert (resp.header("Content-Type") or "").startswith(JSON), resp.header_list
    body = resp.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], body


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime + stime


def raw_answer(port: int, data: bytes, timeout: float = 5.0):
    """Sends data and reads one answer; the socket timeout is below every server timeout, so an answer that only
    a timeout would produce fails the read."""
    with RawConnection(port, timeout=timeout) as conn:
        conn.send(data)
        return conn.read_response()


def user_post(name: str) -> bytes:
    body = json.dumps({"name": name}).encode()
    return b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


# -- chunked bodies -------------------------------------------------------------------------------------------

def test_chunk_crlf_split_across_segments_is_answered_and_sigterm_still_stops(server):
    body = b'{"name":"split"}'
    head = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with RawConnection(server.port) as conn:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.send(head + b"%x\r\n" % len(body) + body + b"\r")
        time.sleep(0.05)  # the rest as its own segment: not an assertion on time, a way to split the input
        conn.send(b"\n0\r\n\r\n")
        r = conn.read_response()
        assert r.status == 201, r.body
        assert r.json()["name"] == "split"
    # A chunked upload left half-way must not keep the server from stopping.
    with RawConnection(server.port) as stuck:
        stuck.send(head + b"5\r\nab")
        assert server.stop() == 0


# -- huge heads ------------------------------------------------------------------------------------------------

def test_huge_request_lines_are_414_and_cheap(server, client):
    before = cpu_seconds(server.proc.pid)
    for _ in range(3):
        with RawConnection(server.port, timeout=10) as conn:
            try:
                conn.send(b"GET /" + b"a" * (4 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered and closed before all of it was sent: read the answer
            assert_json_error(conn.read_response(), 414, "uri_too_long")
    assert client.get("/healthz").status_code == 200
    # Pistache's parser spent ~24 s of CPU per 4 MiB line; reading and dropping 12 MiB costs milliseconds.
    assert cpu_seconds(server.proc.pid) - before < 2.0


def test_too_many_or_too_large_headers_are_431(server):
    many = b"".join(b"X-%d: v\r\n" % i for i in range(100_000))
    with RawConnection(server.port, timeout=10) as conn:
        try:
            conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert_json_error(conn.read_response(), 431, "headers_too_large")
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (17 * 1024) + b"\r\n\r\n"
    assert_json_error(raw_answer(server.port, big), 431, "headers_too_large")


# -- bodies are limited by their route before they are read ---------------------------------------------------

def test_over_limit_content_length_is_413_before_the_body(server):
    for path, length in (("/v1/user", 64 * 1024 + 1), ("/v1/transactions", 4 * 1024 * 1024 + 1)):
        head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path.encode(), length)
        r = raw_answer(server.port, head)  # no body byte sent: the answer comes from the head alone
        assert_json_error(r, 413, "body_too_large")
        assert (r.header("Connection") or "").lower() == "close"


def test_uploads_over_the_route_limit_are_not_buffered(server, client):
    def rss_kib() -> int:
        with open(f"/proc/{server.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    before = rss_kib()
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * (64 * 1024))
    conns = [RawConnection(server.port) for _ in range(32)]
    try:
        for c in conns:  # 1 MiB each for a 64 KiB route, never finished: a slow upload that keeps the connection
            try:
                c.send(b"POST /v1/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 16)
            except (BrokenPipeError, ConnectionResetError):
                pass
        assert client.get("/healthz").status_code == 200
        # Pistache buffered each up to the 4 MiB batch limit (twice over) before the route saw it: 32 MiB here.
        assert rss_kib() - before < 16 * 1024
    finally:
        for c in conns:
            c.close()


def test_chunked_body_over_the_limit_is_413_as_soon_as_it_grows(server):
    with RawConnection(server.port) as conn:
        conn.send(b"POST /v1/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 4096
        answer = None
        for _ in range(32):  # 128 KiB offered, 64 KiB allowed
            try:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = conn.read_response()
        assert_json_error(answer, 413, "body_too_large")


# -- pipelining ------------------------------------------------------------------------------------------------

def test_three_pipelined_gets_get_three_answers(server):
    with RawConnection(server.port) as conn:
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 2 + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        assert [conn.read_response().status for _ in range(3)] == [200, 200, 404]


def test_150_pipelined_posts_create_150_users_answered_in_order(server, client):
    count = 150  # deeper than the pipeline bound: parsing pauses and resumes as answers drain
    with RawConnection(server.port, timeout=30) as conn:
        conn.send(b"".join(user_post(f"pipelined-{i}") for i in range(count)))
        names = []
        for _ in range(count):
            r = conn.read_response()
            assert r.status == 201, r.body
            names.append(r.json()["name"])
    assert names == [f"pipelined-{i}" for i in range(count)]
    assert client.get("/healthz").json()["users"] == count


# -- Content-Length and transfer codings -----------------------------------------------------------------------

@pytest.mark.parametrize("value", [b"-1", b"18446744073709551615", b"18446744073709551616", b"17abc", b"17, 17",
                                   b"0x11", b"+17", b""])
def test_malformed_content_length_is_400(server, value):
    r = raw_answer(server.port, b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: " + value +
                   b"\r\n\r\n" + b'{"name":"cl-case!"}')
    assert_json_error(r, 400, "invalid_content_length")


def test_content_length_of_2_63_is_413(server):
    r = raw_answer(server.port, b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\n")
    assert_json_error(r, 413, "body_too_large")


def test_two_content_lengths_are_refused_not_first_wins(server, client):
    body = b'{"name":"smuggled"}'
    for second in (b"5", b"%d" % len(body)):
        r = raw_answer(server.port, b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nContent-Length: %s"
                       b"\r\n\r\n%s" % (len(body), second, body))
        assert_json_error(r, 400, "invalid_content_length")
    assert client.get("/healthz").json()["users"] == 0


def test_content_length_with_transfer_encoding_is_400(server):
    r = raw_answer(server.port, b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert_json_error(r, 400, "invalid_content_length")


def test_unsupported_transfer_coding_is_501(server):
    r = raw_answer(server.port, b"POST /v1/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
    assert_json_error(r, 501, "unsupported_transfer_coding")


# -- protocol errors are JSON and immediate --------------------------------------------------------------------

@pytest.mark.parametrize("data,status,code", [
    (b"HELLO / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented"),
    (b"HELLO WORLD\r\n\r\n", 400, "malformed_request"),  # no version: not a request line, so not 501 either
    (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "missing_host"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n", 400, "malformed_request"),
    (b"GET /healthz HTTP/1.1\nHost: x\n\n", 400, "malformed_request"),
    (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"),
    (b"\x00\x01\x02\xff garbage\r\n\r\n", 400, "malformed_request"),
])
def test_protocol_errors_are_json_and_immediate(server, data, status, code):
    r = raw_answer(server.port, data)
    assert_json_error(r, status, code)
    assert (r.header("Connection") or "").lower() == "close"


def test_expect_100_continue_is_answered_before_the_body(server):
    body = json.dumps({"name": "x" * 150}).encode()
    with RawConnection(server.port) as conn:
        conn.send(b"POST /v1/user HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        interim = conn._read_until(b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue", interim
        conn.send(body)
        r = conn.read_response()
        assert r.status == 201, r.body


def test_slow_head_gets_408_json_then_close(server):
    with RawConnection(server.port, timeout=20) as conn:  # the head timeout is 10 s
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        assert_json_error(conn.read_response(), 408, "request_timeout")
        assert conn.closed_by_peer()


def test_head_answer_has_no_body(server):
    with RawConnection(server.port) as conn:
        conn.send(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = conn._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 405"), head
        assert conn.read_response().status == 200  # the next answer follows directly: no stray body


# -- out of descriptors ----------------------------------------------------------------------------------------

class LimitedServer(TallyServer):
    """tallyd with 64 descriptors, soft and hard: it cannot raise the limit."""

    def command(self, port: int) -> list[str]:
        return ["prlimit", "--nofile=64:64"] + super().command(port)


def test_out_of_descriptors_backs_off_instead_of_spinning(tmp_path):
    srv = LimitedServer(tmp_path, name="fd64")
    try:
        srv.start()
    except ServerDidNotStart as e:
        pytest.fail(str(e))
    try:
        check_backs_off_and_refuses(srv)
    finally:
        srv.stop()


def check_backs_off_and_refuses(srv: TallyServer):
    conns = []
    try:
        for _ in range(100):
            try:
                conns.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            except OSError:
                break
        before = cpu_seconds(srv.proc.pid)
        time.sleep(1.0)  # a spinning accept loop burns most of a core meanwhile
        assert cpu_seconds(srv.proc.pid) - before < 0.3
        # Beyond what it can serve, a client is told so in JSON rather than left hanging (without even asking).
        last = conns[-1]
        # At each accept back-off (limits::http_accept_backoff_ms) the listener answers every client waiting in the
        # backlog through its reserve descriptor; the bound is wide for a sanitizer build on a busy machine.
        last.settimeout(60)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = last.recv(4096)
            assert chunk, f"closed without an answer: {data!r}"
            data += chunk
        assert data.startswith(b"HTTP/1.1 503"), data
        assert b"too_many_connections" in data
    finally:
        for c in conns:
            c.close()
    # The server learns of the closes on its reactor thread (one by default on 2 cores), so the first fresh
    # connection may still find every descriptor taken: it must be served again once the closes are seen.
    c = srv.client()
    try:
        deadline = time.monotonic() + 10
        status = c.get("/healthz").status_code
        while status == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
            status = c.get("/healthz").status_code
        assert status == 200
    finally:
        c.session.close()
    assert srv.stop() == 0
