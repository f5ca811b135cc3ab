"""Property: with arbitrary backdated deposits and withdrawals, every 200/402 decision and every balance at every
date matches a simple model (integer cents, integer microseconds): a WITHDRAW is accepted iff the balance stays
>= 0 at its own instant and at every later instant (and now)."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tallylib import (cents_text, from_micros, micros, new_uid, norm_iso, parse_norm_iso)

BASE = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)


class Model:
    def __init__(self):
        self.entries: list[tuple[int, int]] = []  # (micros, signed cents)

    def balance_at(self, at: int) -> int:
        return sum(d for t, d in self.entries if t <= at)

    def total(self) -> int:
        return sum(d for _, d in self.entries)

    def withdraw_ok(self, at: int, cents: int) -> bool:
        moments = {at} | {t for t, _ in self.entries if t > at}
        return all(self.balance_at(m) - cents >= 0 for m in moments) and self.total() - cents >= 0


# An op: (type, cents, hour offset from BASE or None for "no timestamp", extra micros)
op_strategy = st.tuples(
    st.sampled_from(["DEPOSIT", "WITHDRAW", "WITHDRAW"]),
    st.integers(min_value=1, max_value=5000),
    st.one_of(st.none(), st.integers(min_value=0, max_value=47)),
    st.sampled_from([0, 0, 0, 1, 500_000]),
)


def amount_text(cents: int, variant: int):
    """Sends the same amount in different spellings."""
    if variant == 0:
        return cents_text(cents)
    if variant == 1 and cents % 100 == 0:
        return cents // 100          # JSON integer
    if variant == 2:
        return cents_text(cents) + "0"  # "12.340"
    return cents_text(cents)


def test_random_backdated_histories_match_model(server):
    client = server.client()

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(ops=st.lists(op_strategy, min_size=20, max_size=40), variant=st.integers(0, 2))
    def run(ops, variant):
        user = client.create_user("prop")
        model = Model()
        accepted: list[tuple[str, str, int, int]] = []  # (uid, type, micros, cents)
        for type_, cents, hour, extra in ops:
            ts = None
            at = None
            if hour is not None:
                at_dt = BASE + dt.timedelta(hours=hour, microseconds=extra)
                at = micros(at_dt)
                ts = norm_iso(at_dt)
            uid = new_uid("p")
            r = client.tx(user["id"], type_, amount_text(cents, variant), uid=uid, timestamp=ts)
            if type_ == "DEPOSIT":
                assert r.status_code == 200, f"deposit {cents} at {ts}: {r.status_code} {r.text}"
                expect_ok = True
            else:
                check_at = at if at is not None else micros(dt.datetime.now(dt.timezone.utc))
                expect_ok = model.withdraw_ok(check_at, cents)
                assert r.status_code == (200 if expect_ok else 402), (
                    f"withdraw {cents_text(cents)} at {ts or 'now'}: model says "
                    f"{'accept' if expect_ok else 'refuse'}, server {r.status_code} {r.text}\n"
                    f"history so far: {[(norm_iso(from_micros(t)), cents_text(d)) for t, d in model.entries]}")
            if r.status_code == 200:
                rec = r.json()
                stored = micros(parse_norm_iso(rec["timestamp"]))
                if at is not None:
                    assert stored == at, rec
                assert rec["amount"] == cents_text(cents), rec
                delta = cents if type_ == "DEPOSIT" else -cents
                model.entries.append((stored, delta))
                accepted.append((uid, type_, stored, cents))
            else:
                assert r.json()["error"]["code"] == "insufficient_funds", r.text
            assert client.balance(user["id"]) == cents_text(model.total())

        # balances at every interesting instant (each entry's time, just before, just after) and far away
        instants = {micros(BASE) - 1, micros(dt.datetime(2999, 1, 1))}
        for t, _ in model.entries:
            instants |= {t - 1, t, t + 1}
        for t in sorted(instants):
            bal = model.balance_at(t)
            assert bal >= 0
            got = client.balance(user["id"], norm_iso(from_micros(t)))
            assert got == cents_text(bal), f"balance at {norm_iso(from_micros(t))}: server {got}, model {bal}"
        # every accepted transaction is readable as stored
        for uid, type_, t, cents in accepted[-5:]:
            g = client.get_tx(uid)
            assert g.status_code == 200, g.text
            assert g.json()["type"] == type_ and g.json()["amount"] == cents_text(cents)
            assert micros(parse_norm_iso(g.json()["timestamp"])) == t

    try:
        run()
    finally:
        client.session.close()
