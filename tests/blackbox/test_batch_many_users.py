"""Batches spread over many users (issue 15): each batch wakes many user actors at once, which run as a few
worker jobs (actors/batch_turns.*), and actors passivate between rounds (cold users spawn again). Whatever the
concurrency, every uid is applied once (replays answer the original, a reused uid with other content is refused),
no user goes below zero at any date, balances now and at dates are exactly the sum of what was acknowledged, and
all of it survives a hard kill."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tallylib import new_uid, text_cents

USERS = 120
HOURS = 48  # item timestamps on whole hours of 2024-03-01..02; balances read at half hours


def stamp(hour: int, minute: int = 0) -> str:
    return f"2024-03-{1 + hour // 24:02d}T{hour % 24:02d}:{minute:02d}:00"


def make_batch(rng: random.Random, users: list[int], sent: list[dict], size: int) -> list[dict]:
    items = []
    for _ in range(size):
        roll = rng.random()
        if sent and roll < 0.08:  # an identical retry of an item sent before (maybe in flight elsewhere)
            items.append(dict(rng.choice(sent)))
        elif sent and roll < 0.12:  # its uid again with other content: a conflict, unless the original was refused
            other = dict(rng.choice(sent))
            other["amount"] = f"{rng.randint(1, 50)}.{rng.randint(10, 99)}"
            items.append(other)
        else:
            kind = "DEPOSIT" if rng.random() < 0.55 else "WITHDRAW"
            items.append({"uid": new_uid("m"), "type": kind, "user_id": rng.choice(users),
                          "amount": f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}",
                          "timestamp": stamp(rng.randrange(HOURS))})
    sent.extend(i for i in items if i["uid"].startswith("m"))
    return items


@pytest.mark.single_node
def test_batches_over_many_cold_users_apply_each_uid_once_and_never_overdraw(make_server):
    server = make_server(extra_args=["--actor-idle-ms", "150"])
    client = server.client()
    users = [client.create_user(f"many-{k}")["id"] for k in range(USERS)]
    rng = random.Random(15)
    sent: list[dict] = []
    rounds = [[make_batch(rng, users, sent, 400) for _ in range(6)] for _ in range(3)]

    def put(batch):
        r = server.client().send_json("PUT", "/v1/transactions", batch)
        assert r.status_code == 200, r.text[:500]
        return batch, r.json()

    applied: dict[str, dict] = {}  # uid -> the record answered 200
    statuses: dict[int, int] = {}
    for batches in rounds:
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(put, batches))
        for batch, results in answers:
            assert len(results) == len(batch)
            for sent_item, res in zip(batch, results):
                assert res["status"] in (200, 402, 409), res
                statuses[res["status"]] = statuses.get(res["status"], 0) + 1
                if res["status"] == 200:
                    record = res["transaction"]
                    assert record["uid"] == sent_item["uid"]
                    first = applied.setdefault(record["uid"], record)
                    assert first == record, (first, record)  # a replay answers the original, exactly
                elif res["status"] == 409:
                    assert res["error"]["code"] == "uid_conflict"
                    applied.setdefault(res["existing"]["uid"], res["existing"])
                else:
                    assert res["error"]["code"] == "insufficient_funds", res
        server_idle_wait(client)  # let actors passivate: the next round finds cold users
    assert len(applied) > 1000 and statuses.get(402, 0) > 50 and statuses.get(409, 0) > 50, statuses
    assert client.get("/healthz").json()["transactions"] == len(applied)  # nothing applied that was not answered
    check_against(client, users, applied)
    server.kill9()
    server.start()
    check_against(server.client(), users, applied)


def server_idle_wait(client) -> None:
    """Until every actor has passivated (bounded: 15 s; not an assertion, only so the next round starts cold)."""
    deadline = time.monotonic() + 15
    while client.get("/healthz").json()["live_actors"] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def check_against(client, users: list[int], applied: dict[str, dict]) -> None:
    deltas: dict[int, list[tuple[str, int]]] = {u: [] for u in users}
    for record in applied.values():
        cents = text_cents(record["amount"])
        deltas[record["user_id"]].append((record["timestamp"], cents if record["type"] == "DEPOSIT" else -cents))
    for u in users:
        moves = sorted(deltas[u])
        at_moment: dict[str, int] = {}
        for t, delta in moves:  # what happens at one moment counts together
            at_moment[t] = at_moment.get(t, 0) + delta
        running = 0
        for t in sorted(at_moment):
            running += at_moment[t]
            assert running >= 0, f"user {u} below zero at {t}"
        assert text_cents(client.balance(u)) == running, u
        for hour in (5, 17, 30, 47):
            at = stamp(hour, 30)
            want = sum(d for t, d in moves if t < at + "Z")  # answers carry "...:00Z"; half hours fall between
            assert text_cents(client.balance(u, date=at)) == want, (u, at)
    for record in list(applied.values())[::50]:  # a sample read back one by one
        r = client.get_tx(record["uid"])
        assert r.status_code == 200 and r.json() == record
