"""PUT /v1/transactions: the batch answer's items, collected from several threads into one arena per answer,
come back whole and in position order also when they are long (64-byte uids, 409s carrying the existing
transaction) and the arena is spent part way, so later items take a string of their own."""
from __future__ import annotations

from tallylib import new_uid


def long_uid(k):
    uid = f"{new_uid('a')}-{k}-"
    return (uid + "x" * 64)[:64]


def put_batch(client, items):
    r = client.send_json("PUT", "/v1/transactions", items)
    assert r.status_code == 200, r.text[:2000]
    results = r.json()
    assert isinstance(results, list) and len(results) == len(items), results
    return results


def test_long_items_and_a_spent_arena_answer_every_position_in_order(client):
    users = [client.create_user()["id"] for _ in range(7)]
    count = 300
    uids = [long_uid(k) for k in range(count)]
    first = [{"uid": uids[k], "type": "DEPOSIT", "amount": f"{k + 1}.{k % 100:02d}", "user_id": users[k % 7]}
             for k in range(count)]
    applied = put_batch(client, first)
    assert [res["status"] for res in applied] == [200] * count
    for k, res in enumerate(applied):
        tx = res["transaction"]
        assert (tx["uid"], tx["amount"], tx["user_id"]) == (uids[k], first[k]["amount"], users[k % 7])

    # Every item a conflict (each answer longer than the arena's share per item) or an identical retry, mixed,
    # with the positions reversed: each answer must be the one for its own position.
    second = []
    for k in reversed(range(count)):
        if k % 3 == 0:
            second.append(dict(first[k]))  # identical retry: the original transaction
        else:
            second.append(dict(first[k], amount="999.99"))  # the uid reused with other content
    answers = put_batch(client, second)
    for pos, res in enumerate(answers):
        k = count - 1 - pos
        if k % 3 == 0:
            assert res["status"] == 200, res
            assert res["transaction"] == applied[k]["transaction"]
        else:
            assert res["status"] == 409, res
            assert res["error"]["code"] == "uid_conflict"
            assert res["existing"] == applied[k]["transaction"]
    # Nothing of the second batch was applied: each user holds exactly its first-batch deposits.
    for j, user in enumerate(users):
        cents = sum(int(first[k]["amount"].replace(".", "")) for k in range(count) if k % 7 == j)
        assert client.balance(user) == f"{cents // 100}.{cents % 100:02d}"
