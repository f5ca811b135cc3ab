"""The answer checker (openapi_check.py, run over every answer of the black-box suite by conftest.py) shown to
accept right answers and to catch wrong ones, also end to end through the suite's own Client. The `document`
fixture (rest/openapi.json, resolved) is conftest.py's."""
from __future__ import annotations

import http.server
import json
import threading

import pytest

import conftest
from openapi_check import check_answer, resolve_refs
from tallylib import Client

JSON = {"Content-Type": "application/json"}
USER = {"id": 1, "name": "vasya", "balance": "0.00", "low_balance_threshold": "0.00", "client": ""}
TX = {"uid": "u-1", "user_id": 1, "type": "DEPOSIT", "amount": "100.00", "timestamp": "2023-01-04T00:00:00Z",
      "client": "billing"}


def _check(document, method, path, status, body, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return check_answer(document, method, path, status, headers or JSON, raw)


def test_checker_accepts_right_answers(document):
    assert _check(document, "GET", "/v1/user/1", 200, USER) == []
    assert _check(document, "POST", "/v1/user", 201, USER) == []
    assert _check(document, "PUT", "/v1/transaction", 200, TX) == []
    assert _check(document, "POST", "/v1/transaction", 409, {"error": {"code": "uid_conflict", "message": "m"},
                                                              "existing": TX}) == []
    assert _check(document, "GET", "/v1/user/1/balance", 200, {"user_id": 1, "balance": "1.50",
                                                                "date": "2023-01-03T00:00:00.000001Z"}) == []
    assert _check(document, "PUT", "/v1/transactions", 200, [
        {"status": 200, "transaction": TX},
        {"status": 409, "error": {"code": "uid_conflict", "message": "m"}, "existing": TX}]) == []
    assert _check(document, "DELETE", "/v1/transaction", 405,
                  {"error": {"code": "method_not_allowed", "message": "allowed: PUT, POST"}},
                  {**JSON, "Allow": "PUT, POST"}) == []
    assert _check(document, "GET", "/nope", 404, {"error": {"code": "route_not_found", "message": "m"}}) == []
    assert _check(document, None, None, 402, {"error": {"code": "insufficient_funds", "message": "m"}}) == []
    assert _check(document, "HEAD", "/healthz", 405, b"", {**JSON, "Allow": "GET"}) == []


@pytest.mark.parametrize("method,path,status,body,headers,expect", [
    ("GET", "/v1/user/1", 200, {**USER, "balance": 0.0}, None, "balance"),
    ("GET", "/v1/user/1", 200, {**USER, "balance": "0.5"}, None, "balance"),
    ("GET", "/v1/user/1", 200, {**USER, "extra": 1}, None, "extra"),
    ("GET", "/v1/user/1", 200, {"id": 1, "name": "v"}, None, "balance"),
    ("PUT", "/v1/transaction", 200, {**TX, "timestamp": "2023-01-04T00:00:00"}, None, "timestamp"),
    ("PUT", "/v1/transaction", 200, {**TX, "type": "deposit"}, None, "type"),
    ("PUT", "/v1/transaction", 402, {"error": {"code": "uid_conflict", "message": "m"}}, None, "uid_conflict"),
    ("PUT", "/v1/transaction", 409, {"error": {"code": "uid_conflict", "message": "m"}}, None, "existing"),
    ("PUT", "/v1/transaction", 422, {"error": {"code": "invalid_amount"}}, None, "message"),
    ("GET", "/v1/user/1", 418, {"error": {"code": "x", "message": "m"}}, None, "not documented"),
    ("GET", "/v1/user/1", 402, {"error": {"code": "insufficient_funds", "message": "m"}}, None, "not documented"),
    ("GET", "/healthz", 200, {"status": "ok", "users": 0, "transactions": 0, "live_actors": 0},
     {"Content-Type": "text/plain"}, "Content-Type"),
    ("GET", "/healthz", 200, b"not json", None, "not JSON"),
    ("DELETE", "/v1/user", 405, {"error": {"code": "method_not_allowed", "message": "m"}},
     {**JSON, "Allow": "GET"}, "Allow"),
    ("DELETE", "/v1/user", 405, {"error": {"code": "method_not_allowed", "message": "m"}}, None, "Allow"),
    ("PUT", "/v1/transactions", 200, [{"status": 200, "error": {"code": "internal", "message": "m"}}], None, "0"),
    ("PUT", "/v1/transactions", 200, {"status": 200, "transaction": TX}, None, "array"),
    ("GET", "/docs/swagger-ui.css", 200, b"a{}", {"Content-Type": "text/css"}, "Content-Type"),
    ("GET", "/openapi.json", 200, b"{}", {"Content-Type": "application/json", "ETag": '"x"'}, "openapi"),
    (None, None, 402, {"error": {"code": "uid_conflict", "message": "m"}}, None, "fits none"),
    (None, None, 299, {}, None, "documented nowhere"),
])
def test_checker_catches_a_wrong_answer(document, method, path, status, body, headers, expect):
    problems = _check(document, method, path, status, body, headers)
    assert problems, f"a wrong answer passed: {method} {path} {status} {body!r}"
    assert expect in "\n".join(problems), problems


class _WrongServer(http.server.BaseHTTPRequestHandler):
    """Answers every GET like GET /v1/user/{id} would, but with the balance as a number."""

    def do_GET(self):
        body = json.dumps({"id": 1, "name": "vasya", "balance": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_wrong_answer_received_by_the_suites_client_is_a_mismatch():
    """End to end: the suite's own Client receives a wrong answer; the run's checker records it, and so the test
    that received it would fail (this test takes the record away, to show it and stay green)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WrongServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        fake = type("FakeServer", (), {"url": lambda self, p: f"http://127.0.0.1:{httpd.server_port}{p}"})()
        checker = conftest.answer_checker()
        checker.take()
        r = Client(fake).get("/v1/user/1")
        assert r.status_code == 200
        mismatches = checker.take()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert len(mismatches) == 1 and "GET /v1/user/{id} -> 200" in mismatches[0] and "balance" in mismatches[0], \
        mismatches


def test_resolve_refs_refuses_a_cycle():
    doc = {"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                      "B": {"$ref": "#/components/schemas/A"}}}}
    with pytest.raises(ValueError, match="recursive"):
        resolve_refs(doc, doc)
