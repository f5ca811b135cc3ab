"""tallyd restores its newest snapshot in the same read that validates it (docs/snapshot_format.md): a newest
snapshot damaged where only the end of that read finds it (the footer) or part way through has had records
applied by then; tallyd must throw that state away and start from the previous snapshot, serving exactly what
was acknowledged, and say which snapshot it skipped."""
from __future__ import annotations

from pathlib import Path

import pytest

from tallylib import new_uid


def write_some(c, tag: str, users: list[int]) -> dict[str, dict]:
    """A user more and a few transactions for every user; returns the acknowledged records by uid."""
    users.append(c.create_user(f"fallback {tag}")["id"])
    acknowledged = {}
    for i, user in enumerate(users):
        for amount, timestamp in (("10.00", f"2023-02-0{i % 9 + 1}T08:00:00Z"), ("2.50", None)):
            uid = new_uid(f"{tag}{i}")
            record = c.deposit(user, amount, uid=uid, **({"timestamp": timestamp} if timestamp else {}))
            acknowledged[uid] = record
        uid = new_uid(f"{tag}w{i}")
        acknowledged[uid] = c.withdraw(user, "1.25", uid=uid)
    return acknowledged


def all_events(c) -> list[dict]:
    """The change feed from the start (rebuilt at every start from the same records: the same events and seqs)."""
    out, after = [], 0
    while True:
        r = c.get(f"/v1/events?after={after}&limit=10000")
        assert r.status_code == 200, r.text
        out += r.json()["events"]
        if r.json()["last"] == after:
            return out
        after = r.json()["last"]


def state(c, users: list[int], acknowledged: dict[str, dict]) -> dict:
    return {
        "balances": {u: (c.balance(u), c.balance(u, "2023-02-05T00:00:00Z")) for u in users},
        "users": {u: c.get_user(u).json() for u in users},
        "txs": {uid: c.get_tx(uid).json() for uid in acknowledged},
        "events": all_events(c),  # a feed rebuilt twice over (the thrown-away restore's events kept) differs
    }


def snapshots(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "snapshots").glob("snap-*.snap"))


def flip(path: Path, offset: int):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["footer", "middle"])
def test_damaged_newest_snapshot_is_thrown_away_and_the_previous_one_used(make_server, where):
    srv = make_server()
    c = srv.client()
    users: list[int] = []
    acknowledged = write_some(c, "a", users)
    assert srv.stop() == 0, srv.output()  # the final snapshot: the older one
    srv.start()
    acknowledged.update(write_some(c, "b", users))
    before = state(c, users, acknowledged)
    assert srv.stop() == 0, srv.output()  # the newest one, covering everything
    older, newest = snapshots(srv.data_dir)
    flip(newest, newest.stat().st_size - 1 if where == "footer" else newest.stat().st_size // 2)

    srv.start()
    out = srv.output()
    assert f"recovery: snapshot {older}" in out, out
    skipped = [line for line in out.splitlines() if "invalid snapshot skipped" in line]
    assert len(skipped) == 1 and newest.name in skipped[0] and "at byte" in skipped[0], out
    assert "found while restoring it" in skipped[0], out
    assert state(c, users, acknowledged) == before
    # The log goes on from there: a write after the fallback survives a kill -9.
    uid = new_uid("after")
    record = c.deposit(users[0], "3.00", uid=uid)
    srv.restart(hard=True)
    assert c.get_tx(uid).json() == record
