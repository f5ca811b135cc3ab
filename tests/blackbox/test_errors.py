"""Every error: its status, its JSON shape, and that it changed nothing (a corrected retry with the uid works)."""
from __future__ import annotations

import datetime as dt

import pytest

from tallylib import assert_error, iso, new_uid

FUTURE = object()


def _cases(user_id, uid):
    base = {"uid": uid, "type": "DEPOSIT", "amount": "5", "user_id": user_id}
    future = iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30))
    return [
        ("malformed", b'{"uid": "' + uid.encode() + b'", "type": ', 400, "malformed_json"),
        ("type-amount", dict(base, amount=True), 400, "invalid_type"),
        ("type-user", dict(base, user_id=str(user_id)), 400, "invalid_type"),
        ("type-user-float", dict(base, user_id=user_id + 0.5), 400, "invalid_type"),
        ("type-ts", dict(base, timestamp=5), 400, "invalid_type"),
        ("missing-amount", {k: v for k, v in base.items() if k != "amount"}, 422, "missing_field"),
        ("missing-type", {k: v for k, v in base.items() if k != "type"}, 422, "missing_field"),
        ("missing-user", {k: v for k, v in base.items() if k != "user_id"}, 422, "missing_field"),
        ("amount", dict(base, amount="5.001"), 422, "invalid_amount"),
        ("amount-zero", dict(base, amount=0), 422, "invalid_amount"),
        ("tx-type", dict(base, type="GIFT"), 422, "invalid_transaction_type"),
        ("user-id-0", dict(base, user_id=0), 422, "invalid_user_id"),
        ("user-id-neg", dict(base, user_id=-user_id), 422, "invalid_user_id"),
        ("timestamp", dict(base, timestamp="2023-02-29T00:00:00"), 422, "invalid_timestamp"),
        ("future", dict(base, timestamp=future), 422, "timestamp_in_future"),
        ("unknown-user", dict(base, user_id=user_id + 1_000_000), 404, "user_not_found"),
        ("withdraw-too-much", dict(base, type="WITHDRAW", amount="1000"), 402, "insufficient_funds"),
        ("withdraw-backdated", dict(base, type="WITHDRAW", amount="1", timestamp="2000-01-01"), 402,
         "insufficient_funds"),
    ]


CASE_NAMES = [c[0] for c in _cases(1, "x")]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_error_changes_nothing_and_uid_stays_free(client, case):
    u = client.create_user()
    client.deposit(u["id"], "10", timestamp="2023-01-01T00:00:00Z")
    uid = new_uid("err")
    name, body, status, code = next(c for c in _cases(u["id"], uid) if c[0] == case)
    r = client.tx_raw(body)
    resp = assert_error(r, status, code)
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert "existing" not in resp
    assert client.balance(u["id"]) == "10.00"
    assert client.balance(u["id"], "2023-06-01") == "10.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")
    # corrected retry with the same uid
    ok = client.tx(u["id"], "DEPOSIT", "5", uid=uid)
    assert ok.status_code == 200, ok.text
    assert client.balance(u["id"]) == "15.00"


def test_uid_conflict_body_has_existing_record(client):
    u = client.create_user()
    uid = new_uid()
    first = client.deposit(u["id"], "3", uid=uid, timestamp="2023-01-01")
    r = client.tx(u["id"], "DEPOSIT", "4", uid=uid, timestamp="2023-01-01")
    body = assert_error(r, 409, "uid_conflict")
    assert body["existing"] == first
    assert body["existing"]["amount"] == "3.00"
    assert client.balance(u["id"]) == "3.00"


def test_idempotency_conflict_body_has_existing_user(client):
    u = client.create_user("orig", key="err-key")
    body = assert_error(client.create_user_raw({"name": "other"}, key="err-key"), 409, "idempotency_key_conflict")
    assert body["existing"]["id"] == u["id"]
    assert body["existing"]["name"] == "orig"


def test_insufficient_funds_is_not_remembered_as_a_claim(client):
    u = client.create_user()
    uid = new_uid()
    assert_error(client.tx(u["id"], "WITHDRAW", "5", uid=uid), 402, "insufficient_funds")
    # a different content with that uid is not a conflict: nothing was stored
    r = client.tx(u["id"], "DEPOSIT", "7", uid=uid)
    assert r.status_code == 200, r.text
    assert client.balance(u["id"]) == "7.00"


def test_validation_precedes_nothing_stored_for_user_creation(client):
    assert_error(client.create_user_raw({"name": ""}, key="k-invalid"), 422, "invalid_name")
    # the key was not consumed by the failed request
    u = client.create_user("valid now", key="k-invalid")
    again = client.create_user_raw({"name": "valid now"}, key="k-invalid")
    assert again.status_code == 201 and again.json()["id"] == u["id"]


def test_error_messages_are_json_for_every_kind(client):
    u = client.create_user()
    cases = [
        client.get("/nope"),
        client.get("/v1/user/999999999"),
        client.get_tx("missing-" + new_uid()),
        client.request("DELETE", "/v1/transaction"),
        client.balance_raw(u["id"], "bad-date"),
        client.tx_raw("{"),
    ]
    for r in cases:
        body = r.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) >= {"code", "message"}, body
