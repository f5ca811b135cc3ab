"""Restarts on the same data dir: SIGKILL, SIGTERM, SIGINT, a torn WAL tail, a corrupted WAL middle."""
from __future__ import annotations

import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tallylib import ThreadClients, assert_error, cents_text, new_uid, text_cents

DATES = ["2022-12-31T00:00:00Z", "2023-01-05T00:00:00Z", "2023-01-05T12:00:00Z", "2023-01-10T00:00:00Z",
         "2023-01-20T00:00:00Z", "2023-06-01T00:00:00Z", "2999-01-01T00:00:00Z"]


class State:
    def __init__(self):
        self.users: dict[int, dict] = {}          # id -> created record
        self.keys: dict[str, tuple[int, str]] = {}  # idempotency key -> (id, name)
        self.txs: dict[str, tuple[dict, dict]] = {}  # uid -> (request body, acknowledged record)
        self.refused: list[tuple[str, dict]] = []   # (uid, body) refused with 402


def populate(c, state: State, n_users: int = 4, tag: str = "a"):
    for i in range(n_users):
        key = f"dur-{tag}-{i}" if i % 2 == 0 else None
        name = f"durable {tag} {i} Юникод"
        u = c.create_user(name, key=key)
        state.users[u["id"]] = u
        if key:
            state.keys[key] = (u["id"], name)
        uid_ = u["id"]

        def tx(type_, amount, ts=None):
            body = {"uid": new_uid(f"{tag}{i}"), "type": type_, "amount": amount, "user_id": uid_}
            if ts:
                body["timestamp"] = ts
            r = c.tx_raw(body)
            assert r.status_code == 200, r.text
            state.txs[body["uid"]] = (body, r.json())

        tx("DEPOSIT", "100.00", "2023-01-10T00:00:00")
        tx("WITHDRAW", "100", "2023-01-20T00:00:00")
        tx("DEPOSIT", 50, "2023-01-05T00:00:00")           # backdated
        tx("WITHDRAW", "30.5", "2023-01-06T00:00:00+03:00")  # backdated, with offset
        tx("DEPOSIT", f"{i + 1}.0{i}")                     # server clock
        tx("WITHDRAW", "0.01")
        refused = {"uid": new_uid(f"r{tag}{i}"), "type": "WITHDRAW", "amount": "60", "user_id": uid_,
                   "timestamp": "2023-01-04T00:00:00"}
        assert_error(c.tx_raw(refused), 402, "insufficient_funds")
        state.refused.append((refused["uid"], refused))


def snapshot(c, state: State) -> dict:
    snap = {"users": {}, "balance": {}, "at": {}, "txs": {}, "refused": {}}
    for uid_ in state.users:
        r = c.get_user(uid_)
        assert r.status_code == 200, r.text
        snap["users"][uid_] = r.json()
        snap["balance"][uid_] = c.balance(uid_)
        for d in DATES:
            snap["at"][(uid_, d)] = c.balance(uid_, d)
    for tuid in state.txs:
        r = c.get_tx(tuid)
        assert r.status_code == 200, f"{tuid}: {r.status_code} {r.text}"
        snap["txs"][tuid] = r.json()
    for tuid, _ in state.refused:
        snap["refused"][tuid] = c.get_tx(tuid).status_code
    return snap


def check_state(c, state: State, before: dict):
    after = snapshot(c, state)
    assert after["users"] == before["users"]
    assert after["balance"] == before["balance"]
    assert after["at"] == before["at"]
    assert after["txs"] == before["txs"]
    for tuid, (_, rec) in state.txs.items():
        assert after["txs"][tuid] == rec
    assert all(code == 404 for code in after["refused"].values()), after["refused"]


def check_retries(c, state: State):
    balances = {u: c.balance(u) for u in state.users}
    for tuid, (body, rec) in state.txs.items():
        r = c.tx_raw(body)
        assert r.status_code == 200, f"retry of acknowledged {tuid}: {r.status_code} {r.text}"
        assert r.json() == rec
        changed = dict(body, amount="0.07")
        r = c.tx_raw(changed)
        assert assert_error(r, 409, "uid_conflict")["existing"] == rec
    assert {u: c.balance(u) for u in state.users} == balances
    for key, (id_, name) in state.keys.items():
        r = c.create_user_raw({"name": name}, key=key)
        assert r.status_code == 201 and r.json()["id"] == id_, r.text
        r = c.create_user_raw({"name": name + " other"}, key=key)
        assert assert_error(r, 409, "idempotency_key_conflict")["existing"]["id"] == id_
    new = c.create_user("after restart")
    assert new["id"] > max(state.users), (new["id"], max(state.users))
    state.users[new["id"]] = new


def test_kill9_keeps_every_acknowledged_write(server):
    c = server.client()
    state = State()
    populate(c, state)
    before = snapshot(c, state)
    server.restart(hard=True)
    check_state(c, state, before)
    check_retries(c, state)
    # refused uids are still free and can now succeed
    tuid, body = state.refused[0]
    r = c.tx_raw(dict(body, type="DEPOSIT"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_stop_exits_0_and_keeps_everything(server, sig):
    c = server.client()
    state = State()
    populate(c, state, n_users=2)
    before = snapshot(c, state)
    code = server.signal_stop(sig)
    assert code == 0, f"{sig.name}: exit code {code} (None = did not exit within the timeout)"
    server.start()
    check_state(c, state, before)
    check_retries(c, state)


def test_several_restarts_with_writes_between(server):
    c = server.client()
    state = State()
    for round_ in range(4):
        populate(c, state, n_users=2, tag=f"r{round_}")
        before = snapshot(c, state)
        server.restart(hard=(round_ % 2 == 0))
        check_state(c, state, before)
    check_retries(c, state)


def test_concurrent_acknowledged_writes_survive_kill9(server):
    c = server.client()
    users = [c.create_user(f"k{i}")["id"] for i in range(5)]
    work = [(users[i % 5], new_uid("k"), f"{i % 7 + 1}.{i % 100:02d}") for i in range(250)]
    clients = ThreadClients(server)
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(lambda w: clients.get().tx(w[0], "DEPOSIT", w[2], uid=w[1]), work))
    finally:
        clients.close()
    assert all(r.status_code == 200 for r in results)
    server.restart(hard=True)
    for user, tuid, amount in work:
        r = c.get_tx(tuid)
        assert r.status_code == 200, f"{tuid} lost"
        assert r.json()["amount"] == amount and r.json()["user_id"] == user
    for user in users:
        total = sum(text_cents(a) for u, _, a in work if u == user)
        assert c.balance(user) == cents_text(total)


def test_kill9_under_load_loses_no_acknowledged_write(server):
    """Writers run while the server is SIGKILLed. Every 200 must survive; unacknowledged writes may or may not
    have happened, but balances must equal the sum of exactly the transactions that are there."""
    c = server.client()
    users = [c.create_user(f"L{i}")["id"] for i in range(4)]
    acked: list[tuple[int, str, str]] = []
    sent: list[tuple[int, str, str]] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def writer(n):
        s = requests.Session()
        i = 0
        while not stop.is_set() and i < 2000:
            user = users[(n + i) % len(users)]
            tuid = new_uid(f"L{n}")
            amount = f"{(i % 9) + 1}.{n:02d}"
            with lock:
                sent.append((user, tuid, amount))
            try:
                r = s.put(server.url("/v1/transaction"), timeout=10,
                          json={"uid": tuid, "type": "DEPOSIT", "amount": amount, "user_id": user})
            except requests.RequestException:
                return
            if r.status_code == 200:
                with lock:
                    acked.append((user, tuid, amount))
                    if len(acked) >= 150:
                        enough.set()
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    reached = enough.wait(timeout=120)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert reached, f"only {len(acked)} writes acknowledged"
    server.start()
    present: dict[int, int] = {u: 0 for u in users}
    acked_uids = {a[1] for a in acked}
    for user, tuid, amount in sent:
        r = c.get_tx(tuid)
        if tuid in acked_uids:
            assert r.status_code == 200, f"acknowledged {tuid} lost after kill -9"
        else:
            assert r.status_code in (200, 404), r.text
        if r.status_code == 200:
            assert r.json()["amount"] == amount
            present[user] += text_cents(amount)
    for user in users:
        assert c.balance(user) == cents_text(present[user])


def _last_segment(server):
    segs = server.wal_segments()
    assert segs, f"no WAL segments in {server.wal_dir}: {list(server.data_dir.rglob('*'))}"
    return segs[-1]


def test_wal_segment_files_are_named_by_20_digits(server):
    c = server.client()
    c.deposit(c.create_user()["id"], "1")
    segs = server.wal_segments()
    assert segs
    for s in segs:
        assert re.fullmatch(r"wal-\d{20}\.log", s.name), s.name
        assert s.stat().st_size > 0


def test_torn_tail_is_cut_and_everything_before_survives(server):
    c = server.client()
    state = State()
    populate(c, state, n_users=3)
    before = snapshot(c, state)
    user = next(iter(state.users))
    last_uid = new_uid("last")
    c.deposit(user, "1.00", uid=last_uid)
    assert server.stop() == 0
    seg = _last_segment(server)
    # The last segment may end in the writer's zeroed room (docs/wal_format.md, "Pre-zeroed segments"): cut 3
    # bytes off the last record itself, i.e. before its last non-zero byte (its CRC or payload), not off the room.
    data = seg.read_bytes()
    records_end = len(data.rstrip(b"\0"))
    with open(seg, "r+b") as f:
        f.truncate(records_end - 3)
    server.start()
    # a line about the cut tail
    out = server.output().lower()
    assert any(w in out for w in ("torn", "truncat", "tail", "cut", "partial", "incomplete")), server.output()
    # The cut 3 bytes belong to the last record written (the deposit "last"): it is gone, everything before stays.
    # (SIGTERM's final snapshot covered it too: the WAL decides where the log ends and that snapshot is retired.)
    last = c.get_tx(last_uid)
    assert last.status_code == 404, f"the torn record survived: {last.status_code} {last.text}"
    assert c.balance(user) == before["balance"][user]
    check_state(c, state, before)
    # the log is usable after the cut: new writes survive another (hard) restart
    after_uid = new_uid("after")
    c.deposit(user, "2.00", uid=after_uid)
    server.restart(hard=True)
    assert c.get_tx(after_uid).status_code == 200
    assert c.balance(user) == cents_text(text_cents(before["balance"][user]) + 200)
    assert c.deposit(user, "1.00", uid=last_uid)["uid"] == last_uid  # the cut uid is free again
    check_retries(c, state)


def test_flipped_byte_in_the_middle_refuses_to_start(server):
    c = server.client()
    state = State()
    populate(c, state, n_users=2, tag="pre")
    marker = "CORRUPT-ME-" + "Q" * 120
    victim = c.create_user(marker)
    for i in range(20):  # valid records after the damaged one
        c.deposit(victim["id"], f"{i + 1}.00")
    populate(c, state, n_users=1, tag="post")
    assert server.stop() == 0
    segs = server.wal_segments()
    target = None
    for seg in segs:
        data = seg.read_bytes()
        pos = data.find(marker.encode())
        if pos >= 0:
            target, offset = seg, pos + 60
            break
    if target is None:  # name not stored verbatim: flip a byte in the middle of the largest segment
        target = max(segs, key=lambda p: p.stat().st_size)
        offset = target.stat().st_size // 2
    data = bytearray(target.read_bytes())
    assert offset < len(data) - 200, "the flipped byte must be followed by valid records"
    data[offset] ^= 0x01
    target.write_bytes(bytes(data))
    code, healthy = server.run_expect_exit()
    out = server.output()
    assert not healthy, "server served requests from a WAL with a corrupted record in the middle"
    assert code is not None, "server neither started nor exited"
    assert code != 0, f"exit code {code}"
    assert target.name in out, out
    assert re.search(r"offset|byte", out, re.I), out
    # and it did not "repair" the damage by truncating the valid records after it
    assert target.stat().st_size == len(data)
