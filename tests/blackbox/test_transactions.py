"""PUT/POST /v1/transaction and GET /v1/transaction/{uid}: records, amounts, timestamps, uids, validation."""
from __future__ import annotations

import datetime as dt

import pytest

from tallylib import (assert_error, assert_tx_record, iso, new_uid, norm_iso, parse_norm_iso)

UTC = dt.timezone.utc


def test_deposit_returns_stored_record_and_changes_balance(client):
    u = client.create_user()
    uid = new_uid()
    r = client.tx_raw({"uid": uid, "type": "DEPOSIT", "amount": 100.0, "user_id": u["id"],
                       "timestamp": "2023-01-04T00:00:00"})
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert_tx_record(r.json(), uid, u["id"], "DEPOSIT", "100.00", "2023-01-04T00:00:00Z")
    assert client.balance(u["id"]) == "100.00"
    g = client.get_tx(uid)
    assert g.status_code == 200, g.text
    assert g.json() == r.json()


def test_post_is_accepted_like_put(client):
    u = client.create_user()
    uid = new_uid()
    r = client.tx(u["id"], "DEPOSIT", "7.5", uid=uid, method="POST")
    assert r.status_code == 200, r.text
    assert_tx_record(r.json(), uid, u["id"], "DEPOSIT", "7.50")
    assert client.balance(u["id"]) == "7.50"
    assert client.get_tx(uid).json() == r.json()


def test_withdraw_reduces_balance_and_can_reach_zero(client):
    u = client.create_user()
    client.deposit(u["id"], "50")
    uid = new_uid()
    rec = client.withdraw(u["id"], "20.25", uid=uid)
    assert_tx_record(rec, uid, u["id"], "WITHDRAW", "20.25")
    assert client.balance(u["id"]) == "29.75"
    client.withdraw(u["id"], "29.75")
    assert client.balance(u["id"]) == "0.00"
    assert client.get_user(u["id"]).json()["balance"] == "0.00"


def test_withdraw_more_than_balance_is_402_and_records_nothing(client):
    u = client.create_user()
    client.deposit(u["id"], "10.00")
    uid = new_uid()
    r = client.tx(u["id"], "WITHDRAW", "10.01", uid=uid)
    assert_error(r, 402, "insufficient_funds")
    assert client.balance(u["id"]) == "10.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")


def test_withdraw_from_empty_account_is_402(client):
    u = client.create_user()
    assert_error(client.tx(u["id"], "WITHDRAW", "0.01"), 402, "insufficient_funds")
    assert client.balance(u["id"]) == "0.00"


def test_transactions_of_one_user_do_not_touch_another(client):
    a = client.create_user("a")
    b = client.create_user("b")
    client.deposit(a["id"], "30")
    client.deposit(b["id"], "5")
    client.withdraw(a["id"], "10")
    assert client.balance(a["id"]) == "20.00"
    assert client.balance(b["id"]) == "5.00"
    assert_error(client.tx(b["id"], "WITHDRAW", "6"), 402, "insufficient_funds")


def test_unknown_transaction_is_404(client):
    assert_error(client.get_tx("no-such-" + new_uid()), 404, "transaction_not_found")


def test_transaction_for_unknown_user_is_404_and_records_nothing(client):
    uid = new_uid()
    r = client.tx(987654321, "DEPOSIT", "1", uid=uid)
    assert_error(r, 404, "user_not_found")
    assert_error(client.get_tx(uid), 404, "transaction_not_found")


# ---------------------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("100", "100.00"),
    ("100.0", "100.00"),
    ('"100"', "100.00"),
    ('"100.00"', "100.00"),
    ('"1.5"', "1.50"),
    ("1.5", "1.50"),
    ('"1.500"', "1.50"),
    ("1.500", "1.50"),
    ('"12.3"', "12.30"),
    ("0.01", "0.01"),
    ('"0.01"', "0.01"),
    ("0.10", "0.10"),
    ("100.10", "100.10"),
    ("1.1", "1.10"),
    ("9999999999999.99", "9999999999999.99"),
    ('"9999999999999.99"', "9999999999999.99"),
    ("10000000000000", "10000000000000.00"),
    ('"10000000000000.00"', "10000000000000.00"),
    ("10000000000000.00", "10000000000000.00"),
    ("1234567.89", "1234567.89"),
    ("0.29", "0.29"),
    ("4.35", "4.35"),
])
def test_amount_formats(client, raw, expected):
    u = client.create_user()
    uid = new_uid()
    body = f'{{"uid": "{uid}", "type": "DEPOSIT", "amount": {raw}, "user_id": {u["id"]}}}'
    r = client.tx_raw(body)
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == expected
    assert client.get_tx(uid).json()["amount"] == expected
    assert client.balance(u["id"]) == expected


def test_decimal_sums_are_exact(client):
    u = client.create_user()
    for _ in range(10):
        client.deposit(u["id"], 0.1)
        client.deposit(u["id"], 0.2)
    assert client.balance(u["id"]) == "3.00"
    for _ in range(3):
        client.withdraw(u["id"], 0.1)
    assert client.balance(u["id"]) == "2.70"
    # raw JSON numbers that are not exact in binary floating point
    for raw in ("0.07", "0.29", "1.15", "4.35", "9007199254740.99"):
        body = f'{{"uid": "{new_uid()}", "type": "DEPOSIT", "amount": {raw}, "user_id": {u["id"]}}}'
        r = client.tx_raw(body)
        assert r.status_code == 200, r.text
        assert r.json()["amount"] == raw
    assert client.balance(u["id"]) == "9007199254749.55"


@pytest.mark.parametrize("raw", [
    "0", '"0"', "0.00", '"0.00"', "0.001",
    "-1", '"-1"', "-0.01", '"-5.00"',
    "1.505", '"1.505"', '"1.001"', "1.0000001", '"1.0000000000000000000001"',
    "1e2", '"1e2"', "1E2", "1.5e1", '"1.5E1"', "1e-2",
    '"10000000000000.01"', "10000000000000.01", "10000000000001", '"100000000000000"',
    "123456789012345678901234567890", '"123456789012345678901234567890.00"',
    '"abc"', '""', '" 1"', '"1 "', '"1."', '".5"', '"+1"', '"0x10"', '"1,5"', '"NaN"', '"Infinity"',
    '"1.2.3"', '"--1"', '"١٢"',
])
def test_invalid_amounts_are_422_and_record_nothing(client, raw):
    u = client.create_user()
    client.deposit(u["id"], "5")
    uid = new_uid()
    body = f'{{"uid": "{uid}", "type": "DEPOSIT", "amount": {raw}, "user_id": {u["id"]}}}'
    assert_error(client.tx_raw(body), 422, "invalid_amount")
    wbody = f'{{"uid": "{uid}", "type": "WITHDRAW", "amount": {raw}, "user_id": {u["id"]}}}'
    assert_error(client.tx_raw(wbody), 422, "invalid_amount")
    assert client.balance(u["id"]) == "5.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")
    # the uid is still free
    assert client.tx(u["id"], "DEPOSIT", "1", uid=uid).status_code == 200
    assert client.balance(u["id"]) == "6.00"


@pytest.mark.parametrize("raw", ["true", "false", "[1]", '{"v": 1}'])
def test_amount_of_wrong_json_type_is_400_invalid_type(client, raw):
    u = client.create_user()
    body = f'{{"uid": "{new_uid()}", "type": "DEPOSIT", "amount": {raw}, "user_id": {u["id"]}}}'
    assert_error(client.tx_raw(body), 400, "invalid_type")
    assert client.balance(u["id"]) == "0.00"


def test_max_amount_boundary(client):
    u = client.create_user()
    assert client.deposit(u["id"], "10000000000000.00")["amount"] == "10000000000000.00"
    assert_error(client.tx(u["id"], "DEPOSIT", "10000000000000.01"), 422, "invalid_amount")
    assert client.withdraw(u["id"], "10000000000000")["amount"] == "10000000000000.00"
    assert client.balance(u["id"]) == "0.00"


def test_balance_too_large(client):
    """Balances are bounded (10^17 minor units = 10^15 units): reaching the bound is fine, passing it is 422."""
    u = client.create_user()
    for _ in range(100):
        client.deposit(u["id"], "10000000000000")
    assert client.balance(u["id"]) == "1000000000000000.00"
    uid = new_uid()
    assert_error(client.tx(u["id"], "DEPOSIT", "0.01", uid=uid), 422, "balance_too_large")
    assert client.balance(u["id"]) == "1000000000000000.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")
    client.withdraw(u["id"], "0.01")
    assert client.balance(u["id"]) == "999999999999999.99"
    assert client.deposit(u["id"], "0.01", uid=uid)["uid"] == uid
    assert client.balance(u["id"]) == "1000000000000000.00"


# ---------------------------------------------------------------------------------------------------------------
# Types, uids, user ids, missing fields
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("type_", ["TRANSFER", "", "deposit", "Withdraw", "DEPOSIT ", "REFUND"])
def test_invalid_transaction_type_is_422(client, type_):
    u = client.create_user()
    uid = new_uid()
    assert_error(client.tx(u["id"], type_, "1", uid=uid), 422, "invalid_transaction_type")
    assert client.balance(u["id"]) == "0.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")


@pytest.mark.parametrize("field,value", [
    ("type", 5), ("type", True), ("type", ["DEPOSIT"]),
    ("uid", 5), ("uid", True), ("uid", {"a": 1}),
    ("user_id", "7"), ("user_id", 7.5), ("user_id", True), ("user_id", [7]),
    ("timestamp", 5), ("timestamp", True), ("timestamp", ["2023-01-01"]),
])
def test_wrong_json_types_are_400_invalid_type(client, field, value):
    u = client.create_user()
    body = {"uid": new_uid(), "type": "DEPOSIT", "amount": "1", "user_id": u["id"]}
    body[field] = value
    assert_error(client.tx_raw(body), 400, "invalid_type")
    assert client.balance(u["id"]) == "0.00"


def test_user_id_as_string_of_existing_user_is_still_400(client):
    u = client.create_user()
    body = {"uid": new_uid(), "type": "DEPOSIT", "amount": "1", "user_id": str(u["id"])}
    assert_error(client.tx_raw(body), 400, "invalid_type")
    assert client.balance(u["id"]) == "0.00"


@pytest.mark.parametrize("user_id", [0, -1, -9999])
def test_non_positive_user_id_is_422(client, user_id):
    assert_error(client.tx(user_id, "DEPOSIT", "1"), 422, "invalid_user_id")


@pytest.mark.parametrize("missing", ["uid", "type", "amount", "user_id"])
def test_missing_field_is_422(client, missing):
    u = client.create_user()
    uid = new_uid()
    body = {"uid": uid, "type": "DEPOSIT", "amount": "1", "user_id": u["id"]}
    del body[missing]
    assert_error(client.tx_raw(body), 422, "missing_field")
    assert client.balance(u["id"]) == "0.00"
    if missing != "uid":
        assert_error(client.get_tx(uid), 404, "transaction_not_found")


@pytest.mark.parametrize("uid", [
    "a", "x" * 64, "with space", "~!@#$%^&*()_+`-={}|[]\\:\";'<>?,./", "a/b/c", "a+b", "100%", "q?x=1#frag",
    " leading-space", "trailing-space ",
])
def test_valid_uids_roundtrip_through_the_path(client, uid):
    u = client.create_user()
    r = client.tx(u["id"], "DEPOSIT", "1", uid=uid)
    assert r.status_code == 200, r.text
    assert r.json()["uid"] == uid
    g = client.get_tx(uid)  # percent-encoded path
    assert g.status_code == 200, g.text
    assert g.json() == r.json()


def test_plus_in_path_is_literal_not_space(client):
    u = client.create_user()
    client.deposit(u["id"], "1", uid="p+q")
    r = client.get("/v1/transaction/p+q")
    assert r.status_code == 200, r.text
    assert r.json()["uid"] == "p+q"


@pytest.mark.parametrize("uid", ["", "x" * 65, "new\nline", "tab\there", "nul\x00", "del\x7f", "café", "😀",
                                 "\x1f"])
def test_invalid_uid_is_422(client, uid):
    u = client.create_user()
    assert_error(client.tx(u["id"], "DEPOSIT", "1", uid=uid), 422, "invalid_uid")
    assert client.balance(u["id"]) == "0.00"


# ---------------------------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent,stored", [
    ("2023-01-04T00:00:00", "2023-01-04T00:00:00Z"),
    ("2023-01-04T00:00:00Z", "2023-01-04T00:00:00Z"),
    ("2023-01-04T03:00:00+03:00", "2023-01-04T00:00:00Z"),
    ("2023-01-03T19:30:00-04:30", "2023-01-04T00:00:00Z"),
    ("2023-01-04", "2023-01-04T00:00:00Z"),
    ("2023-01-04T00:00:00.000", "2023-01-04T00:00:00Z"),
    ("2023-01-04T00:00:00.5Z", "2023-01-04T00:00:00.500000Z"),
    ("2023-01-04T00:00:00.123456", "2023-01-04T00:00:00.123456Z"),
    ("2023-01-04T12:34:56.000001+00:00", "2023-01-04T12:34:56.000001Z"),
    ("2020-02-29T23:59:59Z", "2020-02-29T23:59:59Z"),
    ("2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00Z"),
])
def test_timestamp_forms_are_normalized(client, sent, stored):
    u = client.create_user()
    uid = new_uid()
    rec = client.deposit(u["id"], "1", uid=uid, timestamp=sent)
    assert rec["timestamp"] == stored
    assert client.get_tx(uid).json()["timestamp"] == stored


@pytest.mark.parametrize("bad", [
    "yesterday", "", "2023-13-01T00:00:00", "2023-02-30", "2023-01-01T25:00:00", "2023-01-01T00:60:00",
    "2023-01-01T00:00:00+25:00", "01/04/2023", "2023-1-4", "2023-01-04T00:00:00ZZ", "T00:00:00",
])
def test_invalid_timestamp_is_422(client, bad):
    u = client.create_user()
    uid = new_uid()
    assert_error(client.tx(u["id"], "DEPOSIT", "1", uid=uid, timestamp=bad), 422, "invalid_timestamp")
    assert client.balance(u["id"]) == "0.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")


def test_absent_or_null_timestamp_uses_server_clock(client):
    u = client.create_user()
    before = dt.datetime.now(UTC) - dt.timedelta(seconds=60)
    rec1 = client.deposit(u["id"], "1")
    body = {"uid": new_uid(), "type": "DEPOSIT", "amount": "1", "user_id": u["id"], "timestamp": None}
    r = client.tx_raw(body)
    assert r.status_code == 200, r.text
    rec2 = r.json()
    after = dt.datetime.now(UTC) + dt.timedelta(seconds=60)
    for rec in (rec1, rec2):
        t = parse_norm_iso(rec["timestamp"])
        assert before <= t <= after, rec
    assert client.balance(u["id"]) == "2.00"


def test_timestamp_in_future_is_422(client):
    u = client.create_user()
    client.deposit(u["id"], "10")
    uid = new_uid()
    future = dt.datetime.now(UTC) + dt.timedelta(minutes=10)
    for type_ in ("DEPOSIT", "WITHDRAW"):
        r = client.tx(u["id"], type_, "1", uid=uid, timestamp=iso(future))
        assert_error(r, 422, "timestamp_in_future")
    far = "2999-01-01T00:00:00Z"
    assert_error(client.tx(u["id"], "DEPOSIT", "1", uid=uid, timestamp=far), 422, "timestamp_in_future")
    assert client.balance(u["id"]) == "10.00"
    assert_error(client.get_tx(uid), 404, "transaction_not_found")


def test_timestamp_slightly_ahead_is_accepted(client):
    u = client.create_user()
    ahead = (dt.datetime.now(UTC) + dt.timedelta(minutes=1)).replace(microsecond=0)
    rec = client.deposit(u["id"], "1", timestamp=iso(ahead))
    assert rec["timestamp"] == norm_iso(ahead)


def test_old_timestamps_are_accepted(client):
    u = client.create_user()
    rec = client.deposit(u["id"], "1", timestamp="1999-12-31T23:59:59")
    assert rec["timestamp"] == "1999-12-31T23:59:59Z"
    assert client.balance(u["id"], "2000-01-01") == "1.00"
    assert client.balance(u["id"], "1999-12-31T23:59:58") == "0.00"
