"""Whatever the API accepts survives a restart unchanged (issue 8's year-0 bug).

Hypothesis generates transactions at the edges (years 0, 1 and 9999, zone offsets -14:00..+14:00 and the
+-23:59 the parser allows, amounts at the cap, 64-byte uids), PUT one by one and in batches to a real tallyd.
An independent model predicts the timestamp verdict. Then the server is stopped with SIGTERM (which writes the
final snapshot) and started again, twice, and every accepted transaction must read back exactly as answered.
"""
from __future__ import annotations

import datetime as dt
import itertools
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tallylib import assert_error, cents_text, from_micros

AMOUNT_MINOR_MAX = 10**15  # limits::amount_minor_max
UID_BYTES_MAX = 64
UTC_MICROS_MIN = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
UTC_MICROS_MAX = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
FUTURE_SKEW_MICROS = 5 * 60 * 1_000_000
USERS = 8
DAYS_PER_400_YEARS = 146_097
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
YEAR_ZERO = "0001-01-01T00:00:00+01:00"  # 0000-12-31T23:00:00Z: the exact reproducer of the bug

SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def days_since_epoch(year: int, month: int, day: int) -> int:
    """Python's date stops at year 1; the Gregorian calendar repeats every 400 years, so shift year 0 forward."""
    if year == 0:
        return dt.date(400, month, day).toordinal() - DAYS_PER_400_YEARS - EPOCH_ORDINAL
    return dt.date(year, month, day).toordinal() - EPOCH_ORDINAL


def month_days(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def utc_text(micros: int) -> str:
    """The server's answer form. (strftime's %Y does not pad years below 1000 on glibc, so no strftime.)"""
    t = from_micros(micros)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + (f".{t.microsecond:06d}Z" if t.microsecond else "Z")


def now_micros() -> int:
    return time.time_ns() // 1000


@st.composite
def timestamps(draw):
    """(text or None, UTC micros or None when the text has sub-microsecond digits)."""
    if draw(st.integers(0, 9)) == 0:
        return None, None
    year = draw(st.one_of(st.sampled_from([0, 1, 1, 2, 1970, 2024, 9998, 9999, 9999]), st.integers(1, 9999)))
    month = draw(st.one_of(st.sampled_from([1, 12]), st.integers(1, 12)))
    day = draw(st.one_of(st.sampled_from([1, month_days(year, month)]), st.integers(1, month_days(year, month))))
    hour = draw(st.one_of(st.sampled_from([0, 23]), st.integers(0, 23)))
    minute = draw(st.one_of(st.sampled_from([0, 59]), st.integers(0, 59)))
    second = draw(st.one_of(st.sampled_from([0, 59]), st.integers(0, 59)))
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9)))
    offset = draw(st.one_of(st.sampled_from([0, 60, -60, 14 * 60, -14 * 60, 1, -1, 23 * 60 + 59, -(23 * 60 + 59)]),
                            st.integers(-14 * 60, 14 * 60)))
    style = draw(st.sampled_from(["colon", "compact", "hours", "Z", "none"]))
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if fraction:
        text += "." + fraction
    if style in ("Z", "none") or (style == "hours" and offset % 60 != 0):
        offset = 0
    if style == "Z":
        text += "Z"
    elif style != "none":
        sign = "-" if offset < 0 else "+"
        hh, mm = divmod(abs(offset), 60)
        text += {"colon": f"{sign}{hh:02d}:{mm:02d}", "compact": f"{sign}{hh:02d}{mm:02d}",
                 "hours": f"{sign}{hh:02d}"}[style]
    if fraction[6:].strip("0"):
        return text, None
    local = days_since_epoch(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return text, (local - offset * 60) * 1_000_000 + int((fraction + "000000")[:6])


@st.composite
def amounts(draw):
    """(JSON value as sent, cents)."""
    cents = draw(st.one_of(st.sampled_from([1, AMOUNT_MINOR_MAX, AMOUNT_MINOR_MAX - 1, 100]),
                           st.integers(1, AMOUNT_MINOR_MAX)))
    text = cents_text(cents)
    if draw(st.booleans()) and cents % 100 == 0:
        text = text[:-3]
    # At most 15 significant digits, so a JSON number's shortest repr is exactly this decimal.
    return (text if draw(st.booleans()) else float(text)), cents


_uid_counter = itertools.count()


@st.composite
def transactions(draw, user_ids):
    """(request body, cents, UTC micros or None). uids are unique, most of them exactly 64 bytes."""
    length = draw(st.one_of(st.just(UID_BYTES_MAX), st.integers(1, UID_BYTES_MAX)))
    suffix = f"~{next(_uid_counter)}"
    head = draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=length, max_size=length))
    uid = (head[: max(0, length - len(suffix))] + suffix)[-UID_BYTES_MAX:]
    amount, cents = draw(amounts())
    body = {"uid": uid, "type": draw(st.sampled_from(["DEPOSIT", "DEPOSIT", "WITHDRAW"])), "amount": amount,
            "user_id": draw(st.sampled_from(user_ids))}
    text, micros = draw(timestamps())
    if text is not None:
        body["timestamp"] = text
    return body, cents, micros


class Ledger:
    """What the client saw accepted: uid -> the record answered."""

    def __init__(self):
        self.accepted: dict[str, dict] = {}
        self.checked = 0
        self.year_edges = 0

    def judge(self, body: dict, cents: int, micros: int | None, status: int, answer: dict,
              sent_at: int, answered_at: int):
        """Checks one answer (single PUT or batch item) against the model; records it if accepted."""
        self.checked += 1
        text = body.get("timestamp")
        if text is not None and (micros is None or not UTC_MICROS_MIN <= micros <= UTC_MICROS_MAX):
            assert status == 422 and answer["error"]["code"] == "invalid_timestamp", (body, status, answer)
            return
        if text is not None and micros > answered_at + FUTURE_SKEW_MICROS:
            assert status == 422 and answer["error"]["code"] == "timestamp_in_future", (body, status, answer)
            return
        if text is not None and micros > sent_at + FUTURE_SKEW_MICROS:
            return  # within the clock's move during the request: either verdict is right
        allowed = {200, 422} if body["type"] == "DEPOSIT" else {200, 402}  # balance_too_large / insufficient_funds
        assert status in allowed, (body, status, answer)
        if status != 200:
            assert answer["error"]["code"] in ("balance_too_large", "insufficient_funds"), (body, answer)
            return
        tx = answer["transaction"] if "transaction" in answer else answer
        assert tx["uid"] == body["uid"] and tx["user_id"] == body["user_id"] and tx["type"] == body["type"], tx
        assert tx["amount"] == cents_text(cents), (body, tx)
        if text is not None:
            assert tx["timestamp"] == utc_text(micros), (body, tx)
            if micros - UTC_MICROS_MIN < 86_400_000_000 or UTC_MICROS_MAX - micros < 86_400_000_000:
                self.year_edges += 1
        assert tx["timestamp"].endswith("Z") and len(tx["timestamp"]) in (20, 27), tx
        self.accepted[body["uid"]] = tx

    def expect_all_readable(self, client):
        for uid, tx in self.accepted.items():
            r = client.get_tx(uid)
            assert r.status_code == 200, (uid, r.status_code, r.text)
            assert r.json() == tx, (r.json(), tx)


def balances(client, user_ids) -> dict[int, str]:
    return {u: client.balance(u) for u in user_ids}


def test_accepted_transactions_survive_sigterm_restarts(server):
    client = server.client()
    user_ids = [client.create_user(f"edge-{k}")["id"] for k in range(USERS)]
    ledger = Ledger()

    def edge(uid, timestamp, micros, cents=AMOUNT_MINOR_MAX):
        uid = (uid + "-" * UID_BYTES_MAX)[:UID_BYTES_MAX]
        return {"uid": uid, "type": "DEPOSIT", "amount": cents_text(cents), "user_id": user_ids[0],
                "timestamp": timestamp}, cents, micros

    @SETTINGS
    @given(tx=transactions(user_ids))
    @example(tx=edge("edge-a", "0001-01-01T14:00:00+14:00", UTC_MICROS_MIN))
    @example(tx=edge("edge-b", "0000-12-31T23:30:00-01:00", UTC_MICROS_MIN + 1_800_000_000))
    @example(tx=edge("edge-c", "0001-01-01T00:00:00Z", UTC_MICROS_MIN, cents=1))
    @example(tx=edge("edge-d", YEAR_ZERO, UTC_MICROS_MIN - 3_600_000_000))
    @example(tx=edge("edge-e", "9999-12-31T23:59:59.999999+00:00", UTC_MICROS_MAX))
    def put_one(tx):
        body, cents, micros = tx
        sent_at = now_micros()
        r = client.tx_raw(body)
        ledger.judge(body, cents, micros, r.status_code, r.json(), sent_at, now_micros())

    @SETTINGS
    @given(txs=st.lists(transactions(user_ids), min_size=1, max_size=20))
    def put_batch(txs):
        sent_at = now_micros()
        r = client.send_json("PUT", "/v1/transactions", [body for body, _, _ in txs])
        answered_at = now_micros()
        assert r.status_code == 200, r.text[:2000]
        results = r.json()
        assert len(results) == len(txs)
        for (body, cents, micros), result in zip(txs, results):
            ledger.judge(body, cents, micros, result["status"], result, sent_at, answered_at)

    put_one()
    put_batch()
    # The explicit edge examples alone put three transactions on the first day of year 1.
    assert len(ledger.accepted) > 100 and ledger.year_edges >= 3, (len(ledger.accepted), ledger.year_edges)
    print(f"{ledger.checked} answers checked, {len(ledger.accepted)} accepted, {ledger.year_edges} on year 1's first day")
    before = balances(client, user_ids)
    for _ in range(2):  # the first start reads the SIGTERM snapshot and the WAL; the second, the next snapshot
        code = server.stop()
        assert code == 0, f"SIGTERM must exit 0 after the final snapshot, got {code}\n{server.output()}"
        server.start()
        client = server.client()
        ledger.expect_all_readable(client)
        assert balances(client, user_ids) == before



def test_year_zero_offset_regression(server):
    """Was 200 with timestamp 0000-12-31T23:00:00Z; the SIGTERM snapshot then failed and every later start
    refused (exit 2). Now refused everywhere, and the data directory restarts."""
    client = server.client()
    u = client.create_user()["id"]
    body = {"uid": "year-zero", "type": "DEPOSIT", "amount": 1, "user_id": u, "timestamp": YEAR_ZERO}
    assert_error(client.tx_raw(body), 422, "invalid_timestamp")
    assert_error(client.tx_raw(body, method="POST"), 422, "invalid_timestamp")
    edge = {"uid": "year-one", "type": "DEPOSIT", "amount": "2.50", "user_id": u,
            "timestamp": "0001-01-01T01:00:00+01:00"}  # the same wall time one hour later: 0001-01-01T00:00:00Z
    r = client.send_json("PUT", "/v1/transactions", [dict(body, uid="year-zero-batch"), edge])
    assert r.status_code == 200, r.text
    results = r.json()
    assert results[0]["status"] == 422 and results[0]["error"]["code"] == "invalid_timestamp", results
    assert results[1]["status"] == 200, results
    assert results[1]["transaction"]["timestamp"] == "0001-01-01T00:00:00Z"
    late = {"uid": "year-10000", "type": "DEPOSIT", "amount": 1, "user_id": u,
            "timestamp": "9999-12-31T23:59:59-01:00"}  # 10000-01-01T00:59:59Z
    assert_error(client.tx_raw(late), 422, "invalid_timestamp")
    assert_error(client.balance_raw(u, YEAR_ZERO), 422, "invalid_date")
    assert client.balance(u, "0001-01-01T01:00:00+01:00") == "2.50"

    code = server.stop()
    assert code == 0, f"SIGTERM must exit 0 after the final snapshot, got {code}\n{server.output()}"
    server.start()
    client = server.client()
    assert client.get_tx("year-one").json() == results[1]["transaction"]
    for uid in ("year-zero", "year-zero-batch", "year-10000"):
        assert_error(client.get_tx(uid), 404, "transaction_not_found")
    assert client.balance(u) == "2.50"
