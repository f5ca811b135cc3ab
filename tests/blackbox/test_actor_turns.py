"""--actor-turns: where an idle user actor's turn runs (README settings). Either way a user's writes are judged one
at a time against its whole history: concurrent PUTs on one user never take it below zero at any date, each uid
is applied once, and balances at a date agree with the writes that were acknowledged."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tallylib import new_uid, text_cents


@pytest.mark.parametrize("turns", ["sender", "workers"])
def test_concurrent_writes_on_one_user_stay_serialised(make_server, turns):
    server = make_server(extra_args=["--actor-turns", turns])
    assert f"actor turns: {turns}" in server.output()
    client = server.client()
    u = client.create_user(f"turns-{turns}")["id"]
    client.deposit(u, "100", timestamp="2024-01-01T00:00:00")
    uids = [new_uid() for _ in range(60)]

    def withdraw(uid: str):  # 60 withdrawals of 3.00 against 100.00: exactly 33 can be applied
        return client.tx(u, "WITHDRAW", "3", uid=uid, timestamp="2024-02-01T00:00:00")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(withdraw, uids + uids[:20]))  # the first 20 sent twice: replays
    assert all(r.status_code in (200, 402) for r in answers), [r.text for r in answers if r.status_code >= 500]
    sent = uids + uids[:20]
    applied = {uid for uid, r in zip(sent, answers) if r.status_code == 200}
    for uid, r in zip(sent, answers):
        if r.status_code == 200:
            assert r.json()["uid"] == uid  # a replay answers with the original
    assert len(applied) == 33, len(applied)  # each applied uid counted once, and the money spent to the last 3.00
    assert text_cents(client.balance(u)) == 10000 - 300 * len(applied)
    assert client.balance(u, date="2024-02-01T00:00:00") == "1.00"
    assert client.balance(u, date="2024-01-15T00:00:00") == "100.00"


def test_an_unknown_actor_turns_value_is_refused(make_server):
    server = make_server(start=False, extra_args=["--actor-turns", "everywhere"])
    code, healthy = server.run_expect_exit()
    assert code not in (None, 0) and not healthy
