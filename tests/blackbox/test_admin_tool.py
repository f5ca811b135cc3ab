"""tally-admin against a data dir written by a real tallyd: SIGTERM leaves a snapshot, `verify` accounts for every
snapshot and WAL segment and says whether recovery would succeed, `dump` prints every record as JSON, and
neither ever changes a byte of the data dir."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tallylib import REPO_ROOT, wal_logical_end

ADMIN_TIMEOUT_S = 60


def admin_path() -> Path:
    return Path(os.environ.get("TALLY_ADMIN") or REPO_ROOT / "build" / "recovery" / "tally-admin")


def admin(*args) -> subprocess.CompletedProcess:
    binary = admin_path()
    if not binary.exists():
        pytest.fail(f"tally-admin not found at {binary} (set TALLY_ADMIN)", pytrace=False)
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=ADMIN_TIMEOUT_S)


def fingerprint(data_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.rglob("*")) if p.is_file() and p.name != "LOCK"}


def dump_lines(*args) -> list[dict]:
    r = admin("dump", *args)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def flip(path: Path, offset: int):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.fixture
def stopped(make_server):
    """A data dir with 3 users and 7 transactions, stopped with SIGTERM (which takes the final snapshot)."""
    srv = make_server()
    c = srv.client()
    users = [c.create_user(f"admin-{i}")["id"] for i in range(3)]
    for i, u in enumerate(users):
        c.deposit(u, "12.34", timestamp=f"2023-03-0{i + 1}T10:00:00")
        c.deposit(u, "1.00")
    c.withdraw(users[0], "0.34", timestamp="2023-04-01T00:00:00Z")
    assert srv.stop() == 0, srv.output()
    assert "snapshot snap-" in srv.output(), srv.output()
    return srv


def test_sigterm_snapshot_is_verified_and_used_on_restart(stopped):
    data = stopped.data_dir
    snaps = sorted((data / "snapshots").glob("snap-*.snap"))
    assert len(snaps) == 1, list(data.rglob("*"))
    before = fingerprint(data)
    r = admin("verify", data)
    assert r.returncode == 0, r.stdout + r.stderr
    assert snaps[0].name in r.stdout and "INVALID" not in r.stdout, r.stdout
    assert "10 records (3 users, 7 transactions)" in r.stdout, r.stdout
    assert "transactions from 2023-03-01T10:00:00Z" in r.stdout, r.stdout
    assert "torn tail: none" in r.stdout, r.stdout
    assert "OK: recovery would succeed" in r.stdout, r.stdout
    assert fingerprint(data) == before
    stopped.start()
    assert "recovery: snapshot" in stopped.output(), stopped.output()
    c = stopped.client()
    assert c.balance(1) == "13.00"
    assert c.balance(1, "2023-03-15T00:00:00") == "12.34"


def test_dump_prints_every_record_from_each_source(stopped):
    data = stopped.data_dir
    before = fingerprint(data)
    default = dump_lines(data)
    wal_only = dump_lines(data, "--wal-only")
    snap = next((data / "snapshots").glob("snap-*.snap"))
    from_snapshot = dump_lines(data, "--snapshot", snap)
    assert fingerprint(data) == before

    assert [r["source"] for r in default] == [snap.name] * 10  # everything is in the final snapshot
    assert all(r["source"].startswith("wal-") and r["source"].endswith(".log") for r in wal_only)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("source", "offset", "index")} for r in rows]
    assert strip(default) == strip(wal_only) == strip(from_snapshot)
    users = [r for r in default if r["type"] == "user_created"]
    txs = [r for r in default if r["type"] == "transaction"]
    assert [u["name"] for u in users] == ["admin-0", "admin-1", "admin-2"]
    assert len(txs) == 7
    assert all(isinstance(t["amount"], str) and t["timestamp"].endswith("Z") for t in txs)
    assert {t["amount"] for t in txs} == {"12.34", "1.00", "0.34"}
    first = txs[0]
    assert first["user_id"] == 1 and first["kind"] == "DEPOSIT" and first["timestamp"] == "2023-03-01T10:00:00Z"
    assert first["timestamp_given"] is True
    offsets = [r["offset"] for r in wal_only]
    assert offsets == sorted(offsets) and offsets[0] == 16


def test_verify_names_damage_and_never_repairs(stopped):
    data = stopped.data_dir
    snap = next((data / "snapshots").glob("snap-*.snap"))
    flip(snap, snap.stat().st_size // 2)
    before = fingerprint(data)
    r = admin("verify", data)
    assert r.returncode == 0, r.stdout  # the WAL is whole: recovery falls back to a full replay
    assert "INVALID" in r.stdout and snap.name in r.stdout and "at byte" in r.stdout, r.stdout
    assert "picks no snapshot" in r.stdout, r.stdout
    assert fingerprint(data) == before, "verify changed the data dir (the damaged snapshot must stay as it is)"

    seg = sorted((data / "wal").glob("wal-*.log"))[-1]
    end = wal_logical_end(seg)  # the file may go on with zeroed room: the torn write lands at the records' end
    size = max(seg.stat().st_size, end + 9)
    with open(seg, "r+b") as f:  # an unacknowledged, torn write: reported, not cut
        f.seek(end)
        f.write(b"\x40\x00\x00\x00\x01\x02\x03\x04\x05")
    before = fingerprint(data)
    r = admin("verify", data)
    assert r.returncode == 0, r.stdout
    assert f"torn tail: {seg.name} at byte {end}" in r.stdout, r.stdout
    assert fingerprint(data) == before and seg.stat().st_size == size, "the torn tail was cut, not reported"

    flip(seg, 200)  # acknowledged data damaged, valid records after it
    before = fingerprint(data)
    r = admin("verify", data)
    assert r.returncode == 1, r.stdout
    assert "FAIL" in r.stdout and seg.name in r.stdout and "at byte" in r.stdout, r.stdout
    assert admin("dump", data, "--wal-only").returncode == 1
    assert fingerprint(data) == before, "tally-admin changed the data dir"


def test_usage_errors_exit_2(tmp_path):
    assert admin().returncode == 2
    assert admin("frobnicate", tmp_path).returncode == 2
    assert admin("dump", tmp_path, "--bogus").returncode == 2
