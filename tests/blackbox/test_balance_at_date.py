"""GET /v1/user/{id}/balance?date=...: balances at instants, date parsing and echo, backdating rules."""
from __future__ import annotations

import pytest

from tallylib import assert_error, new_uid


def test_worked_example_from_the_contract(client):
    u = client.create_user()
    uid = u["id"]
    client.deposit(uid, "100", timestamp="2023-01-10T00:00:00")
    client.withdraw(uid, "100", timestamp="2023-01-20T00:00:00")
    client.deposit(uid, "50", timestamp="2023-01-05T00:00:00")      # backdated deposits are always fine
    client.withdraw(uid, "30", timestamp="2023-01-06T00:00:00")     # 01-06: 20, 01-10: 120, 01-20: 20
    refused = new_uid()
    r = client.tx(uid, "WITHDRAW", "60", uid=refused, timestamp="2023-01-04T00:00:00")  # -60 at 01-04
    assert_error(r, 402, "insufficient_funds")
    assert_error(client.get_tx(refused), 404, "transaction_not_found")
    expected = {
        "2023-01-04T00:00:00": "0.00",
        "2023-01-05T00:00:00": "50.00",
        "2023-01-06T00:00:00": "20.00",
        "2023-01-09T23:59:59": "20.00",
        "2023-01-10T00:00:00": "120.00",
        "2023-01-19T00:00:00": "120.00",
        "2023-01-20T00:00:00": "20.00",
        "2030-01-01T00:00:00": "20.00",
    }
    for date, bal in expected.items():
        assert client.balance(uid, date) == bal, date
    assert client.balance(uid) == "20.00"

    # a backdated withdrawal that is fine at its own moment but drives a later moment negative
    r = client.tx(uid, "WITHDRAW", "21", timestamp="2023-01-15T00:00:00")   # 01-15: 99, but 01-20: -1
    assert_error(r, 402, "insufficient_funds")
    # more than the balance now
    assert_error(client.tx(uid, "WITHDRAW", "20.01"), 402, "insufficient_funds")
    # exactly what every later moment allows
    client.withdraw(uid, "20", timestamp="2023-01-15T00:00:00")
    assert client.balance(uid, "2023-01-15T00:00:00") == "100.00"
    assert client.balance(uid, "2023-01-20T00:00:00") == "0.00"
    assert client.balance(uid) == "0.00"
    # the refused uid can be used later
    client.deposit(uid, "60", uid=refused, timestamp="2023-01-01T00:00:00")
    assert client.balance(uid, "2023-01-04T00:00:00") == "60.00"
    assert client.balance(uid) == "60.00"


def test_withdraw_before_any_deposit_is_refused_even_if_balance_now_suffices(client):
    u = client.create_user()
    client.deposit(u["id"], "100", timestamp="2023-03-01T00:00:00")
    assert_error(client.tx(u["id"], "WITHDRAW", "1", timestamp="2023-02-28T23:59:59"), 402, "insufficient_funds")
    # at the very same instant as the deposit it is fine (the deposit counts at its own timestamp)
    client.withdraw(u["id"], "100", timestamp="2023-03-01T00:00:00")
    assert client.balance(u["id"], "2023-03-01T00:00:00") == "0.00"
    assert client.balance(u["id"]) == "0.00"


def test_balance_includes_transactions_at_exactly_the_date(client):
    u = client.create_user()
    client.deposit(u["id"], "1", timestamp="2023-01-10T00:00:00Z")
    client.deposit(u["id"], "2", timestamp="2023-01-10T00:00:00.000001Z")
    assert client.balance(u["id"], "2023-01-09T23:59:59.999999Z") == "0.00"
    assert client.balance(u["id"], "2023-01-10T00:00:00Z") == "1.00"
    assert client.balance(u["id"], "2023-01-10T00:00:00.000001Z") == "3.00"
    assert client.balance(u["id"]) == "3.00"


def test_balance_before_first_transaction_is_zero_and_far_future_is_current(client):
    u = client.create_user()
    client.deposit(u["id"], "5", timestamp="2022-06-01")
    client.deposit(u["id"], "7")  # now
    assert client.balance(u["id"], "1970-01-01T00:00:00Z") == "0.00"
    assert client.balance(u["id"], "2022-06-01") == "5.00"
    assert client.balance(u["id"], "2999-12-31T23:59:59Z") == "12.00"


def test_balance_of_new_user_at_a_date(client):
    u = client.create_user()
    r = client.balance_raw(u["id"], "2022-05-05T00:00:00")
    assert r.status_code == 200, r.text
    assert r.json() == {"user_id": u["id"], "balance": "0.00", "date": "2022-05-05T00:00:00Z"}


@pytest.mark.parametrize("sent,echo", [
    ("2023-01-10T00:00:00", "2023-01-10T00:00:00Z"),
    ("2023-01-10T00:00:00Z", "2023-01-10T00:00:00Z"),
    ("2023-01-10", "2023-01-10T00:00:00Z"),
    ("2023-01-10T00:00:00.000Z", "2023-01-10T00:00:00Z"),
    ("2023-01-10T03:00:00+03:00", "2023-01-10T00:00:00Z"),
    ("2023-01-09T21:00:00-03:00", "2023-01-10T00:00:00Z"),
    ("2023-01-10T00:00:00.5", "2023-01-10T00:00:00.500000Z"),
    ("2023-01-10T00:00:00.123456Z", "2023-01-10T00:00:00.123456Z"),
    ("2023-01-10T05:30:00.25+05:30", "2023-01-10T00:00:00.250000Z"),
])
def test_date_forms_and_normalized_echo(client, sent, echo):
    u = client.create_user()
    client.deposit(u["id"], "10", timestamp="2023-01-10T00:00:00Z")
    client.deposit(u["id"], "1", timestamp="2023-01-10T00:00:01Z")
    r = client.balance_raw(u["id"], sent)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"user_id": u["id"], "balance": "10.00", "date": echo}


@pytest.mark.parametrize("bad", [
    "garbage", "2023-13-01", "2023-02-30", "2023-01-01T25:00:00", "2023-01-01T12:61:00", "20230101T",
    "2023-01-01T00:00:00+99:00", "01-01-2023", "2023-01-01T00:00:00 Z Z", "now",
])
def test_bad_date_is_422_invalid_date(client, bad):
    u = client.create_user()
    assert_error(client.balance_raw(u["id"], bad), 422, "invalid_date")


def test_same_timestamp_deposits_and_withdrawals(client):
    """Moments are instants: everything stamped at T counts at T, in whatever order it arrived."""
    u = client.create_user()
    t = "2023-05-05T12:00:00Z"
    client.deposit(u["id"], "100", timestamp=t)
    client.withdraw(u["id"], "100", timestamp=t)
    assert client.balance(u["id"], t) == "0.00"
    client.deposit(u["id"], "40", timestamp=t)
    assert client.balance(u["id"], t) == "40.00"
    assert_error(client.tx(u["id"], "WITHDRAW", "40.01", timestamp=t), 402, "insufficient_funds")
    client.withdraw(u["id"], "40", timestamp=t)
    assert client.balance(u["id"], t) == "0.00"
    assert client.balance(u["id"], "2023-05-05T11:59:59Z") == "0.00"


def test_backdated_withdraw_judged_by_balances_at_instants_not_arrival_order(client):
    """At T2 the account holds 100 - 100 + 100 = 100 (all three stamped <= T2). A withdrawal of 50 at T1 leaves
    50 at T1 and 50 at T2, so it must be accepted, even though the entries at T2 arrived as -100 then +100."""
    u = client.create_user()
    client.deposit(u["id"], "100", timestamp="2023-01-01T00:00:00Z")
    client.withdraw(u["id"], "100", timestamp="2023-01-02T00:00:00Z")
    client.deposit(u["id"], "100", timestamp="2023-01-02T00:00:00Z")
    assert client.balance(u["id"], "2023-01-02T00:00:00Z") == "100.00"
    client.withdraw(u["id"], "50", timestamp="2023-01-01T12:00:00Z")
    assert client.balance(u["id"], "2023-01-01T12:00:00Z") == "50.00"
    assert client.balance(u["id"], "2023-01-02T00:00:00Z") == "50.00"
    assert client.balance(u["id"]) == "50.00"


def test_backdated_deposit_changes_past_balances_only_from_its_moment(client):
    u = client.create_user()
    client.deposit(u["id"], "10", timestamp="2023-01-10")
    client.deposit(u["id"], "5", timestamp="2023-01-01")
    assert client.balance(u["id"], "2022-12-31T23:59:59") == "0.00"
    assert client.balance(u["id"], "2023-01-01") == "5.00"
    assert client.balance(u["id"], "2023-01-09") == "5.00"
    assert client.balance(u["id"], "2023-01-10") == "15.00"


def test_transaction_with_offset_counts_at_its_utc_instant(client):
    u = client.create_user()
    client.deposit(u["id"], "3", timestamp="2023-01-10T02:00:00+03:00")  # 2023-01-09T23:00:00Z
    assert client.balance(u["id"], "2023-01-09T22:59:59Z") == "0.00"
    assert client.balance(u["id"], "2023-01-09T23:00:00Z") == "3.00"
    assert client.balance(u["id"], "2023-01-09") == "0.00"
    assert client.balance(u["id"], "2023-01-10") == "3.00"
