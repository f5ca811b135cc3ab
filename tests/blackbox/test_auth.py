"""API keys against the real tallyd (docs/security.md): every route of the route table (`tallyd --print-routes`
prints each row's scope) with each scope's key, without a key and with a wrong one (401 vs 403); open routes stay
open; without a key file everything is open; attribution (`"client"`) across SIGTERM and kill -9, and a retry from
another client answered with the original client; no secret and no digest in the logs; the brute-force delay
applies to the failing address only; tally-admin's new-key and dump. Keys and key files: auth_keys.py (the `keys`,
`key_file` and `secured` fixtures: conftest.py); the key file at start and its rotation: test_auth_key_file.py.

No timed asserts: a delayed 401 is recognised by its `Tally-Auth-Delay-Ms` header, not by its timing (the timings
are printed)."""
from __future__ import annotations

import json
import socket
import subprocess
import time

from auth_keys import ADMIN_TIMEOUT_S, Key, admin_path, assert_no_secrets_logged, call
from tallylib import RawConnection, new_uid, tallyd_path

DELAY_HEADER = "Tally-Auth-Delay-Ms"
FAILURES_BEFORE_DELAY = 10  # limits::auth_failures_before_delay_max


def routes() -> list[tuple[str, str, str]]:
    out = subprocess.run([str(tallyd_path()), "--print-routes"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    rows = [tuple(line.split(" ")) for line in out.stdout.splitlines()]
    assert rows and all(len(r) == 3 for r in rows), f"each row is method, path and scope: {out.stdout}"
    return rows


# ----------------------------------------------------------------------------------------------------------------
# Scope per route
# ----------------------------------------------------------------------------------------------------------------

def test_route_table_names_a_known_scope_per_route():
    rows = routes()
    assert {scope for _, _, scope in rows} <= {"open", "read", "write", "events", "peer"}
    by_route = {(m, p): s for m, p, s in rows}
    for path in ("/healthz", "/openapi.json", "/docs", "/docs/{file}"):
        assert by_route[("GET", path)] == "open"
    assert by_route[("GET", "/v1/user/{id}")] == "read"
    assert by_route[("PUT", "/v1/transaction")] == "write"


def _instance(method: str, template: str, user_id: int, uid: str) -> tuple[str, object]:
    """A concrete path for a template and a body that would succeed for a write (whatever an unknown route gets
    just has to pass or fail the scope check)."""
    path = template.replace("{id}", str(user_id)).replace("{uid}", uid).replace("{file}", "swagger-ui.css")
    path = "/".join("x" if s.startswith("{") else s for s in path.split("/"))
    body = None
    if (method, template) == ("POST", "/v1/user"):
        body = {"name": "scoped"}
    elif template == "/v1/transaction" and method in ("PUT", "POST"):
        body = {"uid": new_uid("scope"), "type": "DEPOSIT", "amount": "1.00", "user_id": user_id}
    elif template == "/v1/transactions" and method in ("PUT", "POST"):
        body = [{"uid": new_uid("scope"), "type": "DEPOSIT", "amount": "1.00", "user_id": user_id}]
    elif method in ("PUT", "POST"):
        body = {}
    return path, body


def test_each_scope_allowed_and_refused_on_every_route(secured, keys):
    c = secured.client()
    user = call(c, "POST", "/v1/user", keys["writer"], {"name": "owner"}).json()
    tx = call(c, "PUT", "/v1/transaction", keys["writer"],
              {"uid": new_uid("seed"), "type": "DEPOSIT", "amount": "5.00", "user_id": user["id"]}).json()
    checked = 0
    for method, template, scope in routes():
        for key in keys.values():
            path, body = _instance(method, template, user["id"], tx["uid"])
            # An admitted event stream (SSE) never ends by itself: read its head only, then hang up.
            streaming = template.endswith("/stream")
            r = call(c, method, path, key, body, stream=streaming)
            if streaming and r.status_code == 200:
                r.close()
            where = f"{method} {path} ({scope}) with {key.name} ({','.join(sorted(key.scopes))})"
            if scope == "open" or scope in key.scopes:
                assert r.status_code not in (401, 403), f"{where}: {r.status_code} {r.text}"
                assert r.status_code < 500, f"{where}: {r.status_code} {r.text}"
            else:
                assert r.status_code == 403, f"{where}: {r.status_code} {r.text}"
                assert r.json()["error"]["code"] == "forbidden"
                assert f"'{scope}'" in r.json()["error"]["message"], "the message names the scope needed"
                assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
            checked += 1
    assert checked == len(routes()) * len(keys)
    assert_no_secrets_logged(secured, keys)



def auth_metric(client, name: str, code: str | None = None) -> float:
    """A value of the API key check's counters in a /metrics scrape (0 when the series is not there yet)."""
    text = client.get("/metrics").text
    want = f'{name}{{code="{code}"}}' if code else name
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0.0


def test_missing_malformed_and_unknown_keys_are_401_known_without_scope_403(secured, keys):
    c = secured.client()
    before_401 = auth_metric(c, "tally_auth_refusals_total", "401")
    before_403 = auth_metric(c, "tally_auth_refusals_total", "403")
    r = call(c, "GET", "/v1/user/1")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="tally"'
    for bad in ("Basic cmVhZGVyOng=", "Bearer", "Bearer two words", f"Bearer {keys['reader'].digest}",
                f"Bearer {keys['reader'].secret}x"):
        r = call(c, "GET", "/v1/user/1", headers={"Authorization": bad})
        assert r.status_code == 401, bad
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = call(c, "POST", "/v1/user", keys["reader"], {"name": "nope"})
    assert r.status_code == 403 and "'write'" in r.json()["error"]["message"]
    assert call(c, "GET", "/v1/user/1", keys["reader"]).status_code == 404, "admitted: the route itself answers"
    # A refused write changed nothing.
    assert c.get("/healthz").json()["users"] == 0
    # Six 401s and one 403 above, each counted once for /metrics (which stays open).
    assert auth_metric(c, "tally_auth_refusals_total", "401") - before_401 == 6
    assert auth_metric(c, "tally_auth_refusals_total", "403") - before_403 == 1
    assert_no_secrets_logged(secured, keys)


def test_open_routes_stay_open(secured):
    c = secured.client()
    assert c.get("/healthz").status_code == 200
    assert c.get("/openapi.json").status_code == 200
    assert c.get("/docs").status_code == 200
    assert c.get("/docs/swagger-ui.css").status_code == 200
    assert c.get("/healthz", headers={"Authorization": "Bearer wrong"}).status_code == 200
    assert c.get("/nope").status_code == 404, "an unknown path is 404, not 401"


def test_without_auth_file_everything_is_open_with_one_warning(server):
    c = server.client()
    u = c.create_user("open")
    assert u["client"] == ""
    assert c.deposit(u["id"], "1.00")["client"] == ""
    warnings = [line for line in server.output().splitlines() if "auth-file" in line]
    assert len(warnings) == 1 and "warn" in warnings[0], warnings


# ----------------------------------------------------------------------------------------------------------------
# Attribution
# ----------------------------------------------------------------------------------------------------------------

def test_attribution_across_sigterm_and_kill9_and_retries_from_another_client(secured, keys):
    c = secured.client()
    writer, billing, reader = keys["writer"], keys["billing"], keys["reader"]
    u = call(c, "POST", "/v1/user", writer, {"name": "vasya"}, {"Idempotency-Key": "create-vasya"}).json()
    assert u["client"] == "writer"
    again = call(c, "POST", "/v1/user", billing, {"name": "vasya"}, {"Idempotency-Key": "create-vasya"})
    assert again.status_code == 201 and again.json() == u, "a retry from another client answers the original"
    body = {"uid": new_uid("attr"), "type": "DEPOSIT", "amount": "10.00", "user_id": u["id"]}
    first = call(c, "PUT", "/v1/transaction", writer, body)
    assert first.status_code == 200 and first.json()["client"] == "writer"
    retry = call(c, "POST", "/v1/transaction", billing, body)
    assert retry.status_code == 200 and retry.json() == first.json(), "same content from billing is a retry"
    conflict = call(c, "PUT", "/v1/transaction", billing, {**body, "amount": "11.00"})
    assert conflict.status_code == 409 and conflict.json()["existing"]["client"] == "writer"
    batch = call(c, "PUT", "/v1/transactions", billing,
                 [{**body}, {"uid": new_uid("attr-b"), "type": "DEPOSIT", "amount": "1.00", "user_id": u["id"]}])
    items = batch.json()
    assert [i["transaction"]["client"] for i in items] == ["writer", "billing"]
    uids = {body["uid"]: "writer", items[1]["transaction"]["uid"]: "billing"}

    def check():
        assert call(c, "GET", f"/v1/user/{u['id']}", reader).json()["client"] == "writer"
        for uid, who in uids.items():
            r = call(c, "GET", f"/v1/transaction/{uid}", reader)
            assert r.status_code == 200 and r.json()["client"] == who, r.text

    check()
    secured.restart()  # SIGTERM: final snapshot
    check()
    later = {"uid": new_uid("attr-k"), "type": "WITHDRAW", "amount": "1.00", "user_id": u["id"]}
    assert call(c, "PUT", "/v1/transaction", billing, later).json()["client"] == "billing"
    uids[later["uid"]] = "billing"
    secured.restart(hard=True)  # kill -9: snapshot + WAL tail
    check()
    assert call(c, "PUT", "/v1/transaction", reader, body).status_code == 403
    assert_no_secrets_logged(secured, keys)


# ----------------------------------------------------------------------------------------------------------------
# Brute force
# ----------------------------------------------------------------------------------------------------------------

class ConnectionFrom(RawConnection):
    """A raw connection from a chosen loopback address (127.0.0.2 is another peer to the server)."""

    def __init__(self, port: int, source: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10.0, source_address=(source, 0))
        self.buf = b""
        self.expecting = None


def bad_key_request(conn: ConnectionFrom, secret: str = "not-a-key"):
    started = time.monotonic()
    r = conn.request("GET", "/v1/user/1", headers={"Authorization": f"Bearer {secret}", "Host": "h"})
    return r, time.monotonic() - started


def test_brute_force_delay_applies_to_the_offender_only(secured, keys):
    delayed_before = auth_metric(secured.client(), "tally_auth_delayed_total")
    offender = ConnectionFrom(secured.port, "127.0.0.1")
    bystander = ConnectionFrom(secured.port, "127.0.0.2")
    answers = [bad_key_request(offender) for _ in range(FAILURES_BEFORE_DELAY + 5)]
    assert all(r.status == 401 for r, _ in answers)
    flagged = [r.header(DELAY_HEADER) is not None for r, _ in answers]
    assert flagged == [False] * FAILURES_BEFORE_DELAY + [True] * 5, flagged
    assert all(int(r.header(DELAY_HEADER)) > 0 for r, _ in answers[FAILURES_BEFORE_DELAY:])
    assert auth_metric(secured.client(), "tally_auth_delayed_total") - delayed_before == 5
    # Another address failing meanwhile is not delayed (its own count is far below the limit) ...
    other = [bad_key_request(bystander) for _ in range(3)]
    assert all(r.status == 401 and r.header(DELAY_HEADER) is None for r, _ in other)
    # ... and the offender's address is not locked out: a valid key is served at once, without the header.
    ok = offender.request("GET", "/v1/user/1", headers={**keys["reader"].header(), "Host": "h"})
    assert ok.status == 404 and ok.header(DELAY_HEADER) is None
    undelayed = sorted(t for _, t in answers[:FAILURES_BEFORE_DELAY])
    delayed = sorted(t for _, t in answers[FAILURES_BEFORE_DELAY:])
    print(f"\n401 answer times (machine shared, informative only): offender before the limit median "
          f"{undelayed[len(undelayed) // 2] * 1000:.1f} ms, after {delayed[len(delayed) // 2] * 1000:.1f} ms; "
          f"bystander median {sorted(t for _, t in other)[1] * 1000:.1f} ms")
    offender.close()
    bystander.close()
    assert_no_secrets_logged(secured, keys)


# ----------------------------------------------------------------------------------------------------------------
# tally-admin new-key, and the client in a dump
# ----------------------------------------------------------------------------------------------------------------

def test_new_key_prints_two_lines_with_a_fresh_256_bit_secret():
    a, b = Key("svc.a-1", "read"), Key("svc.a-1", "read")
    assert a.secret != b.secret and a.digest != b.digest
    body = a.secret.removeprefix("tally_")
    assert len(body) >= 43 and all(ch.isalnum() or ch in "-_" for ch in body), "32 random bytes, base64url"
    for args in (["bad name", "read"], ["ok", "admin"], ["ok", "read,read"], ["ok", ""], ["x" * 65, "read"], ["ok"]):
        r = subprocess.run([str(admin_path()), "new-key", *args], capture_output=True, text=True,
                           timeout=ADMIN_TIMEOUT_S)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout)


def test_dump_shows_the_client_of_each_record(secured, keys):
    c = secured.client()
    u = call(c, "POST", "/v1/user", keys["writer"], {"name": "d"}).json()
    call(c, "PUT", "/v1/transaction", keys["billing"],
         {"uid": "dump-1", "type": "DEPOSIT", "amount": "1.00", "user_id": u["id"]})
    patched = call(c, "PATCH", f"/v1/user/{u['id']}", keys["billing"], {"low_balance_threshold": "0.50"})
    # The user shows its creator; the update record names who changed it.
    assert patched.status_code == 200 and patched.json()["client"] == "writer", patched.text
    assert secured.stop() == 0
    r = subprocess.run([str(admin_path()), "dump", str(secured.data_dir), "--wal-only"], capture_output=True,
                       text=True, timeout=ADMIN_TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["type"], x["client"]) for x in lines] == [("user_created", "writer"), ("transaction", "billing"),
                                                          ("user_updated", "billing")]
