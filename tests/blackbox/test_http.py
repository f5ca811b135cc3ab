"""HTTP behaviour over raw sockets and requests: keep-alive, Connection: close, garbage, limits, routes."""
from __future__ import annotations

import json
import socket

import pytest

from tallylib import RawConnection, assert_error, new_uid


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "users": 0, "transactions": 0, "live_actors": 0}


def test_keep_alive_by_default_on_http_1_1(server):
    with RawConnection(server.port) as conn:
        first = conn.request("GET", "/healthz")
        assert first.status == 200
        assert (first.header("Connection") or "").lower() != "close"
        assert json.loads(first.body)["status"] == "ok"
        body = json.dumps({"name": "keepalive"}).encode()
        second = conn.request("POST", "/v1/user", body, {"Content-Type": "application/json"})
        assert second.status == 201, second.body
        uid = second.json()["id"]
        third = conn.request("GET", f"/v1/user/{uid}")
        assert third.status == 200
        assert third.json()["name"] == "keepalive"
        assert (third.header("Connection") or "").lower() != "close"


def test_keep_alive_after_an_error_response(server):
    with RawConnection(server.port) as conn:
        bad = conn.request("PUT", "/v1/transaction", b"not json", {"Content-Type": "application/json"})
        assert bad.status == 400
        assert bad.json()["error"]["code"] == "malformed_json"
        nf = conn.request("GET", "/nope")
        assert nf.status == 404
        ok = conn.request("GET", "/healthz")
        assert ok.status == 200


def test_connection_close_is_honoured(server):
    with RawConnection(server.port) as conn:
        r = conn.request("GET", "/healthz", headers={"Connection": "close"})
        assert r.status == 200
        assert conn.closed_by_peer(), "server kept the connection open after Connection: close"


def test_pipelined_requests_are_answered_in_order(server):
    with RawConnection(server.port, timeout=3) as conn:
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /v1/user/999999999 HTTP/1.1\r\nHost: x\r\n\r\n")
        a = conn.read_response()
        b = conn.read_response()
        assert a.status == 200
        assert b.status == 404 and b.json()["error"]["code"] == "user_not_found"


@pytest.mark.parametrize("garbage", [
    b"\x00\x01\x02\xff\xfe garbage \r\n\r\n",
    b"HELLO WORLD\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /v1/user HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}",
    b"GET /healthz HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
    b"\r\n" * 100,
    b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n",
    b"POST /v1/user HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"name\":",  # then hang up
    bytes(range(256)) * 40,
])
def test_garbage_on_the_socket_does_not_hurt_the_server(server, client, garbage):
    try:
        with RawConnection(server.port, timeout=5) as conn:
            conn.send(garbage)
            try:
                conn.sock.shutdown(socket.SHUT_WR)
                conn.closed_by_peer()  # read whatever comes back until the server closes (or 5 s)
            except OSError:
                pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    assert server.running, "server died"
    r = client.get("/healthz")
    assert r.status_code == 200
    assert client.create_user("still alive")["name"] == "still alive"


def test_half_sent_request_then_hang_up(server, client):
    for _ in range(20):
        with RawConnection(server.port) as conn:
            conn.send(b"PUT /v1/transaction HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"uid\": ")
    assert client.get("/healthz").status_code == 200


def test_body_over_64k_is_413(client):
    u = client.create_user()
    uid = new_uid()
    pad = " " * (70 * 1024)
    body = f'{{"uid": "{uid}", "type": "DEPOSIT", "amount": "1", "user_id": {u["id"]}}}{pad}'
    r = client.tx_raw(body)
    assert_error(r, 413, "body_too_large")
    assert client.balance(u["id"]) == "0.00"
    assert client.get_tx(uid).status_code == 404
    r = client.create_user_raw(json.dumps({"name": "x" * (70 * 1024)}))
    assert_error(r, 413, "body_too_large")


def test_body_just_under_64k_is_processed(client):
    u = client.create_user()
    uid = new_uid()
    core = f'{{"uid": "{uid}", "type": "DEPOSIT", "amount": "1", "user_id": {u["id"]}}}'
    body = core[:-1] + " " * (64 * 1024 - len(core) - 16) + "}"
    assert len(body.encode()) < 64 * 1024
    r = client.tx_raw(body)
    assert r.status_code == 200, r.text
    assert client.balance(u["id"]) == "1.00"


def test_body_limit_boundary_is_exactly_64_kib(client):
    u = client.create_user()
    uids = [new_uid(), new_uid()]
    bodies = []
    for uid, size in zip(uids, (64 * 1024, 64 * 1024 + 1)):
        core = f'{{"uid": "{uid}", "type": "DEPOSIT", "amount": "1", "user_id": {u["id"]}}}'
        bodies.append((core[:-1] + " " * (size - len(core)) + "}").encode())
        assert len(bodies[-1]) == size
    r = client.tx_raw(bodies[0])
    assert r.status_code == 200, r.text
    assert_error(client.tx_raw(bodies[1]), 413, "body_too_large")
    assert client.balance(u["id"]) == "1.00"
    assert client.get_tx(uids[1]).status_code == 404


def test_non_json_body_is_400(client):
    assert_error(client.tx_raw("uid=1&type=DEPOSIT"), 400, "malformed_json")
    assert_error(client.tx_raw(b"\xff\xfe\x00"), 400, "malformed_json")
    assert_error(client.tx_raw('[{"uid": "x"}]'), 400, "malformed_json")
    assert_error(client.tx_raw("null"), 400, "malformed_json")


@pytest.mark.parametrize("method,path", [
    ("GET", "/"),
    ("GET", "/nope"),
    ("GET", "/v1"),
    ("GET", "/v1/users"),
    ("GET", "/v2/user/1"),
    ("POST", "/v1/transactionz"),
    ("GET", "/v1/user/1/balances"),
    ("GET", "/v1/user/1/balance/extra"),
    ("GET", "/healthzz"),
])
def test_unknown_route_is_404_json(client, method, path):
    r = client.request(method, path)
    assert_error(r, 404, "route_not_found")
    assert r.headers.get("Content-Type", "").startswith("application/json")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/v1/transaction", (405,)),
    ("PATCH", "/v1/user/1/balance", (405,)),
    ("DELETE", "/v1/user/1", (405,)),
    ("PUT", "/v1/user/1", (405,)),
    ("GET", "/v1/transaction", (404, 405)),
    ("DELETE", "/v1/transaction/abc", (405,)),
    ("PUT", "/v1/user/1/balance", (405,)),
    ("POST", "/healthz", (405,)),
])
def test_wrong_method_is_405_json(client, method, path, allowed):
    client.create_user()  # so that /v1/user/1 exists
    r = client.request(method, path, data=b"{}", headers={"Content-Type": "application/json"})
    codes = tuple({405: "method_not_allowed", 404: "route_not_found"}[s] for s in allowed)
    assert_error(r, allowed, codes)


def test_requests_without_content_type_still_work(server):
    with RawConnection(server.port) as conn:
        r = conn.request("POST", "/v1/user", json.dumps({"name": "no ctype"}).encode())
        assert r.status == 201, r.body
        assert r.json()["name"] == "no ctype"
