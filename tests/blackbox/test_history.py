"""GET /v1/user/{id}/transactions against the real binary: the listing (timestamp, then arrival order; the
balance after each transaction; pages joined by next_cursor; from/to inclusive) must equal a model built only from
what the server acknowledged — with random backdated deposits and withdrawals, colliding timestamps, server-clock
timestamps, batches and refused (402) withdrawals — and stay equal after a kill -9 and restart (recovery rebuilds
it) and for users whose actor went idle and was respawned. Bad parameters are a JSON 4xx.

Random, not derandomised: the seed is printed, and TALLY_PROP_SEED=<n> replays it (TALLY_PROP_EXAMPLES=<n> runs
more examples).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tallylib import assert_error, cents_text, micros, new_uid, parse_norm_iso, text_cents

BASE = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
HOUR = 3_600_000_000
SEED = int(os.environ.get("TALLY_PROP_SEED") or random.SystemRandom().randrange(1 << 32))
EXAMPLES = int(os.environ.get("TALLY_PROP_EXAMPLES") or 20)
LIMIT_MAX = 1000  # ledger/limits.hpp: history_page_transactions_max


def iso_z(us: int) -> str:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


class UserModel:
    """What the server acknowledged for one user, in arrival order."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.acked: list[dict] = []  # the server's records, in the order they were acknowledged

    def ack(self, record: dict):
        assert record["user_id"] == self.user_id, record
        self.acked.append(record)

    def listing(self, from_us: int | None = None, to_us: int | None = None) -> list[dict]:
        """Sorted by timestamp, arrival breaking ties (a stable sort), each with the running balance."""
        ordered = sorted(enumerate(self.acked), key=lambda p: (micros(parse_norm_iso(p[1]["timestamp"])), p[0]))
        out, balance = [], 0
        for _, rec in ordered:
            cents = text_cents(rec["amount"])
            balance += cents if rec["type"] == "DEPOSIT" else -cents
            at = micros(parse_norm_iso(rec["timestamp"]))
            if (from_us is None or at >= from_us) and (to_us is None or at <= to_us):
                out.append(dict(rec, balance=cents_text(balance)))
        return out


def list_all(client, user_id: int, limit: int | None = None, **params) -> tuple[list[dict], int]:
    """Every page, cursor after cursor: (the transactions joined, the number of pages)."""
    got, pages, cursor = [], 0, None
    while True:
        query = dict(params)
        if limit is not None:
            query["limit"] = limit
        if cursor is not None:
            query["cursor"] = cursor
        r = client.get(f"/v1/user/{user_id}/transactions", params=query)
        assert r.status_code == 200, r.text[:2000]
        body = r.json()
        assert set(body) == {"transactions", "next_cursor"}, body
        got.extend(body["transactions"])
        pages += 1
        assert len(body["transactions"]) <= (limit or 100), body
        cursor = body["next_cursor"]
        if cursor is None:
            return got, pages
        assert len(body["transactions"]) == (limit or 100), "only a full page has a next one"
        assert pages <= 10_000, "paging does not end"


def assert_listing(client, model: UserModel, limit: int | None = None, from_us=None, to_us=None):
    params = {}
    if from_us is not None:
        params["from"] = iso_z(from_us)
    if to_us is not None:
        params["to"] = iso_z(to_us)
    got, pages = list_all(client, model.user_id, limit, **params)
    want = model.listing(from_us, to_us)
    assert got == want, (f"listing of user {model.user_id} (limit {limit}, {params}) differs from the model:\n"
                         f"server {got}\nmodel  {want}")
    per_page = limit or 100
    assert pages == max(1, -(-len(want) // per_page)), f"{pages} pages for {len(want)} at {per_page}"


@st.composite
def timestamps(draw):
    """None (the server clock), or one of few instants (collisions), sometimes a microsecond off."""
    if draw(st.integers(0, 5)) == 0:
        return None
    us = micros(BASE) + draw(st.integers(0, 6)) * HOUR
    if draw(st.integers(0, 3)) == 0:
        us += draw(st.sampled_from([1, 999_999]))
    return us


def apply_random(client, data, model: UserModel, n_ops: int):
    for _ in range(n_ops):
        op = data.draw(st.sampled_from(["DEPOSIT", "DEPOSIT", "WITHDRAW", "WITHDRAW", "BATCH"]), label="op")
        if op == "BATCH":  # items of one user apply in batch order: a deposit then its withdrawal both succeed
            items = []
            for _ in range(data.draw(st.integers(1, 6), label="batch size")):
                at = data.draw(timestamps(), label="batch at")
                item = {"uid": new_uid("hb"), "type": data.draw(st.sampled_from(["DEPOSIT", "WITHDRAW"])),
                        "amount": cents_text(data.draw(st.integers(1, 3000))), "user_id": model.user_id}
                if at is not None:
                    item["timestamp"] = iso_z(at)
                items.append(item)
            r = client.send_json("PUT", "/v1/transactions", items)
            assert r.status_code == 200, r.text[:2000]
            for res in r.json():
                assert res["status"] in (200, 402), res
                if res["status"] == 200:
                    model.ack(res["transaction"])
            continue
        at = data.draw(timestamps(), label="at")
        cents = data.draw(st.integers(1, 5000), label="cents")
        r = client.tx(model.user_id, op, cents_text(cents), uid=new_uid("h"),
                      timestamp=None if at is None else iso_z(at))
        assert r.status_code in (200, 402), r.text
        if r.status_code == 200:
            model.ack(r.json())
        else:
            assert op == "WITHDRAW", r.text
            assert_error(r, 402, "insufficient_funds")


def test_random_histories_list_as_the_model_also_after_restart(server):
    client = server.client()
    print(f"property seed {SEED} ({EXAMPLES} examples); replay with TALLY_PROP_SEED={SEED}")
    models: list[UserModel] = []

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=st.data(), n_ops=st.integers(5, 40))
    def run(data, n_ops):
        model = UserModel(client.create_user("history")["id"])
        models.append(model)
        apply_random(client, data, model, n_ops)
        assert any(m["type"] == "DEPOSIT" for m in model.acked) or not model.acked
        assert_listing(client, model, limit=data.draw(st.sampled_from([None, 1, 2, 3, 7, LIMIT_MAX]), label="limit"))
        # A window: from/to inclusive, picked among the instants used (and just beside them).
        instants = sorted({micros(parse_norm_iso(r["timestamp"])) for r in model.acked}) or [micros(BASE)]
        lo = data.draw(st.sampled_from(instants), label="from") + data.draw(st.sampled_from([-1, 0, 0, 1]))
        hi = data.draw(st.sampled_from(instants), label="to") + data.draw(st.sampled_from([-1, 0, 0, 1]))
        if lo <= hi:
            assert_listing(client, model, limit=data.draw(st.integers(1, 4), label="window limit"),
                           from_us=lo, to_us=hi)
        # The last balance listed is the balance now.
        listing = model.listing()
        now = listing[-1]["balance"] if listing else "0.00"
        assert client.balance(model.user_id) == now

    run()
    assert models
    server.restart(hard=True)  # recovery rebuilds every listing from the log, in the same order
    client = server.client()
    for model in models:
        assert_listing(client, model, limit=random.Random(SEED + model.user_id).choice([1, 5, 100]))


def test_ties_are_listed_in_arrival_order_with_the_balance_after_each(client):
    u = client.create_user("ties")["id"]
    t = "2023-03-01T12:00:00Z"
    first = client.deposit(u, "10.00", timestamp=t)
    second = client.withdraw(u, "4.00", timestamp=t)
    later = client.deposit(u, "1.00", timestamp="2023-03-02T00:00:00Z")
    backdated = client.deposit(u, "0.50", timestamp="2023-02-01T00:00:00Z")  # arrives last, listed first
    third = client.deposit(u, "2.00", timestamp=t)  # arrives after the others stamped t: listed after them
    r = client.get(f"/v1/user/{u}/transactions")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["uid"] for x in body["transactions"]] == [backdated["uid"], first["uid"], second["uid"],
                                                         third["uid"], later["uid"]]
    assert [x["balance"] for x in body["transactions"]] == ["0.50", "10.50", "6.50", "8.50", "9.50"]
    assert body["next_cursor"] is None
    assert body["transactions"][1] == dict(client.get_tx(first["uid"]).json(), balance="10.50")
    # from/to take any form ?date= takes, inclusive at both ends: a date alone is midnight UTC.
    r = client.get(f"/v1/user/{u}/transactions", params={"from": "2023-03-01T14:00:00+02:00", "to": "2023-03-02"})
    assert [x["uid"] for x in r.json()["transactions"]] == [first["uid"], second["uid"], third["uid"], later["uid"]]
    r = client.get(f"/v1/user/{u}/transactions", params={"to": "2023-03-01T11:59:59.999999Z"})
    assert [x["uid"] for x in r.json()["transactions"]] == [backdated["uid"]]


def test_a_cursor_continues_where_it_stopped_while_transactions_arrive(client):
    u = client.create_user("cursor")["id"]
    t = "2023-05-01T00:00:00Z"
    a = client.deposit(u, "5.00", timestamp=t)
    b = client.deposit(u, "5.00", timestamp=t)
    c = client.deposit(u, "5.00", timestamp=t)
    page = client.get(f"/v1/user/{u}/transactions", params={"limit": 2}).json()
    assert [x["uid"] for x in page["transactions"]] == [a["uid"], b["uid"]]
    # Meanwhile: one more at t (goes after c), one backdated (before the cursor: counts in the balances only).
    d = client.deposit(u, "1.00", timestamp=t)
    client.deposit(u, "100.00", timestamp="2023-01-01T00:00:00Z")
    r = client.get(f"/v1/user/{u}/transactions", params={"limit": 2, "cursor": page["next_cursor"]})
    assert r.status_code == 200, r.text
    rest = r.json()
    assert [x["uid"] for x in rest["transactions"]] == [c["uid"], d["uid"]]
    assert [x["balance"] for x in rest["transactions"]] == ["115.00", "116.00"]
    assert rest["next_cursor"] is None


def test_idle_actors_respawn_with_their_listing(make_server):
    server = make_server(extra_args=["--actor-idle-ms", "200"])
    client = server.client()
    models = [UserModel(client.create_user(f"idle-{i}")["id"]) for i in range(5)]
    for k, model in enumerate(models):
        for j in range(12):
            model.ack(client.deposit(model.user_id, f"{j + 1}.00", timestamp=iso_z(micros(BASE) + (j % 4) * HOUR)))
        model.ack(client.withdraw(model.user_id, "1.00", timestamp=iso_z(micros(BASE) + 3 * HOUR)))
    deadline = time.monotonic() + 60
    while client.get("/healthz").json()["live_actors"] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/healthz").json()["live_actors"] == 0, "idle actors were not passivated"
    for model in models:  # each found dormant: its listing comes back from the dormant ledger
        assert_listing(client, model, limit=5)
        model.ack(client.deposit(model.user_id, "0.25", timestamp=iso_z(micros(BASE) + HOUR)))
        assert_listing(client, model, limit=4)


def test_bad_parameters_are_422_and_unknown_users_404(client):
    u = client.create_user("bad")["id"]
    other = client.create_user("other")["id"]
    for i in range(3):
        client.deposit(u, "1.00", timestamp=f"2023-01-0{i + 1}T00:00:00Z")
        client.deposit(other, "1.00", timestamp=f"2023-01-0{i + 1}T00:00:00Z")
    path = f"/v1/user/{u}/transactions"
    for limit in ["0", "1001", "abc", "-1", "1.5", "", "+5", " 5", "99999999999999999999999"]:
        assert_error(client.get(path, params={"limit": limit}), 422, "invalid_limit")
    assert client.get(path, params={"limit": "1000"}).status_code == 200
    for bad in ["yesterday", "2023-13-01", "", "2023-01-01T25:00:00Z", "0000-12-31T23:00:00Z",
                "10000-01-01T00:00:00Z"]:
        assert_error(client.get(path, params={"from": bad}), 422, "invalid_from")
        assert_error(client.get(path, params={"to": bad}), 422, "invalid_to")
    assert_error(client.get(path, params={"from": "2023-01-02", "to": "2023-01-01"}), 422, "invalid_range")
    cursor = client.get(path, params={"limit": 1}).json()["next_cursor"]
    other_cursor = client.get(f"/v1/user/{other}/transactions", params={"limit": 1}).json()["next_cursor"]
    assert cursor and other_cursor
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    garbles = [flipped, cursor[:-1], cursor + "A", cursor.swapcase(), "", "not-a-cursor", "%00", other_cursor,
               cursor[:-1] + ("B" if cursor[-1] == "A" else "A")]
    for garbled in garbles:
        assert garbled != cursor
        assert_error(client.get(path, params={"cursor": garbled}), 422, "invalid_cursor")
    assert client.get(path, params={"cursor": cursor}).status_code == 200
    for missing in ["999999", "0", "abc", "-1"]:
        assert_error(client.get(f"/v1/user/{missing}/transactions"), 404, "user_not_found")
    r = client.request("POST", path)
    assert r.status_code == 405 and r.headers.get("Allow") == "GET", r.text


def test_the_running_balance_may_dip_between_transactions_sharing_an_instant(client):
    """The never-negative rule is per instant (every transaction stamped at it counts): listed one by one in
    arrival order, the running balance inside one instant may dip below zero, but never at its last one."""
    u = client.create_user("dip")["id"]
    client.deposit(u, "10.00", timestamp="2023-01-01T00:00:00Z")
    w = client.withdraw(u, "10.00", timestamp="2023-01-03T00:00:00Z")
    d = client.deposit(u, "5.00", timestamp="2023-01-03T00:00:00Z")
    # Allowed: the balance is 5.00 on Jan 2 and 0.00 on Jan 3 (both Jan 3 transactions counted).
    client.withdraw(u, "5.00", timestamp="2023-01-02T00:00:00Z")
    body = client.get(f"/v1/user/{u}/transactions").json()
    assert [x["balance"] for x in body["transactions"]] == ["10.00", "5.00", "-5.00", "0.00"]
    assert [x["uid"] for x in body["transactions"][2:]] == [w["uid"], d["uid"]]
    assert client.balance(u, date="2023-01-03T00:00:00Z") == "0.00"
