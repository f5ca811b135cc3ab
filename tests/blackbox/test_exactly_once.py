"""Exactly-once by uid: identical retries answer the original record and apply nothing; different content is 409."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tallylib import ThreadClients, assert_error, new_uid


def _body(uid, user_id, type_="DEPOSIT", amount="100", timestamp=None):
    b = {"uid": uid, "type": type_, "amount": amount, "user_id": user_id}
    if timestamp is not None:
        b["timestamp"] = timestamp
    return b


def test_identical_retry_returns_original_and_applies_once(client):
    u = client.create_user()
    uid = new_uid()
    body = _body(uid, u["id"], timestamp="2023-01-04T00:00:00")
    first = client.tx_raw(body)
    assert first.status_code == 200, first.text
    for _ in range(3):
        again = client.tx_raw(body)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
    assert client.balance(u["id"]) == "100.00"
    assert client.get_tx(uid).json() == first.json()


@pytest.mark.parametrize("first_raw", ['"100"', "100", "100.0", '"100.00"'])
def test_amount_spellings_are_the_same_content(client, first_raw):
    u = client.create_user()
    uid = new_uid()
    template = '{{"uid": "%s", "type": "DEPOSIT", "amount": {amt}, "user_id": %d}}' % (uid, u["id"])
    first = client.tx_raw(template.format(amt=first_raw))
    assert first.status_code == 200, first.text
    for raw in ('"100"', "100", "100.0", '"100.00"', '"100.000"', "100.00"):
        r = client.tx_raw(template.format(amt=raw))
        assert r.status_code == 200, f"{raw}: {r.status_code} {r.text}"
        assert r.json() == first.json()
    assert client.balance(u["id"]) == "100.00"


def test_retry_without_timestamp_returns_original_server_timestamp(client):
    u = client.create_user()
    uid = new_uid()
    body = _body(uid, u["id"], amount="5")
    first = client.tx_raw(body)
    assert first.status_code == 200, first.text
    # the server clock moves on (other work in between), the retry must still get the first record
    for _ in range(5):
        client.deposit(u["id"], "1")
    again = client.tx_raw(body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    null_ts = dict(body, timestamp=None)   # null = absent
    r = client.tx_raw(null_ts)
    assert r.status_code == 200, r.text
    assert r.json() == first.json()
    assert client.balance(u["id"]) == "10.00"


def test_same_instant_in_another_spelling_is_the_same_content(client):
    u = client.create_user()
    uid = new_uid()
    first = client.tx_raw(_body(uid, u["id"], timestamp="2023-01-04T00:00:00"))
    assert first.status_code == 200
    for ts in ("2023-01-04T00:00:00Z", "2023-01-04T03:00:00+03:00", "2023-01-04", "2023-01-04T00:00:00.000"):
        r = client.tx_raw(_body(uid, u["id"], timestamp=ts))
        assert r.status_code == 200, f"{ts}: {r.status_code} {r.text}"
        assert r.json() == first.json()
    assert client.balance(u["id"]) == "100.00"


@pytest.mark.parametrize("change", [
    {"amount": "100.01"},
    {"amount": 99},
    {"type": "WITHDRAW"},
    {"timestamp": "2023-01-04T00:00:01"},
    {"timestamp": None},            # given first, absent now
    {"drop_timestamp": True},
])
def test_different_content_is_409_with_existing(client, change):
    u = client.create_user()
    client.deposit(u["id"], "500")
    uid = new_uid()
    first = client.tx_raw(_body(uid, u["id"], timestamp="2023-01-04T00:00:00"))
    assert first.status_code == 200
    body = _body(uid, u["id"], timestamp="2023-01-04T00:00:00")
    if change.pop("drop_timestamp", False):
        del body["timestamp"]
    body.update(change)
    r = client.tx_raw(body)
    resp = assert_error(r, 409, "uid_conflict")
    assert resp["existing"] == first.json()
    assert client.balance(u["id"]) == "600.00"
    assert client.get_tx(uid).json() == first.json()


def test_retry_with_timestamp_when_original_had_none_is_409(client):
    u = client.create_user()
    uid = new_uid()
    first = client.tx_raw(_body(uid, u["id"]))
    assert first.status_code == 200
    r = client.tx_raw(_body(uid, u["id"], timestamp="2023-01-04T00:00:00"))
    assert assert_error(r, 409, "uid_conflict")["existing"] == first.json()
    assert client.balance(u["id"]) == "100.00"


def test_same_uid_for_a_different_user_is_409(client):
    a = client.create_user("a")
    b = client.create_user("b")
    uid = new_uid()
    first = client.tx_raw(_body(uid, a["id"]))
    assert first.status_code == 200
    r = client.tx_raw(_body(uid, b["id"]))
    assert assert_error(r, 409, "uid_conflict")["existing"] == first.json()
    assert client.balance(a["id"]) == "100.00"
    assert client.balance(b["id"]) == "0.00"


def test_retry_of_a_withdraw_that_could_not_happen_again_is_still_200(client):
    u = client.create_user()
    client.deposit(u["id"], "100")
    uid = new_uid()
    first = client.tx_raw(_body(uid, u["id"], type_="WITHDRAW", amount="100"))
    assert first.status_code == 200
    assert client.balance(u["id"]) == "0.00"
    again = client.tx_raw(_body(uid, u["id"], type_="WITHDRAW", amount="100"))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert client.balance(u["id"]) == "0.00"


def test_refused_uid_can_be_retried_after_a_deposit(client):
    u = client.create_user()
    uid = new_uid()
    body = _body(uid, u["id"], type_="WITHDRAW", amount="30")
    assert_error(client.tx_raw(body), 402, "insufficient_funds")
    assert_error(client.tx_raw(body), 402, "insufficient_funds")
    assert_error(client.get_tx(uid), 404, "transaction_not_found")
    client.deposit(u["id"], "50")
    r = client.tx_raw(body)
    assert r.status_code == 200, r.text
    assert client.balance(u["id"]) == "20.00"
    assert client.tx_raw(body).json() == r.json()
    assert client.balance(u["id"]) == "20.00"


def test_uid_refused_for_validation_can_be_used_with_other_content(client):
    u = client.create_user()
    uid = new_uid()
    assert_error(client.tx_raw(_body(uid, u["id"], amount="1.001")), 422, "invalid_amount")
    assert_error(client.tx_raw(_body(uid, 999999999)), 404, "user_not_found")
    r = client.tx_raw(_body(uid, u["id"], amount="2"))
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "2.00"


def _race(server, bodies):
    """Sends every body from its own thread, all released at once. Returns the responses in order."""
    barrier = threading.Barrier(len(bodies))
    clients = ThreadClients(server)

    def go(body):
        c = clients.get()
        barrier.wait()
        return c.tx_raw(body)

    try:
        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(go, bodies))
    finally:
        clients.close()


def test_concurrent_identical_requests_apply_once(server, client):
    u = client.create_user()
    uid = new_uid()
    results = _race(server, [_body(uid, u["id"], amount="10")] * 20)
    assert all(r.status_code == 200 for r in results), [(r.status_code, r.text) for r in results]
    records = [r.json() for r in results]
    assert all(rec == records[0] for rec in records)
    assert client.balance(u["id"]) == "10.00"
    assert client.get_tx(uid).json() == records[0]


def test_concurrent_identical_withdrawals_apply_once(server, client):
    u = client.create_user()
    client.deposit(u["id"], "15")
    uid = new_uid()
    results = _race(server, [_body(uid, u["id"], type_="WITHDRAW", amount="10")] * 20)
    assert all(r.status_code == 200 for r in results), [(r.status_code, r.text) for r in results]
    assert all(r.json() == results[0].json() for r in results)
    assert client.balance(u["id"]) == "5.00"


def test_concurrent_conflicting_requests_one_content_wins(server, client):
    u = client.create_user()
    uid = new_uid()
    bodies = [_body(uid, u["id"], amount="1" if i % 2 else "2") for i in range(20)]
    results = _race(server, bodies)
    winners = [r.json() for r in results if r.status_code == 200]
    assert winners, [(r.status_code, r.text) for r in results]
    winner = winners[0]
    assert all(w == winner for w in winners)
    for body, r in zip(bodies, results):
        if body["amount"] + ".00" == winner["amount"]:
            assert r.status_code == 200, r.text
        else:
            assert assert_error(r, 409, "uid_conflict")["existing"] == winner
    assert client.balance(u["id"]) == winner["amount"]
