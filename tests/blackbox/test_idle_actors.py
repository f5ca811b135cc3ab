"""Idle user actors hand their state back and quit (--actor-idle-ms); the next request brings the user back
with its whole history. /healthz reports the counts this relies on."""
from __future__ import annotations

import time

from tallylib import new_uid


def health(client) -> dict:
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    return r.json()


def test_healthz_counts_users_and_transactions(client):
    before = health(client)
    assert before["status"] == "ok"
    u = client.create_user()
    client.deposit(u["id"], "3")
    after = health(client)
    assert after["users"] == before["users"] + 1
    assert after["transactions"] == before["transactions"] + 1


def test_idle_actors_passivate_and_users_come_back_whole(make_server):
    # Idle time longer than the 60 (and then 90) requests below take, also in the ASan build (several times slower): the
    # count of live actors right after them must not depend on the machine's speed.
    server = make_server(extra_args=["--actor-idle-ms", "3000"])
    client = server.client()
    users = [client.create_user(f"idle-{i}")["id"] for i in range(30)]
    for u in users:
        client.deposit(u, "10", timestamp="2024-01-01T00:00:00")
        client.withdraw(u, "4", timestamp="2024-02-01T00:00:00")
    # Not checked: that all 30 are live right now. With 150 ms of idleness allowed an early user may already be
    # dormant when the last write returns (slow disk, sanitizers, a busy machine). Waited on instead (bounded
    # generously): every actor goes dormant.
    live = health(client)["live_actors"]
    assert 0 <= live <= len(users), live
    deadline = time.monotonic() + 60
    while health(client)["live_actors"] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(client)["live_actors"] == 0, "idle actors were not passivated"
    # Now every user is dormant, and each is touched only by its own turn below: its first request finds it
    # dormant, whatever the timing, so what follows checks a user brought back from its dormant ledger.
    for u in users:
        # A fresh actor judges against the restored history: a backdated withdrawal that would make February
        # negative is refused, balance-at-date sees both moments.
        r = client.tx(u, "WITHDRAW", "7", uid=new_uid(), timestamp="2024-01-15T00:00:00")
        assert r.status_code == 402, r.text
        assert client.balance(u, date="2024-01-20T00:00:00") == "10.00"
        assert client.balance(u) == "6.00"
    assert health(client)["transactions"] == 2 * len(users), "the refused withdrawals recorded nothing"
