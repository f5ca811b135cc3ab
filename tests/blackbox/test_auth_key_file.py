"""The API key file of tallyd (docs/security.md): read from TALLY_AUTH_FILE, a malformed or missing file at start
refuses to start, and rotation by SIGHUP and by editing the file (renamed in or written in place): the old key
refused, the new one accepted, a malformed file keeps the keys in force. No timed asserts: a reload is awaited by
polling with a generous deadline."""
from __future__ import annotations

import signal
import time

import pytest

from auth_keys import Key, assert_no_secrets_logged, call, write_key_file

RELOAD_DEADLINE_S = 20.0  # the file is checked every 2 s; this only bounds a broken reload


def test_auth_file_from_the_environment(make_server, key_file, keys):
    srv = make_server(env={"TALLY_AUTH_FILE": str(key_file)})
    c = srv.client()
    assert call(c, "GET", "/v1/user/1").status_code == 401
    assert call(c, "GET", "/v1/user/1", keys["reader"]).status_code == 404
    assert "auth-file" not in srv.output(), "no open-mode warning with a key file"


@pytest.mark.parametrize("content,says", [
    ("reader read\n", "line 1"),
    ("# c\nreader reed " + "0" * 64 + "\n", "line 2"),
    ("a read " + "0" * 64 + "\na write " + "1" * 64 + "\n", "line 2"),
])
def test_malformed_file_at_start_refuses_to_start(make_server, tmp_path, content, says):
    path = tmp_path / "bad-keys"
    path.write_text(content)
    srv = make_server(start=False, extra_args=["--auth-file", str(path)])
    code, healthy = srv.run_expect_exit()
    assert code not in (None, 0) and not healthy
    assert says in srv.output() and "key file" in srv.output(), srv.output()


def test_missing_file_at_start_refuses_to_start(make_server, tmp_path):
    srv = make_server(start=False, extra_args=["--auth-file", str(tmp_path / "absent")])
    code, healthy = srv.run_expect_exit()
    assert code not in (None, 0) and not healthy


# ----------------------------------------------------------------------------------------------------------------
# Rotation
# ----------------------------------------------------------------------------------------------------------------

def wait_until(predicate, what: str):
    deadline = time.monotonic() + RELOAD_DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"not within {RELOAD_DEADLINE_S}s: {what}")


def status(c, key: Key) -> int:
    return call(c, "GET", "/v1/user/1", key).status_code


def test_rotation_by_sighup(make_server, tmp_path, keys):
    old, new = keys["reader"], keys["billing"]
    path = tmp_path / "keys"
    write_key_file(path, [old.entry])
    srv = make_server(extra_args=["--auth-file", str(path)])
    c = srv.client()
    assert status(c, old) == 404 and status(c, new) == 401
    loaded = srv.output().count("API keys in force")
    write_key_file(path, [new.entry])
    srv.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: srv.output().count("API keys in force") > loaded, "a reload is logged")
    assert "SIGHUP" in srv.output()
    assert status(c, old) == 401, "the removed key is refused"
    assert status(c, new) == 404, "the new key is accepted"
    # A malformed file on SIGHUP: refused, logged, the keys in force stay.
    path.write_text("billing read,write\n")
    srv.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "not reloaded" in srv.output(), "the refusal is logged")
    assert "line 1" in srv.output()
    assert status(c, new) == 404 and status(c, old) == 401
    assert srv.running
    assert_no_secrets_logged(srv, keys)


@pytest.mark.parametrize("atomic", [True, False], ids=["rename", "in-place"])
def test_rotation_by_editing_the_file(make_server, tmp_path, keys, atomic):
    old, new = keys["writer"], keys["billing"]
    path = tmp_path / "keys"
    write_key_file(path, [old.entry])
    srv = make_server(extra_args=["--auth-file", str(path)])
    c = srv.client()
    u = call(c, "POST", "/v1/user", old, {"name": "before"})
    assert u.status_code == 201 and u.json()["client"] == "writer"
    write_key_file(path, [new.entry], atomic=atomic)
    wait_until(lambda: call(c, "POST", "/v1/user", old, {"name": "x"}).status_code == 401, "the old key is refused")
    r = call(c, "POST", "/v1/user", new, {"name": "after"})
    assert r.status_code == 201 and r.json()["client"] == "billing"
    # Malformed: the previous set (new) stays in force; nothing of the broken file is used.
    write_key_file(path, [new.entry, f"{old.name} write,admin {old.digest}"], atomic=atomic)
    wait_until(lambda: "not reloaded" in srv.output(), "the malformed file is refused")
    assert "unknown scope 'admin'" in srv.output()
    assert call(c, "POST", "/v1/user", new, {"name": "still"}).status_code == 201
    assert call(c, "POST", "/v1/user", old, {"name": "still-not"}).status_code == 401
    # Fixed again: picked up.
    write_key_file(path, [new.entry, old.entry], atomic=atomic)
    wait_until(lambda: call(c, "GET", "/v1/user/1", old).status_code == 403, "the fixed file is in force")
    assert_no_secrets_logged(srv, keys)
