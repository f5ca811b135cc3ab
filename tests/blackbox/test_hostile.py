"""Hostile clients against the real tallyd over raw sockets: malformed and ambiguous framing (RFC 9112), smuggling
shapes, chunked bodies, odd heads, methods, versions and paths. Each case asserts the exact answer (status and JSON
error), that nothing was created where nothing should be, and that the server still serves; at the end the
shared server must be idle, fast and correct. Resource attacks (oversized heads and bodies, slow, silent and
vanishing clients, descriptor exhaustion) are in test_hostile_resources.py.

Where RFC 9112/9110 allow two answers, the comment at the case says which is expected and why.
Every socket wait is bounded (hostile_wire.PROMPT_S).
"""
from __future__ import annotations

import json
import time

import pytest

from hostile_wire import (Wire, ask, assert_idle_fast_and_correct, assert_serving, counts, post_user,  # noqa: F401
                          shared, srv)
from tallylib import assert_error, new_uid

# Expected answers, one entry per kind of refusal: (status, error code), the codes of README's error table. The
# edge's codes are settled, so every code is checked; a case whose code is still open would go in UNSETTLED_CODES
# (only "error.code is a non-empty string" is checked for those).
EXPECTED = {
    "uri_too_long": (414, "uri_too_long"),
    "headers_too_large": (431, "headers_too_large"),
    "body_too_large": (413, "body_too_large"),
    "bad_request": (400, "malformed_request"),              # malformed request line, field line or chunk framing
    "bad_content_length": (400, "invalid_content_length"),  # RFC 9112 6.3: 400, then close (also CL with TE)
    "bad_transfer_encoding": (400, "malformed_request"),    # chunked not last, or twice: 400+close
    "bad_chunk": (400, "malformed_request"),
    "missing_host": (400, "missing_host"),                  # RFC 9112 3.2: HTTP/1.1 without Host
    "request_timeout": (408, "request_timeout"),
    "unknown_method": (501, "method_not_implemented"),      # RFC 9110 9.1: unrecognised method
    "unknown_coding": (501, "unsupported_transfer_coding"),  # RFC 9112 6.1: transfer coding not understood
    "version": (505, "http_version_not_supported"),
    "invalid_timestamp": (422, "invalid_timestamp"),
    "route_not_found": (404, "route_not_found"),
    "user_not_found": (404, "user_not_found"),
    "transaction_not_found": (404, "transaction_not_found"),
}
UNSETTLED_CODES: set[str] = set()

BODY_LIMIT_BYTES = 64 * 1024              # limits::request_body_bytes_max
BATCH_BODY_LIMIT_BYTES = 4 * 1024 * 1024  # limits::batch_request_body_bytes_max

BODY17 = b'{"name": "evil1"}'  # 17 bytes: a server that reads a bad Content-Length as 17 creates a user
assert len(BODY17) == 17


# ----------------------------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------------------------

def assert_json_error(resp, *cases: str):
    """The answer is the JSON error of one of `cases` (several when the RFC allows more than one reading)."""
    expected = {EXPECTED[c][0] for c in cases}
    assert resp.status in expected, f"{cases}: expected {expected}, got {resp.status} {resp.body[:300]!r}"
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    assert ctype == "application/json", f"{cases}: Content-Type {resp.header('Content-Type')!r}"
    try:
        body = json.loads(resp.body)
    except ValueError:
        raise AssertionError(f"{cases}: error body is not JSON: {resp.body[:300]!r}")
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{cases}: no error object in {body}"
    assert isinstance(error.get("code"), str) and error["code"], f"{cases}: no error.code in {body}"
    assert isinstance(error.get("message"), str) and error["message"], f"{cases}: no error.message in {body}"
    matching = [c for c in cases if EXPECTED[c][0] == resp.status]
    if not any(c in UNSETTLED_CODES for c in matching):
        assert error["code"] in {EXPECTED[c][1] for c in matching}, f"{cases}: unexpected code in {body}"


# ----------------------------------------------------------------------------------------------------------------
# (a) timestamps below year 1 after their offset; (b) a chunk's CRLF split across segments
# ----------------------------------------------------------------------------------------------------------------

def test_a_timestamp_before_year_1_is_refused_and_the_server_restarts(make_server):
    server = make_server(name="ts")
    c = server.client()
    user = c.create_user("ts")["id"]
    too_early = "0001-01-01T00:00:00+01:00"  # 0000-12-31T23:00:00Z: outside ISO 8601's year range
    single = new_uid()
    assert_error(c.tx(user, "DEPOSIT", "1.00", uid=single, timestamp=too_early), *EXPECTED["invalid_timestamp"])
    batched = new_uid()
    r = c.send_json("PUT", "/v1/transactions",
                    [{"uid": batched, "type": "DEPOSIT", "amount": "1.00", "user_id": user, "timestamp": too_early}])
    assert r.status_code == 200, r.text
    (item,) = r.json()
    assert (item["status"], item["error"]["code"]) == EXPECTED["invalid_timestamp"], item
    c.deposit(user, "2.00")
    assert server.stop() == 0, server.output()
    server.start()
    c = server.client()
    assert c.balance(user) == "2.00"
    assert c.get_tx(single).status_code == 404
    assert c.get_tx(batched).status_code == 404


def test_b_chunked_body_whose_crlf_is_split_across_segments(srv):
    users, _ = counts(srv)
    body = b'{"name":"split"}'
    with Wire(srv.port) as w:
        w.send(b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r")
        time.sleep(0.2)  # not a wait for the server: makes the server read the '\r' on its own
        w.send(b"\n0\r\n\r\n")
        r = w.response()
    assert r.status == 201, r.body
    assert r.json()["name"] == "split"
    assert counts(srv)[0] == users + 1


# ----------------------------------------------------------------------------------------------------------------
# (e) pipelining
# ----------------------------------------------------------------------------------------------------------------

def test_e_three_pipelined_gets_are_answered_in_order(srv):
    user = srv.client().create_user("pipelined")
    with Wire(srv.port) as w:
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /v1/user/%d HTTP/1.1\r\nHost: x\r\n\r\n" % user["id"] +
               b"GET /v1/user/999999999 HTTP/1.1\r\nHost: x\r\n\r\n")
        first, second, third = w.response(), w.response(), w.response()
    assert first.status == 200 and first.json()["status"] == "ok"
    assert second.status == 200 and second.json() == user
    assert_json_error(third, "user_not_found")


def test_e_100_pipelined_posts_create_100_users_in_order(srv):
    users, _ = counts(srv)
    names = [f"pipe{i}" for i in range(100)]
    with Wire(srv.port) as w:
        w.send(b"".join(post_user(json.dumps({"name": n}).encode()) for n in names))
        answers = [w.response() for _ in names]
    assert [a.status for a in answers] == [201] * 100
    assert [a.json()["name"] for a in answers] == names
    assert len({a.json()["id"] for a in answers}) == 100
    assert counts(srv)[0] == users + 100


# ----------------------------------------------------------------------------------------------------------------
# (f) Content-Length and Transfer-Encoding: invalid or ambiguous framing is a 400 that closes the connection
# ----------------------------------------------------------------------------------------------------------------

def assert_refused_and_closed(srv, raw: bytes, case: str):
    users, transactions = counts(srv)
    r, w = ask(srv, raw)
    try:
        assert_json_error(r, case)
        # RFC 9112 6.3: after a framing error the next request's start is unknown; reading on would let a
        # smuggled request through, so the connection must end (and nothing after the head be answered).
        assert w.closed_within(), "connection left open after a framing error"
        assert b"HTTP/1." not in w.buf, f"a second answer followed: {w.buf[:200]!r}"
    finally:
        w.close()
    assert counts(srv) == (users, transactions), "a refused request changed something"
    assert_serving(srv)


@pytest.mark.parametrize("values", [
    ["-1"], [str(2**64 - 6)], [str(2**64 - 1)], [str(2**64)], ["9" * 30], ["17abc"], ["0x11"], ["+17"], ["1 7"],
    ["17, 17"], ["17", "17"], ["17", "18"], [""],
], ids=lambda v: "|".join(v) or "empty")
def test_f_invalid_content_length_is_400_and_creates_nothing(srv, values):
    # "17, 17" and two equal lines: RFC 9110 8.6 allows collapsing identical values or refusing; refusing both
    # the same way keeps them consistent (a front proxy that collapses and one that refuses disagree otherwise).
    # A number too large for a 64-bit count cannot be parsed: invalid framing (RFC 9112 6.3), so 400. The edge's
    # parser (http_parser) stops from 2^64 - 6 up; below that see the 413 case next.
    fields = b"".join(b"Content-Length: %s\r\n" % v.encode() for v in values)
    raw = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + fields + b"\r\n" + BODY17
    assert_refused_and_closed(srv, raw, "bad_content_length")


@pytest.mark.parametrize("value", [str(2**63), str(2**64 - 7)], ids=["2^63", "2^64-7"])
def test_f_huge_but_parsable_content_length_is_413_and_creates_nothing(srv, value):
    # A well-formed Content-Length (1*DIGIT) that the server can hold is valid framing (RFC 9110 8.6: recipients
    # must anticipate large numerals); over the route's limit it is a body too large (413), answered from the head
    # alone. The connection still closes: the unread body would otherwise be read as the next request.
    raw = (b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n"
           % value.encode() + BODY17)
    assert_refused_and_closed(srv, raw, "body_too_large")


def test_f_content_length_with_surrounding_whitespace_is_valid(srv):
    # RFC 9112 5.1: OWS around a field value is not part of it, so " 17 " is Content-Length 17: processed.
    users, _ = counts(srv)
    raw = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length:  17 \r\n\r\n" + BODY17
    r, w = ask(srv, raw)
    with w:
        assert r.status == 201, r.body
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # framing was right: the connection goes on
        assert w.response().status == 200
    assert counts(srv)[0] == users + 1


CHUNKED_17 = b"11\r\n" + BODY17 + b"\r\n0\r\n\r\n"
SMUGGLED = post_user(BODY17)
FRAMING_ATTACKS = {
    # Both headers: RFC 9112 6.1 lets a server refuse or follow TE alone, and then it MUST close; Tally refuses.
    "cl_and_te": b"Content-Length: 17\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNKED_17,
    "cl_te_smuggle": b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "te_cl_smuggle": (b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + b"%x\r\n" % len(SMUGGLED) +
                      SMUGGLED + b"\r\n0\r\n\r\n"),
    "te_chunked_then_gzip": b"Transfer-Encoding: chunked, gzip\r\n\r\n" + CHUNKED_17,  # chunked not last: 6.3
    "te_chunked_twice": b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNKED_17,
    "te_space_before_colon": b"Transfer-Encoding : chunked\r\n\r\n" + CHUNKED_17,  # 5.1: MUST be a 400
}
# Content-Length with Transfer-Encoding is the edge's invalid_content_length (README), however it is ordered.
FRAMING_CASE = {"te_space_before_colon": "bad_request", "cl_and_te": "bad_content_length",
                "cl_te_smuggle": "bad_content_length", "te_cl_smuggle": "bad_content_length"}


@pytest.mark.parametrize("shape", FRAMING_ATTACKS)
def test_f_ambiguous_framing_and_smuggling_is_400_and_closes(srv, shape):
    raw = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + FRAMING_ATTACKS[shape]
    assert_refused_and_closed(srv, raw, FRAMING_CASE.get(shape, "bad_transfer_encoding"))


def test_f_unknown_transfer_coding_is_501(srv):
    raw = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + CHUNKED_17
    assert_refused_and_closed(srv, raw, "unknown_coding")


# ----------------------------------------------------------------------------------------------------------------
# Chunked bodies
# ----------------------------------------------------------------------------------------------------------------

CHUNKED_HEAD = b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("chunks", [
    b"1" + b"0" * 16 + b"\r\n" + BODY17 + b"\r\n0\r\n\r\n",  # 2^64: overflows a 64-bit size
    b"f" * 40 + b"\r\n" + BODY17 + b"\r\n0\r\n\r\n",
    b"-11\r\n" + BODY17 + b"\r\n0\r\n\r\n",
    b"zz\r\n" + BODY17 + b"\r\n0\r\n\r\n",
    b"11;\x00\r\n" + BODY17 + b"\r\n0\r\n\r\n",                # NUL in a chunk extension
    b'11;a="open\r\n' + BODY17 + b"\r\n0\r\n\r\n",             # unterminated quoted extension value
    b"11\r\n" + BODY17 + b"XX0\r\n\r\n",                        # data not followed by CRLF
], ids=["size_2^64", "size_40_digits", "size_negative", "size_not_hex", "ext_nul", "ext_open_quote", "no_crlf"])
def test_malformed_chunked_body_is_400_and_creates_nothing(srv, chunks):
    assert_refused_and_closed(srv, CHUNKED_HEAD + chunks, "bad_chunk")


def test_chunk_size_over_the_route_limit_is_413_before_its_data(srv):
    r, w = ask(srv, CHUNKED_HEAD + b"%x\r\n" % (BODY_LIMIT_BYTES + 1))
    w.close()
    assert_json_error(r, "body_too_large")


def test_valid_chunk_extension_is_ignored(srv):
    # RFC 9112 7.1.1: a recipient MUST ignore chunk extensions it does not recognise.
    r, w = ask(srv, CHUNKED_HEAD + b'11 ; note="ok" ;x\r\n' + BODY17 + b"\r\n0\r\n\r\n")
    w.close()
    assert r.status == 201, r.body


# ----------------------------------------------------------------------------------------------------------------
# (g) heads: Host, broken field lines, line endings, NUL, obs-fold, methods, versions
# ----------------------------------------------------------------------------------------------------------------

def test_g_http_1_1_without_host_is_400_but_1_0_is_fine(srv):
    r, w = ask(srv, b"GET /healthz HTTP/1.1\r\n\r\n")
    w.close()
    assert_json_error(r, "missing_host")
    r, w = ask(srv, b"GET /healthz HTTP/1.0\r\n\r\n")
    w.close()
    assert r.status == 200, r.body


@pytest.mark.parametrize("raw", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    b"GET /healthz HTTP/1.1\nHost: x\n\n",  # bare LF: RFC 9112 2.2 lets a recipient accept it
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n",  # 9110 5.5: refuse, or read NUL as SP
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n",  # obs-fold: 9112 5.2: 400 or SP
], ids=["no_colon", "bare_lf", "nul_in_value", "obs_fold"])
def test_g_odd_field_lines_get_a_prompt_400_or_are_processed(srv, raw):
    r, w = ask(srv, raw)
    w.close()
    if r.status == 200:  # processed: the field line was skipped, the LF taken as a line end, NUL/fold as SP
        assert r.json()["status"] == "ok", r.body
    else:
        assert_json_error(r, "bad_request")


@pytest.mark.parametrize("field", [b"Content-Length: 1\x007", b"Content-Length: 1\r\n 7"], ids=["nul", "obs_fold"])
def test_g_nul_or_fold_inside_content_length_is_400_either_way(srv, field):
    # Refused, or NUL/fold read as SP ("1 7"): either reading gives an invalid Content-Length.
    raw = b"POST /v1/user HTTP/1.1\r\nHost: x\r\n" + field + b"\r\n\r\n" + BODY17
    users, _ = counts(srv)
    r, w = ask(srv, raw)
    w.close()
    assert_json_error(r, "bad_request", "bad_content_length")
    assert counts(srv)[0] == users


@pytest.mark.parametrize("request_line,case", [
    (b"BREW /healthz HTTP/1.1", "unknown_method"),
    (b"get /healthz HTTP/1.1", "unknown_method"),  # methods are case-sensitive (RFC 9110 9.1)
    (b"A" * 200 + b" /healthz HTTP/1.1", "unknown_method"),
    (b"G\x01T /healthz HTTP/1.1", "bad_request"),  # not a token
    # RFC 9112 3 lets a recipient parse on whitespace runs; a proxy in front that does not would see another
    # request line, so the edge reads one SP strictly and refuses the rest.
    (b"GET  /healthz HTTP/1.1", "bad_request"),
    # One token and no target is no request line at all: 400, not the 501 of an unknown method (which needs a
    # well-formed line to be told apart from garbage).
    (b"HELLO", "bad_request"),
    # HTTP/0.9 has no version and no headers: not an HTTP/1.x request line, and no version to answer 505 to.
    (b"GET /healthz", "bad_request"),
    (b"GET /healthz HTTP/3.0", "version"),
    # The HTTP/2 preface, whole (no Host line): a well-formed line of version 2.0, made to be refused by HTTP/1.1
    # servers (RFC 9113 3.4); the version comes first, so 505 rather than 501 for the method PRI.
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "version"),
], ids=["BREW", "lowercase", "long_method", "ctl_in_method", "double_space", "no_target", "http_0_9", "http_3",
        "h2_preface"])
def test_g_absurd_request_lines_get_their_error(srv, request_line, case):
    raw = request_line if request_line.startswith(b"PRI ") else request_line + b"\r\nHost: x\r\n\r\n"
    r, w = ask(srv, raw)
    w.close()
    assert_json_error(r, case)
    assert_serving(srv)


def test_g_higher_minor_version_is_served_as_1_1(srv):
    # RFC 9110 2.5: a higher minor version is to be processed as the highest one the server supports.
    r, w = ask(srv, b"GET /healthz HTTP/1.7\r\nHost: x\r\n\r\n")
    w.close()
    assert r.status == 200, r.body


# ----------------------------------------------------------------------------------------------------------------
# Paths
# ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,case", [
    ("/v1/user/../user/1", "route_not_found"),  # dot-segments are not resolved: no such route
    ("/v1/%2e%2e/v1/user/1", "route_not_found"),
    ("/v1/transaction/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "transaction_not_found"),  # a uid like any other
    ("/v1/transaction/a%00b", "transaction_not_found"),  # NUL is not printable ASCII: not a valid uid
    ("/v1/user/1%00", "user_not_found"),
    ("/v1/user/" + "9" * 7000, "user_not_found"),  # overflows any integer
    ("/v1/transaction/" + "u" * 7900, "transaction_not_found"),  # RFC 9112 3: 8000-octet lines are supported
], ids=["dotdot", "encoded_dotdot", "encoded_traversal_uid", "nul_in_uid", "nul_in_user_id", "long_user_id",
        "long_uid"])
def test_hostile_paths_are_plain_404s(srv, path, case):
    r, w = ask(srv, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    w.close()
    assert_json_error(r, case)


def test_zz_after_the_attacks_the_server_is_idle_fast_and_correct(shared, srv, request):
    request.node._tally_servers += shared.retired
    assert_idle_fast_and_correct(shared, srv)
