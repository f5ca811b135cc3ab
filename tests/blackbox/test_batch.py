"""PUT /v1/transactions: one result per item, in order, each what the single endpoint would answer; exactly-once
per item; limits; durability across a hard kill."""
from __future__ import annotations

import threading

import pytest

from tallylib import assert_error, assert_tx_record, new_uid

BATCH_ITEMS_MAX = 10_000


def put_batch(client, items, method="PUT"):
    return client.send_json(method, "/v1/transactions", items)


def item(user_id, type_, amount, uid=None, timestamp=None):
    body = {"uid": uid or new_uid("b"), "type": type_, "amount": amount, "user_id": user_id}
    if timestamp is not None:
        body["timestamp"] = timestamp
    return body


def results_of(r, count):
    assert r.status_code == 200, r.text[:2000]
    results = r.json()
    assert isinstance(results, list) and len(results) == count, results
    for res in results:
        assert set(res) in ({"status", "transaction"}, {"status", "error"}, {"status", "error", "existing"}), res
    return results


def test_mixed_batch_answers_each_item_like_the_single_endpoint(client):
    u = client.create_user()
    v = client.create_user()
    client.deposit(v["id"], "5")
    taken = new_uid("taken")
    client.deposit(v["id"], "1", uid=taken, timestamp="2024-01-01T00:00:00")
    items = [
        item(u["id"], "DEPOSIT", "10.25", uid="ok-1-" + new_uid()),
        item(u["id"], "WITHDRAW", "100", uid="poor-" + new_uid()),                  # more than the balance
        item(999_999, "DEPOSIT", "1"),                                                # no such user
        {"uid": new_uid(), "type": "GIFT", "amount": "1", "user_id": u["id"]},       # invalid type
        item(v["id"], "DEPOSIT", "1", uid=taken, timestamp="2024-01-01T00:00:00"),  # identical retry
        item(v["id"], "DEPOSIT", "2", uid=taken),                                     # uid reused, other content
        item(v["id"], "WITHDRAW", "6"),                                               # exactly the balance
    ]
    results = results_of(put_batch(client, items), len(items))
    assert [res["status"] for res in results] == [200, 402, 404, 422, 200, 409, 200]
    assert_tx_record(results[0]["transaction"], items[0]["uid"], u["id"], "DEPOSIT", "10.25")
    assert results[1]["error"]["code"] == "insufficient_funds"
    assert results[2]["error"]["code"] == "user_not_found"
    assert results[3]["error"]["code"] == "invalid_transaction_type", results[3]
    assert_tx_record(results[4]["transaction"], taken, v["id"], "DEPOSIT", "1.00", "2024-01-01T00:00:00Z")
    assert results[5]["error"]["code"] == "uid_conflict"
    assert results[5]["existing"] == results[4]["transaction"]  # as the single endpoint's 409 carries it
    assert client.balance(u["id"]) == "10.25"
    assert client.balance(v["id"]) == "0.00"
    # Refused items left nothing behind; accepted ones are readable one by one, identical to the batch answer.
    assert client.get_tx(items[1]["uid"]).status_code == 404
    assert client.get_tx(items[0]["uid"]).json() == results[0]["transaction"]
    assert client.get_tx(items[6]["uid"]).json() == results[6]["transaction"]


def test_items_of_one_user_apply_in_batch_order(client):
    u = client.create_user()
    ok = results_of(put_batch(client, [item(u["id"], "DEPOSIT", "10"), item(u["id"], "WITHDRAW", "10")]), 2)
    assert [res["status"] for res in ok] == [200, 200]
    refused = results_of(put_batch(client, [item(u["id"], "WITHDRAW", "3"), item(u["id"], "DEPOSIT", "3")]), 2)
    assert [res["status"] for res in refused] == [402, 200]
    assert client.balance(u["id"]) == "3.00"


def test_a_retried_batch_changes_nothing_and_answers_the_same(client):
    users = [client.create_user()["id"] for _ in range(5)]
    items = [item(users[i % 5], "DEPOSIT", f"{i + 1}.01") for i in range(200)]
    first = results_of(put_batch(client, items), 200)
    balances = [client.balance(u) for u in users]
    again = results_of(put_batch(client, items), 200)
    assert again == first
    assert [client.balance(u) for u in users] == balances
    assert sum(int(b.replace(".", "")) for b in balances) == sum((i + 1) * 100 + 1 for i in range(200))


def test_a_uid_twice_in_one_batch_is_applied_once(client):
    u = client.create_user()
    uid = new_uid("twice")
    same = results_of(put_batch(client, [item(u["id"], "DEPOSIT", "4", uid=uid)] * 3), 3)
    assert [res["status"] for res in same] == [200, 200, 200]
    assert same[0] == same[1] == same[2]
    assert client.balance(u["id"]) == "4.00"
    other = results_of(put_batch(client, [item(u["id"], "DEPOSIT", "4", uid=uid),
                                          item(u["id"], "DEPOSIT", "5", uid=uid)]), 2)
    assert [res["status"] for res in other] == [200, 409]
    assert client.balance(u["id"]) == "4.00"


def test_empty_batch_answers_an_empty_list(client):
    r = put_batch(client, [])
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("body", ['{"uid": "x"}', '"text"', "5", "null"])
def test_a_body_that_is_not_a_list_is_refused(client, body):
    r = put_batch(client, body)
    assert_error(r, 400, "malformed_json")


def test_malformed_json_is_refused_and_changes_nothing(client):
    u = client.create_user()
    text = '[{"uid":"%s","type":"DEPOSIT","amount":"1","user_id":%d},' % (new_uid(), u["id"])
    r = client.request("PUT", "/v1/transactions", data=text, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")
    assert client.balance(u["id"]) == "0.00"


def test_more_than_the_item_limit_is_refused_whole(client):
    u = client.create_user()
    items = [item(u["id"], "DEPOSIT", "1", uid=f"lim-{i}-{new_uid()}") for i in range(BATCH_ITEMS_MAX + 1)]
    r = put_batch(client, items)
    assert_error(r, (413, 422), ("batch_too_large", "body_too_large"))
    assert client.balance(u["id"]) == "0.00"


def test_the_item_limit_itself_is_accepted(client):
    users = [client.create_user()["id"] for _ in range(50)]
    items = [item(users[i % 50], "DEPOSIT", "0.01", uid=f"max-{i}-{new_uid()}") for i in range(BATCH_ITEMS_MAX)]
    results = results_of(put_batch(client, items), BATCH_ITEMS_MAX)
    assert all(res["status"] == 200 for res in results)
    assert [res["transaction"]["uid"] for res in results] == [it["uid"] for it in items]
    assert all(client.balance(u) == "2.00" for u in users)


def test_concurrent_batches_never_overdraw(client, server):
    u = client.create_user()
    client.deposit(u["id"], "100")
    statuses = []
    lock = threading.Lock()

    def drain():
        c = server.client()
        res = results_of(put_batch(c, [item(u["id"], "WITHDRAW", "1") for _ in range(60)]), 60)
        with lock:
            statuses.extend(r["status"] for r in res)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(statuses)) == [200, 402]
    assert statuses.count(200) == 100
    assert client.balance(u["id"]) == "0.00"


def test_acknowledged_batch_survives_a_hard_kill(server):
    c = server.client()
    users = [c.create_user()["id"] for _ in range(20)]
    items = [item(users[i % 20], "DEPOSIT", "1.50") for i in range(1000)]
    results = results_of(put_batch(c, items), 1000)
    assert all(res["status"] == 200 for res in results)
    server.kill9()
    server.start()
    c = server.client()
    assert all(c.balance(u) == "75.00" for u in users)
    for k in (0, 499, 999):
        assert c.get_tx(items[k]["uid"]).json() == results[k]["transaction"]
