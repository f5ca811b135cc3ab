"""The change feed (docs/notifications.md) against the real tallyd: seq contiguity, event types and fields, funds
events once per crossing (also under 300 concurrent withdrawals), threshold changes, batches, backdating, filters
and `last`, long-polls, 410, bad input, the feed after kill -9, Server-Sent Events, and the ad-engine example."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tallylib import RawConnection, ThreadClients, assert_error, new_uid

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "ad_engine.py"
FUNDS = ("balance.funds_available", "balance.funds_depleted")


def events(client, query: str = "") -> dict:
    r = client.get("/v1/events" + ("?" + query if query else ""))
    assert r.status_code == 200, r.text
    return r.json()


def all_events(client, after: int = 0) -> list[dict]:
    out = []
    while True:
        page = events(client, f"after={after}&limit=10000")
        out += page["events"]
        if page["last"] == after:
            return out
        after = page["last"]


def create(client, name: str, threshold=None) -> dict:
    body = {"name": name}
    if threshold is not None:
        body["low_balance_threshold"] = threshold
    r = client.create_user_raw(body)
    assert r.status_code == 201, r.text
    return r.json()


def patch(client, user_id: int, body) -> requests.Response:
    return client.send_json("PATCH", f"/v1/user/{user_id}", body)


def of_user(evs: list[dict], user_id: int, types=None) -> list[dict]:
    return [e for e in evs if e["user_id"] == user_id and (types is None or e["type"] in types)]


def test_every_fact_is_one_event_numbered_without_gaps(client):
    u = create(client, "ann", "5.00")
    dep = client.deposit(u["id"], "10.00")
    client.withdraw(u["id"], "6.00")
    refused = client.tx_raw({"uid": new_uid("no"), "type": "WITHDRAW", "amount": "100.00", "user_id": u["id"]})
    assert refused.status_code == 402
    evs = all_events(client)
    assert [e["seq"] for e in evs] == list(range(1, len(evs) + 1))
    assert [e["type"] for e in evs] == ["user.created", "transaction.applied", "balance.funds_available",
                                        "transaction.applied", "balance.funds_depleted"]
    assert all(e["shard"] == 0 for e in evs)
    created, applied, available, applied2, depleted = evs
    assert created["name"] == "ann" and created["low_balance_threshold"] == "5.00" and created["user_id"] == u["id"]
    assert applied["transaction"] == dep  # the stored transaction, as the API showed it
    assert applied["balance"] == "10.00" and applied2["balance"] == "4.00"
    assert available == {**available, "balance": "10.00", "threshold": "5.00", "uid": dep["uid"]}
    assert depleted["balance"] == "4.00" and depleted["threshold"] == "5.00"
    times = [e["time"] for e in evs]
    assert times == sorted(times)
    assert client.get(f"/v1/transaction/{dep['uid']}").json() == applied["transaction"]


def test_funds_events_fire_once_per_crossing(client):
    u = create(client, "bob", "3.00")
    for amount in ("1.00", "1.00", "1.00"):  # 3.00: at the line is not above
        client.deposit(u["id"], amount)
    client.deposit(u["id"], "0.01")  # above
    client.deposit(u["id"], "5.00")  # still above
    client.withdraw(u["id"], "4.01")  # 4.00: above
    client.withdraw(u["id"], "1.00")  # 3.00: at-or-below
    client.withdraw(u["id"], "3.00")  # 0.00: still below
    client.deposit(u["id"], "3.01")   # above again
    funds = of_user(all_events(client), u["id"], FUNDS)
    assert [(e["type"], e["balance"]) for e in funds] == [
        ("balance.funds_available", "3.01"), ("balance.funds_depleted", "3.00"), ("balance.funds_available", "3.01")]


def test_threshold_patch_is_an_event_and_crossing_it_fires_right_after(client):
    u = create(client, "cat")
    client.deposit(u["id"], "10.00")  # above the default 0.00
    r = patch(client, u["id"], {"low_balance_threshold": "10.00"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": u["id"], "name": "cat", "balance": "10.00", "low_balance_threshold": "10.00",
                        "client": ""}
    assert client.get_user(u["id"]).json()["low_balance_threshold"] == "10.00"
    assert patch(client, u["id"], {"low_balance_threshold": 20}).status_code == 200  # no crossing: stays below
    assert patch(client, u["id"], {"low_balance_threshold": None}).json()["low_balance_threshold"] == "0.00"
    evs = of_user(all_events(client), u["id"])
    assert [e["type"] for e in evs] == [
        "user.created", "transaction.applied", "balance.funds_available",
        "user.updated", "balance.funds_depleted", "user.updated", "user.updated", "balance.funds_available"]
    assert evs[4]["uid"] is None and evs[4]["threshold"] == "10.00" and evs[4]["seq"] == evs[3]["seq"] + 1
    assert evs[7]["seq"] == evs[6]["seq"] + 1


def test_bad_thresholds_and_patches_are_refused_and_change_nothing(client):
    u = create(client, "dan", "1.00")
    for body, status, code in [
        ({"low_balance_threshold": "-1"}, 422, "invalid_threshold"),
        ({"low_balance_threshold": "1.001"}, 422, "invalid_threshold"),
        ({"low_balance_threshold": "x"}, 422, "invalid_threshold"),
        ({"low_balance_threshold": True}, 400, "invalid_type"),
        ({"name": "other"}, 422, "read_only_field"),
        ({"colour": "red"}, 422, "unknown_field"),
        ({}, 422, "missing_field"),
        ([1], 400, "malformed_json"),
    ]:
        assert_error(patch(client, u["id"], body), status, code)
    assert_error(patch(client, 99999, {"low_balance_threshold": 1}), 404, "user_not_found")
    assert_error(client.create_user_raw({"name": "e", "low_balance_threshold": "-5"}), 422, "invalid_threshold")
    assert client.get_user(u["id"]).json()["low_balance_threshold"] == "1.00"
    assert [e["type"] for e in of_user(all_events(client), u["id"])] == ["user.created"]


def test_batch_items_are_judged_in_order(client):
    u = create(client, "eve", "5.00")
    items = [{"uid": new_uid("b"), "type": t, "amount": a, "user_id": u["id"]}
             for t, a in [("DEPOSIT", "6.00"), ("WITHDRAW", "2.00"), ("DEPOSIT", "2.00"), ("WITHDRAW", "100.00")]]
    r = client.send_json("PUT", "/v1/transactions", items)
    assert [i["status"] for i in r.json()] == [200, 200, 200, 402]
    evs = of_user(all_events(client), u["id"])
    assert [(e["type"], e.get("balance")) for e in evs[1:]] == [
        ("transaction.applied", "6.00"), ("balance.funds_available", "6.00"),
        ("transaction.applied", "4.00"), ("balance.funds_depleted", "4.00"),
        ("transaction.applied", "6.00"), ("balance.funds_available", "6.00")]


def test_backdated_transactions_count_by_their_effect_on_the_current_balance(client):
    u = create(client, "fay", "1.00")
    client.deposit(u["id"], "5.00", timestamp="2023-01-01T00:00:00Z")
    client.deposit(u["id"], "1.00")  # now: 6.00
    client.withdraw(u["id"], "4.50", timestamp="2023-06-01T00:00:00Z")  # backdated: 1.50 now, still above
    client.withdraw(u["id"], "0.50", timestamp="2023-07-01T00:00:00Z")  # backdated: 1.00 now, at the line
    evs = of_user(all_events(client), u["id"])
    assert [(e["type"], e.get("balance")) for e in evs[1:]] == [
        ("transaction.applied", "5.00"), ("balance.funds_available", "5.00"), ("transaction.applied", "6.00"),
        ("transaction.applied", "1.50"), ("transaction.applied", "1.00"), ("balance.funds_depleted", "1.00")]


def test_300_concurrent_withdrawals_cross_once(server):
    c = server.client()
    u = create(c, "ads", "1.00")
    c.deposit(u["id"], "150.00")
    clients = ThreadClients(server)

    def withdraw(k):
        return clients.get().tx_raw({"uid": new_uid(f"w{k}"), "type": "WITHDRAW", "amount": "1.00",
                                     "user_id": u["id"]}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(withdraw, range(300)))
    clients.close()
    assert statuses.count(200) == 150 and statuses.count(402) == 150
    evs = of_user(all_events(c), u["id"])
    funds = [e for e in evs if e["type"] in FUNDS]
    assert [e["type"] for e in funds] == ["balance.funds_available", "balance.funds_depleted"]
    assert funds[1]["balance"] == "1.00"  # the withdrawal that took it to the line, whichever one it was
    applied = [e for e in evs if e["type"] == "transaction.applied"]
    assert len(applied) == 151
    # balances along the feed step down by exactly the amount, in seq order: the user's order
    assert [e["balance"] for e in applied[1:]] == [f"{150 - k}.00" for k in range(1, 151)]


def test_filters_and_last(client):
    a, b = create(client, "gus"), create(client, "hal")
    client.deposit(a["id"], "1.00")
    client.deposit(b["id"], "1.00")
    newest = all_events(client)[-1]["seq"]
    page = events(client, f"user_id={b['id']}")
    assert {e["user_id"] for e in page["events"]} == {b["id"]} and len(page["events"]) == 3
    assert page["last"] == newest  # past the events the filter left out
    page = events(client, "types=balance.funds_available")
    assert [e["user_id"] for e in page["events"]] == [a["id"], b["id"]]
    page = events(client, "types=user.created%2Cbalance.funds_available&limit=1")
    assert len(page["events"]) == 1 and page["last"] == page["events"][0]["seq"]
    assert events(client, f"after={newest}") == {"events": [], "last": newest}


def test_long_poll_wakes_on_a_write_and_times_out_empty(server):
    c = server.client()
    u = create(c, "ivy")
    newest = all_events(c)[-1]["seq"]
    assert events(c, f"after={newest}&wait=1") == {"events": [], "last": newest}
    got = {}

    def poll():
        got["page"] = server.client().get(f"/v1/events?after={newest}&wait=30&types=balance.funds_available",
                                          timeout=40).json()

    t = threading.Thread(target=poll)
    t.start()
    c.deposit(u["id"], "2.00")
    t.join(45)
    assert not t.is_alive()
    assert [e["type"] for e in got["page"]["events"]] == ["balance.funds_available"]
    assert got["page"]["last"] == newest + 2


def test_many_parked_readers_never_block_writes(server):
    c = server.client()
    u = create(c, "jim")
    newest = all_events(c)[-1]["seq"]
    pages = []

    def poll():
        pages.append(server.client().get(f"/v1/events?after={newest}&wait=30", timeout=40).json())

    threads = [threading.Thread(target=poll) for _ in range(40)]
    for t in threads:
        t.start()
    c.deposit(u["id"], "1.00")  # answered although 40 readers wait (with 2 HTTP threads)
    for t in threads:
        t.join(45)
    assert len(pages) == 40 and all(p["events"][0]["seq"] == newest + 1 for p in pages)


@pytest.mark.parametrize("query,code", [
    ("after=-1", "invalid_cursor"), ("after=x", "invalid_cursor"), ("after=99999999999999999999999", "invalid_cursor"),
    ("limit=0", "invalid_limit"), ("limit=10001", "invalid_limit"), ("limit=a", "invalid_limit"),
    ("wait=31", "invalid_wait"), ("wait=-1", "invalid_wait"), ("wait=1.5", "invalid_wait"),
    ("types=", "invalid_types"), ("types=user.created,nope", "invalid_types"),
    ("user_id=0", "invalid_user_id"), ("user_id=abc", "invalid_user_id"),
    ("after=1000000", "cursor_ahead"),
])
def test_bad_feed_queries_are_422(client, query, code):
    assert_error(client.get("/v1/events?" + query), 422, code)
    assert_error(client.get("/v1/events/stream?" + query), 422, code) if code not in (
        "invalid_limit", "invalid_wait") else None


def test_a_cursor_older_than_retention_is_410_with_the_oldest(make_server):
    srv = make_server(extra_args=["--feed-retention-events", "5"])
    c = srv.client()
    u = create(c, "kim")
    for _ in range(6):
        c.deposit(u["id"], "1.00")  # 1 + 6 + 1 (funds_available) = 8 events
    r = c.get("/v1/events?after=2")
    body = assert_error(r, 410, "cursor_expired")
    assert body["error"]["oldest"] == 4
    assert [e["seq"] for e in events(c, "after=3")["events"]] == [4, 5, 6, 7, 8]
    assert_error(c.get("/v1/events/stream?after=1"), 410, "cursor_expired")


def test_the_feed_is_identical_after_kill_9(server):
    c = server.client()
    users = [create(c, f"u{k}", "2.00") for k in range(3)]
    acked = []
    for k in range(60):
        r = c.tx_raw({"uid": new_uid("k"), "type": "DEPOSIT" if k % 3 else "WITHDRAW", "amount": "1.50",
                      "user_id": users[k % 3]["id"]})
        if r.status_code == 200:
            acked.append(r.json()["uid"])
    patch(c, users[0]["id"], {"low_balance_threshold": "0.50"})
    before = all_events(c)
    server.restart(hard=True)
    c = server.client()
    after = all_events(c)
    assert after[:len(before)] == before
    assert {e["transaction"]["uid"] for e in after if e["type"] == "transaction.applied"} >= set(acked)
    # and new events continue the numbering
    c.deposit(users[1]["id"], "1.00")
    assert all_events(c, before[-1]["seq"])[0]["seq"] == before[-1]["seq"] + 1
    server.restart()  # a graceful stop takes a final snapshot: the feed is rebuilt from it the same way
    assert all_events(server.client())[:len(before)] == before


def sse_lines(resp):
    """One line iterator per stream (it buffers), reading byte by byte so that nothing waits for a full chunk."""
    return resp.iter_lines(chunk_size=1, decode_unicode=True)


def read_sse(lines, count: int) -> list[dict]:
    """(id, event, data) of the next `count` events of a text/event-stream answer; comments and retry skipped."""
    out, current = [], {}
    for raw in lines:
        if raw == "":
            if "data" in current:
                out.append(current)
                if len(out) == count:
                    return out
            current = {}
        elif raw.startswith(":") or raw.startswith("retry:"):
            continue
        else:
            key, _, value = raw.partition(": ")
            current[key] = value
    return out


def test_server_sent_events_stream_and_resume(server):
    c = server.client()
    u = create(c, "lou")
    c.deposit(u["id"], "3.00")
    page = events(c)
    with c.get("/v1/events/stream", stream=True, timeout=30) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/event-stream"
        lines = sse_lines(r)
        first = read_sse(lines, 3)
        assert [int(f["id"]) for f in first] == [1, 2, 3]
        assert [f["event"] for f in first] == [e["type"] for e in page["events"][:3]]
        # the data line is the event's JSON exactly as /v1/events shows it
        assert [f["data"] for f in first] == [json.dumps(e, separators=(",", ":"), ensure_ascii=False)
                                               for e in page["events"][:3]]
        c.withdraw(u["id"], "3.00")  # arrives on the open stream
        live = read_sse(lines, 2)
        assert [f["event"] for f in live] == ["transaction.applied", "balance.funds_depleted"]
    with c.get("/v1/events/stream", stream=True, timeout=30, headers={"Last-Event-ID": "3"}) as r:
        assert [int(f["id"]) for f in read_sse(sse_lines(r), 2)] == [4, 5]
    with c.get(f"/v1/events/stream?after=3&types=balance.funds_depleted&user_id={u['id']}", stream=True,
               timeout=30) as r:
        assert [f["event"] for f in read_sse(sse_lines(r), 1)] == ["balance.funds_depleted"]


def test_ad_engine_example(server, tmp_path):
    c = server.client()
    rich, poor, late = create(c, "rich"), create(c, "poor", "10.00"), create(c, "late")
    c.deposit(rich["id"], "50.00")
    c.deposit(poor["id"], "5.00")  # below its threshold: no ads
    state = tmp_path / "ads.json"

    def run_example():
        out = subprocess.run([sys.executable, str(EXAMPLE), "--url", server.base_url, "--state", str(state),
                              "--once"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert run_example()["showing"] == [rich["id"]]
    c.withdraw(rich["id"], "50.00")
    c.deposit(late["id"], "1.00")
    assert patch(c, poor["id"], {"low_balance_threshold": "4.99"}).status_code == 200
    assert run_example()["showing"] == [poor["id"], late["id"]]  # resumed from its stored cursor


def test_a_stopping_server_answers_parked_readers_and_ends_streams(server):
    c = server.client()
    create(c, "max")
    newest = all_events(c)[-1]["seq"]
    got = {}
    # The long-poll is sent (in full) before the stream is asked for, and the stream's head arrives before the stop.
    poll = RawConnection(server.port, timeout=40)
    poll.send(f"GET /v1/events?after={newest}&wait=30 HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    def follow():
        with server.client().get(f"/v1/events/stream?after={newest}", stream=True, timeout=40) as r:
            got["stream_status"] = r.status_code
            got["stream_rest"] = b"".join(r.iter_content(chunk_size=1))  # until the server ends it

    follower = threading.Thread(target=follow)
    follower.start()
    deadline = time.monotonic() + 30
    while "stream_status" not in got and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.stop() == 0  # graceful: the waiting reader and the stream do not hold it up
    answer = poll.read_response()
    follower.join(45)
    assert not follower.is_alive()
    assert answer.status == 200 and answer.json() == {"events": [], "last": newest}
    assert got["stream_status"] == 200 and got["stream_rest"].startswith(b"retry: 1000")
