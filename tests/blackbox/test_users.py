"""POST /v1/user, GET /v1/user/{id}, Idempotency-Key."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tallylib import ThreadClients, assert_error, json_bytes


def test_create_user_returns_201_with_id_name_and_zero_balance(client):
    r = client.create_user_raw({"name": "vasya"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    u = r.json()
    assert isinstance(u["id"], int) and not isinstance(u["id"], bool) and u["id"] > 0
    assert u["name"] == "vasya"
    assert u["balance"] == "0.00"


def test_get_user_returns_created_user(client):
    u = client.create_user("petya")
    r = client.get_user(u["id"])
    assert r.status_code == 200, r.text
    # open mode: no client
    assert r.json() == {"id": u["id"], "name": "petya", "balance": "0.00", "low_balance_threshold": "0.00",
                        "client": ""}


def test_user_balance_endpoint_for_new_user(client):
    u = client.create_user("zero")
    r = client.balance_raw(u["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"user_id": u["id"], "balance": "0.00"}


def test_ids_are_distinct_and_each_user_keeps_its_own_name(client):
    users = [client.create_user(f"user {i}") for i in range(20)]
    ids = [u["id"] for u in users]
    assert len(set(ids)) == len(ids)
    for i, u in enumerate(users):
        assert client.get_user(u["id"]).json()["name"] == f"user {i}"


def test_same_name_twice_without_key_creates_two_users(client):
    a = client.create_user("twin")
    b = client.create_user("twin")
    assert a["id"] != b["id"]


def test_concurrent_creation_gives_distinct_ids(server):
    clients = ThreadClients(server)
    try:
        def create(i):
            return clients.get().create_user(f"c{i}")["id"]
        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(create, range(100)))
    finally:
        clients.close()
    assert len(set(ids)) == 100
    assert all(isinstance(i, int) and i > 0 for i in ids)


def test_balance_reflects_transactions_in_user_resource(client):
    u = client.create_user("rich")
    client.deposit(u["id"], "12.3")
    assert client.get_user(u["id"]).json()["balance"] == "12.30"


@pytest.mark.parametrize("name", [
    "Вася Пупкин",
    "日本語の名前",
    "emoji 🚀🎉 name",
    "a",
    "x" * 200,
    "😀" * 200,          # 200 code points, 800 UTF-8 bytes, 400 UTF-16 units
    "e\u0301" * 100,     # 200 code points (combining accents)
    "  spaced  out  ",
    "quote \" backslash \\ slash /",
])
def test_unicode_and_boundary_names_roundtrip(client, name):
    for ascii_only in (False, True):
        r = client.create_user_raw(json_bytes({"name": name}, ascii_only=ascii_only))
        assert r.status_code == 201, r.text
        u = r.json()
        assert u["name"] == name
        assert client.get_user(u["id"]).json()["name"] == name


@pytest.mark.parametrize("name", [
    "",
    "x" * 201,
    "😀" * 201,
    "line\nbreak",
    "nul\x00byte",
    "tab\there",
    "esc\x1b[31m",
    "unit\x1fsep",
    "del\x7fchar",
    "nel\u0085line",      # C1 controls are control characters too (Unicode category Cc)
    "csi\u009b31m",
])
def test_invalid_names_are_422_invalid_name(client, name):
    r = client.create_user_raw({"name": name})
    assert_error(r, 422, "invalid_name")


@pytest.mark.parametrize("body,status,code", [
    ({"name": 5}, 400, "invalid_type"),
    ({"name": ["a"]}, 400, "invalid_type"),
    ({"name": {"first": "a"}}, 400, "invalid_type"),
    ({"name": True}, 400, "invalid_type"),
    ({}, 422, "missing_field"),
    ({"nome": "typo"}, 422, "missing_field"),
    ({"name": None}, (400, 422), ("invalid_type", "missing_field")),
    ("not json", 400, "malformed_json"),
    ("", 400, "malformed_json"),
    ('["vasya"]', 400, "malformed_json"),
    ('"vasya"', 400, "malformed_json"),
    ('{"name": "vasya"', 400, "malformed_json"),
    ('{"name": "vasya"} trailing', 400, "malformed_json"),
])
def test_bad_user_bodies(client, body, status, code):
    r = client.create_user_raw(body)
    assert_error(r, status, code)


def test_invalid_utf8_name_is_rejected(client):
    r = client.create_user_raw(b'{"name": "bad \xff\xfe bytes"}')
    assert_error(r, (400, 422), ("malformed_json", "invalid_name"))


@pytest.mark.parametrize("path", [
    "/v1/user/999999999",
    "/v1/user/0",
    "/v1/user/-1",
    "/v1/user/abc",
    "/v1/user/1.5",
    "/v1/user/99999999999999999999999999",
    "/v1/user/999999999/balance",
    "/v1/user/abc/balance",
    "/v1/user/999999999/balance?date=2023-01-01",
])
def test_unknown_or_non_numeric_user_is_404(client, path):
    assert_error(client.get(path), 404, "user_not_found")


# ---------------------------------------------------------------------------------------------------------------
# Idempotency-Key
# ---------------------------------------------------------------------------------------------------------------

def test_idempotency_key_same_body_returns_same_user(client):
    a = client.create_user_raw({"name": "idem"}, key="key-1")
    assert a.status_code == 201, a.text
    b = client.create_user_raw({"name": "idem"}, key="key-1")
    assert b.status_code == 201, b.text
    assert b.json()["id"] == a.json()["id"]
    assert b.json()["name"] == "idem"
    # and a different key makes a different user
    c = client.create_user_raw({"name": "idem"}, key="key-2")
    assert c.status_code == 201
    assert c.json()["id"] != a.json()["id"]


def test_idempotency_key_different_name_is_409_with_existing(client):
    a = client.create_user("first", key="key-conflict")
    r = client.create_user_raw({"name": "second"}, key="key-conflict")
    body = assert_error(r, 409, "idempotency_key_conflict")
    assert body["existing"]["id"] == a["id"]
    assert body["existing"]["name"] == "first"
    # still the same user behind the key, and the conflicting request created nothing under that key
    again = client.create_user_raw({"name": "first"}, key="key-conflict")
    assert again.status_code == 201 and again.json()["id"] == a["id"]


def test_idempotency_key_without_key_is_not_deduplicated_against_keyed(client):
    a = client.create_user("same", key="k-x")
    b = client.create_user("same")
    assert a["id"] != b["id"]


def test_idempotency_key_boundaries(client):
    long_key = "k" * 128
    a = client.create_user_raw({"name": "long key"}, key=long_key)
    assert a.status_code == 201, a.text
    b = client.create_user_raw({"name": "long key"}, key=long_key)
    assert b.status_code == 201 and b.json()["id"] == a.json()["id"]
    printable = "".join(chr(c) for c in range(0x21, 0x7F))  # no leading/trailing space: HTTP would strip them
    c = client.create_user_raw({"name": "printable"}, key=printable[:128])
    assert c.status_code == 201, c.text
    d = client.create_user_raw({"name": "printable"}, key=printable[:128])
    assert d.json()["id"] == c.json()["id"]


def test_idempotency_key_too_long_is_rejected(client):
    r = client.create_user_raw({"name": "too long key"}, key="k" * 129)
    assert_error(r, 422, "invalid_idempotency_key")


def test_idempotency_key_concurrent_same_key_yields_one_user(server):
    n = 20
    barrier = threading.Barrier(n)
    clients = ThreadClients(server)

    def go(_):
        c = clients.get()
        barrier.wait()
        return c.create_user_raw({"name": "racer"}, key="race-key")

    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            results = list(pool.map(go, range(n)))
    finally:
        clients.close()
    assert all(r.status_code == 201 for r in results), [(r.status_code, r.text) for r in results]
    assert len({r.json()["id"] for r in results}) == 1
