"""GET /metrics against the real tallyd: known traffic moves each counter by exactly what it implies, the scrape
passes `promtool check metrics`, recovery and snapshot figures appear after a restart, and --metrics off turns
the endpoint into 404 metrics_disabled; on a real full disk (tmpfs) every storage_full answer is counted."""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import threading
import time

import pytest

from tallylib import assert_error, new_uid
from test_faults_disk_full import WRITES_MAX, small_disk  # noqa: F401  (the real full disk fixture)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def scrape(client) -> tuple[str, dict]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text[:2000]
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return r.text, parse(r.text)


def value(samples: dict, name: str, **labels) -> float:
    key = (name, frozenset(labels.items()))
    assert key in samples, f"no sample {name}{labels}"
    return samples[key]


def delta(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_counters_move_by_exactly_what_the_traffic_implies(client):
    before_text, before = scrape(client)
    u = client.create_user("ann")["id"]
    v = client.create_user("bob")["id"]
    uid = new_uid("m")
    assert client.tx(u, "DEPOSIT", "100", uid=uid).status_code == 200           # applied
    assert client.tx(u, "DEPOSIT", "100", uid=uid).status_code == 200           # replayed
    assert_error(client.tx(u, "DEPOSIT", "101", uid=uid), 409, "uid_conflict")   # conflict
    assert_error(client.tx(v, "WITHDRAW", "5"), 402, "insufficient_funds")
    assert_error(client.tx(v, "DEPOSIT", "-1"), 422, "invalid_amount")          # invalid
    batch = [{"uid": new_uid("b"), "type": "DEPOSIT", "amount": "7", "user_id": v},
             {"uid": new_uid("b"), "type": "WITHDRAW", "amount": "1000", "user_id": v},
             {"uid": new_uid("b"), "type": "LEND", "amount": "1", "user_id": v}]
    r = client.send_json("PUT", "/v1/transactions", batch)
    assert r.status_code == 200 and [item["status"] for item in r.json()] == [200, 402, 422], r.text
    assert client.get_user(u).status_code == 200
    assert client.get_user(v).status_code == 200
    assert client.balance_raw(u).status_code == 200
    assert_error(client.get_user(999), 404, "user_not_found")
    assert_error(client.get("/no/such/route"), 404, "route_not_found")
    after_text, after = scrape(client)

    requests_total = "tally_http_requests_total"
    expected_requests = {
        ("/v1/user", "2xx"): 2,
        ("/v1/transaction", "2xx"): 2,
        ("/v1/transaction", "4xx"): 3,
        ("/v1/transactions", "2xx"): 1,
        ("/v1/user/{id}", "2xx"): 2,
        ("/v1/user/{id}", "4xx"): 1,
        ("/v1/user/{id}/balance", "2xx"): 1,
        ("none", "4xx"): 1,
        ("/metrics", "2xx"): 1,  # the first scrape, counted once answered
    }
    for (route, code_class), want in expected_requests.items():
        assert delta(before, after, requests_total, route=route, code_class=code_class) == want, (route, code_class)
    moved = sum(after[k] - before.get(k, 0) for k in after if k[0] == requests_total)
    assert moved == sum(expected_requests.values()), "requests counted under some other route or class"
    assert delta(before, after, "tally_http_request_duration_seconds_count", route="/v1/transaction") == 5
    assert delta(before, after, "tally_http_request_duration_seconds_sum", route="/v1/transaction") > 0

    expected_tx = {
        ("deposit", "applied"): 2,
        ("deposit", "replayed"): 1,
        ("deposit", "conflict"): 1,
        ("withdraw", "insufficient_funds"): 2,
        ("unknown", "invalid"): 2,
    }
    for (type_, result), want in expected_tx.items():
        assert delta(before, after, "tally_transactions_total", type=type_, result=result) == want, (type_, result)
    moved = sum(after[k] - before.get(k, 0) for k in after if k[0] == "tally_transactions_total")
    assert moved == sum(expected_tx.values())

    assert value(after, "tally_users") == 2
    assert value(after, "tally_transactions") == 2
    # Durable records: two users, two transactions; each fdatasync observes its group commit's size once.
    assert delta(before, after, "tally_wal_group_commit_records_sum") == 4
    syncs = delta(before, after, "tally_wal_fdatasync_duration_seconds_count")
    assert 1 <= syncs <= 4
    assert delta(before, after, "tally_wal_group_commit_records_count") == syncs
    assert delta(before, after, "tally_wal_bytes_written_total") > 0
    assert value(after, "tally_storage_full_refusals_total") == 0
    assert value(after, "tally_http_connections") >= 1
    assert value(after, "tally_build_info", version=_version(after)) == 1


def _version(samples: dict) -> str:
    for name, labels in samples:
        if name == "tally_build_info":
            return dict(labels)["version"]
    raise AssertionError("no tally_build_info")


def test_histogram_buckets_are_cumulative_and_end_in_inf(client):
    client.create_user()
    _, samples = scrape(client)
    buckets = sorted(((float(dict(labels)["le"]), v) for (name, labels), v in samples.items()
                      if name == "tally_http_request_duration_seconds_bucket" and dict(labels)["route"] == "/v1/user"))
    assert buckets[-1][0] == math.inf
    counts = [count for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] == 1
    assert value(samples, "tally_http_request_duration_seconds_count", route="/v1/user") == 1


def test_scrape_after_traffic_passes_promtool(client):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus; scripts/install-deps.sh --test)")
    u = client.create_user()["id"]
    client.deposit(u, "3")
    assert_error(client.tx(u, "WITHDRAW", "30"), 402, "insufficient_funds")
    text, _ = scrape(client)
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == "", checked.stdout + checked.stderr


def test_recovery_and_snapshot_figures_after_a_restart(make_server):
    srv = make_server()
    c = srv.client()
    _, first = scrape(c)
    assert value(first, "tally_recovery_wal_records") == 0
    assert ("tally_snapshot_age_seconds", frozenset()) not in first  # no snapshot yet
    u = c.create_user()["id"]
    c.deposit(u, "10")
    c.deposit(u, "20")
    srv.restart()  # a graceful stop takes a final snapshot
    c = srv.client()
    _, after = scrape(c)
    assert value(after, "tally_recovery_duration_seconds") > 0
    assert value(after, "tally_users") == 1
    assert value(after, "tally_transactions") == 2
    assert value(after, "tally_snapshot_last_success_timestamp_seconds") > 0
    assert value(after, "tally_snapshot_age_seconds") >= 0
    assert value(after, "tally_recovery_wal_records") == 0  # the snapshot covers the whole log


def test_metrics_off_refuses_the_endpoint_and_still_serves(make_server):
    srv = make_server(extra_args=["--metrics", "off"])
    c = srv.client()
    assert_error(c.get("/metrics"), 404, "metrics_disabled")
    u = c.create_user()["id"]
    c.deposit(u, "1")
    assert c.balance(u) == "1.00"


def test_storage_full_refusals_are_counted_on_a_real_full_disk(make_server, small_disk):  # noqa: F811
    srv = make_server(data_dir=small_disk / "data")
    c = srv.client()
    user = c.create_user("filler")["id"]
    _, before = scrape(c)
    applied = refused = 0
    for _ in range(WRITES_MAX):
        r = c.tx(user, "DEPOSIT", "0.01", uid=new_uid("x" * 20))
        if r.status_code == 200:
            applied += 1
            continue
        assert_error(r, 503, "storage_full")
        refused += 1
        if refused == 3:
            break
    assert refused == 3, f"the disk never filled after {WRITES_MAX} writes"
    _, after = scrape(c)
    assert delta(before, after, "tally_storage_full_refusals_total") == refused
    assert delta(before, after, "tally_transactions_total", type="deposit", result="storage_full") == refused
    assert delta(before, after, "tally_transactions_total", type="deposit", result="applied") == applied
    assert delta(before, after, "tally_http_requests_total", route="/v1/transaction", code_class="5xx") == refused
    assert delta(before, after, "tally_wal_group_commit_records_sum") == applied


@pytest.mark.single_node
def test_feed_gauges_follow_the_feed_and_its_waiting_readers(server):
    """tally_feed_newest_seq is the feed's newest seq; a parked long-poll and an open stream are counted while
    they wait, and no longer once answered or closed."""
    c, waiting = server.client(), server.client()
    _, before = scrape(c)
    assert value(before, "tally_feed_parked_readers") == 0 and value(before, "tally_feed_streams") == 0
    u = c.create_user("gauged")
    c.deposit(u["id"], "3.00")
    last = c.get("/v1/events?after=0&limit=10000").json()["last"]
    assert last >= 3  # user.created, transaction.applied, balance.funds_available
    _, now = scrape(c)
    assert value(now, "tally_feed_newest_seq") == last
    answered = {}
    poll = threading.Thread(target=lambda: answered.update(
        r=waiting.get(f"/v1/events?after={last}&wait=30", timeout=60)))
    poll.start()
    with c.get(f"/v1/events/stream?after={last}", stream=True, timeout=60) as stream:
        assert stream.status_code == 200
        deadline = time.monotonic() + 30  # bounded: the long-poll reaches the server meanwhile
        while value(scrape(c)[1], "tally_feed_parked_readers") != 1:
            assert time.monotonic() < deadline, "the long-poll was never counted as parked"
            time.sleep(0.02)
        assert value(scrape(c)[1], "tally_feed_streams") == 1
        c.deposit(u["id"], "1.00")  # wakes the long-poll
        poll.join(60)
        assert answered["r"].status_code == 200 and answered["r"].json()["events"]
        assert value(scrape(c)[1], "tally_feed_parked_readers") == 0
