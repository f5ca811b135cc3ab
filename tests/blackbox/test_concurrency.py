"""Many clients at once: no lost updates, no overdraft, users independent."""
from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from tallylib import (ThreadClients, assert_error, cents_text, micros, new_uid, norm_iso, parse_norm_iso,
                      from_micros)


def _parallel(server, fn, items, workers=32):
    clients = ThreadClients(server)
    start = threading.Barrier(min(workers, len(items)))
    started = threading.local()

    def go(item):
        c = clients.get()
        if not getattr(started, "done", False):
            started.done = True
            try:
                start.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
        return fn(c, item)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(go, items))
    finally:
        clients.close()


def test_300_concurrent_withdrawals_against_100(server, client):
    u = client.create_user()
    client.deposit(u["id"], "100.00")
    uids = [new_uid("w") for _ in range(300)]
    results = _parallel(server, lambda c, uid: c.tx(u["id"], "WITHDRAW", "1.00", uid=uid), uids, workers=50)
    ok = [uid for uid, r in zip(uids, results) if r.status_code == 200]
    refused = [r for r in results if r.status_code == 402]
    others = [(r.status_code, r.text) for r in results if r.status_code not in (200, 402)]
    assert not others, others[:5]
    assert len(ok) == 100
    assert len(refused) == 200
    for r in refused:
        assert_error(r, 402, "insufficient_funds")
    assert client.balance(u["id"]) == "0.00"
    # exactly the acknowledged ones are recorded
    for uid, r in zip(uids, results):
        g = client.get_tx(uid)
        assert g.status_code == (200 if r.status_code == 200 else 404), (uid, r.status_code, g.text)


def test_concurrent_deposits_are_not_lost(server, client):
    u = client.create_user()
    amounts = [f"{random.Random(i).randint(1, 10000) / 100:.2f}" for i in range(200)]
    results = _parallel(server, lambda c, a: c.tx(u["id"], "DEPOSIT", a), amounts)
    assert all(r.status_code == 200 for r in results), [(r.status_code, r.text) for r in results][:5]
    total = sum(round(float(a) * 100) for a in amounts)
    assert client.balance(u["id"]) == cents_text(total)


def test_different_users_in_parallel(server, client):
    users = [client.create_user(f"p{i}")["id"] for i in range(10)]
    ops = []
    rng = random.Random(7)
    for uid in users:
        ops += [(uid, "DEPOSIT", 1000)] * 5
        ops += [(uid, "WITHDRAW", rng.randint(1, 500)) for _ in range(20)]
    rng.shuffle(ops)
    # deposits first so every user has funds, then the mixed withdrawals in parallel
    deposits = [o for o in ops if o[1] == "DEPOSIT"]
    withdrawals = [o for o in ops if o[1] == "WITHDRAW"]
    r1 = _parallel(server, lambda c, o: c.tx(o[0], o[1], cents_text(o[2])), deposits)
    assert all(r.status_code == 200 for r in r1)
    r2 = _parallel(server, lambda c, o: c.tx(o[0], o[1], cents_text(o[2])), withdrawals)
    assert all(r.status_code in (200, 402) for r in r2), [(r.status_code, r.text) for r in r2][:5]
    for uid in users:
        spent = sum(o[2] for o, r in zip(withdrawals, r2) if o[0] == uid and r.status_code == 200)
        assert spent <= 5000
        refused = [o[2] for o, r in zip(withdrawals, r2) if o[0] == uid and r.status_code == 402]
        assert client.balance(uid) == cents_text(5000 - spent)
        # balances only fall in this phase, so a withdrawal refused for lack of funds cannot fit at the end either
        if refused:
            assert 5000 - spent < min(refused), (spent, refused)


def test_concurrent_backdated_mix_never_goes_negative(server, client):
    """Concurrent deposits and withdrawals at random backdated instants. Afterwards the accepted set must form a
    history that is never negative at any instant, and the server's balances at dates must match it."""
    u = client.create_user()
    base = dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc)
    client.deposit(u["id"], "20.00", timestamp=norm_iso(base))
    rng = random.Random(1234)
    ops = []
    for i in range(160):
        kind = "DEPOSIT" if i % 5 == 0 else "WITHDRAW"
        at = base + dt.timedelta(minutes=rng.randint(-60, 600), microseconds=i)  # distinct instants
        ops.append((new_uid("m"), kind, rng.randint(1, 300), norm_iso(at)))
    results = _parallel(server, lambda c, o: c.tx(u["id"], o[1], cents_text(o[2]), uid=o[0], timestamp=o[3]), ops)
    entries = [(micros(base), 2000)]
    for (uid, kind, cents, ts), r in zip(ops, results):
        if kind == "DEPOSIT":
            assert r.status_code == 200, r.text
        else:
            assert r.status_code in (200, 402), r.text
        if r.status_code == 200:
            assert parse_norm_iso(r.json()["timestamp"]) == parse_norm_iso(ts)
            entries.append((micros(parse_norm_iso(ts)), cents if kind == "DEPOSIT" else -cents))
        else:
            assert_error(client.get_tx(uid), 404, "transaction_not_found")
    entries.sort()
    running = 0
    for t, d in entries:
        running += d
        assert running >= 0, f"accepted history goes negative at {norm_iso(from_micros(t))}"
        assert client.balance(u["id"], norm_iso(from_micros(t))) == cents_text(running)
    assert client.balance(u["id"]) == cents_text(running)
    assert sum(1 for r in results if r.status_code == 200) > 10  # something happened
