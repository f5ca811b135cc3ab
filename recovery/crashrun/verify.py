"""The verification after each restart: everything tallyd says, checked against the acknowledged-writes record.

In order: resolve every transaction of unknown outcome (present with its exact content, or absent); re-read the
acknowledged and refused ones that changed since the last check plus a sample (all of them on a full check); the
edge-case probes are absent; the counts tallyd logged on recovery equal the record's; recomputed balances are never
negative nor above the ceiling at any timestamp; every user's balance, now and at dates, equals the recomputation;
identical retries of acknowledged uids answer the original record and change no balance.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import quote

from .money_time import (BALANCE_MAX, UTC_MIN, cents_text, from_micros, parse_client_ts, parse_server_ts, signed,
                         text_cents)
from .record import ABSENT, HAS_RECORD, MUST_BE_ABSENT, NEW, PRESENT, UNKNOWN, Tx, User, record_problems
from .wire import new_session, send

# dates at which every user's balance is checked (plus "now", no date, and one per-user boundary date)
CHECK_DATES = ["0001-01-01T00:00:00", "0001-01-01T12:00:00+05:30", "1969-12-31T23:59:59.999999",
               "2022-12-31T23:59:59", "2023-02-01T00:00:00", "2023-04-15T12:30:00-14:00", "2023-07-01T00:00:00",
               "2023-09-30T23:59:59.999999", "2023-12-31T23:59:59+14:00", "9999-12-31T23:59:59.999999"]

# per user id: (timestamp micros, signed cents, uid) of the transactions present, in timestamp order
PerUser = dict[int, list[tuple[int, int, str]]]


def expected_at(per_user: PerUser, uid: int, at: int | None) -> int:
    """The recomputed balance of user uid at instant at (inclusive), or of all its transactions if at is None."""
    return sum(a for ts, a, _ in per_user[uid] if at is None or ts <= at)


class Verifier:
    """One runner's checks; uses the runner's read helpers (get, parallel), its rng, args and server."""

    def __init__(self, runner):
        self.r = runner
        self.st = runner.state

    def verify(self, cycle: int, full: bool) -> dict:
        st = self.st
        out = dict(resolved_present=0, resolved_absent=0, tx_checked=0, users=0)
        # 1. resolve every unknown transaction; check the acknowledged/refused ones that changed + a sample
        unknown, check = self.select(full)
        self.resolve_unknown(unknown, out)
        self.check_known(check)
        out["tx_checked"] = len(unknown) + len(check)
        self.check_probes()
        # 2. the model: per user, the transactions present
        per_user, present_count, users = self.model()
        self.check_recovered_counts(present_count, len(users))
        self.check_never_negative(users, per_user)
        # 3. balances of every user, now and at dates
        n_dates = self.check_balances(users, per_user)
        out["users"] = len(users)
        with st.lock:
            st.c["balance_checks"] += len(users) * (n_dates + 4)
            st.c["tx_checked"] += out["tx_checked"]
            st.c["resolved_present"] += out["resolved_present"]
            st.c["resolved_absent"] += out["resolved_absent"]
        # 4. identical retries of acknowledged uids: 200 with the original record, balances unchanged
        self.check_retries(per_user)
        with st.lock:
            for u in users:
                u.dirty = False
                u.est = expected_at(per_user, u.id, None)
        return out

    # -- 1. transactions ------------------------------------------------------------------------------------
    def select(self, full: bool) -> tuple[list[Tx], list[Tx]]:
        """The transactions of unknown outcome, and the known ones to re-read this time."""
        st = self.st
        with st.lock:
            unknown = [t for t in st.txs.values() if t.status == UNKNOWN]
            known = [t for t in st.txs.values() if t.status in HAS_RECORD + MUST_BE_ABSENT]
            new = [t for t in st.txs.values() if t.status == NEW]
        for t in new:  # sent, never answered, never failed: cannot happen once the workers are joined
            st.violation(f"runner: transaction left in state new: {st.describe(t)}")
        if full:
            return unknown, known
        dirty = [t for t in known if t.dirty]
        clean = [t for t in known if not t.dirty]
        return unknown, dirty + self.r.rng.sample(clean, min(len(clean), self.r.args.verify_sample))

    def read_tx(self, t: Tx):
        status, js = self.r.get("/v1/transaction/" + quote(t.uid, safe=""))
        return t, status, js

    def resolve_unknown(self, unknown: list[Tx], out: dict):
        st = self.st
        for t, status, js in self.r.parallel(self.read_tx, unknown):
            if status == 200:
                probs = record_problems(js, t.body, t.ts_sent)
                if probs:
                    st.violation(f"unknown-outcome transaction is present with different content: "
                                 f"{'; '.join(probs)}; found {js}; {st.describe(t)}")
                t.status, t.record, t.ack_mono = PRESENT, js, time.monotonic()
                st.note(t, "after restart: present")
                out["resolved_present"] += 1
                u = st.users.get(t.body["user_id"])
                if u:
                    u.est += signed(t.body)
            elif status == 404:
                t.status = ABSENT
                st.note(t, "after restart: absent")
                out["resolved_absent"] += 1
            else:
                st.violation(f"GET /v1/transaction/{t.uid} answered {status} {js}; {st.describe(t)}")
            t.dirty = False

    def check_known(self, check: list[Tx]):
        st = self.st
        for t, status, js in self.r.parallel(self.read_tx, check):
            if t.status in HAS_RECORD:
                if status == 404:
                    st.violation(f"LOST: {t.status} transaction not found after restart; {st.describe(t)}")
                elif status != 200 or js != t.record:
                    st.violation(f"{t.status} transaction changed after restart: GET answered {status} {js}, "
                                 f"acknowledged {t.record}; {st.describe(t)}")
            else:
                if status == 200:
                    st.violation(f"refused transaction (402, never acknowledged) is present after restart: "
                                 f"{js}; {st.describe(t)}")
                    t.status, t.record = PRESENT, js  # count it from now on (its balance effect is real)
                elif status != 404:
                    st.violation(f"GET /v1/transaction/{t.uid} answered {status} {js}; {st.describe(t)}")
            t.dirty = False

    def check_probes(self):
        st = self.st
        with st.lock:
            probes = list(st.probes)

        def probe(p):
            return p, self.r.get("/v1/transaction/" + quote(p[0], safe=""))

        for (uid, what), (status, js) in self.r.parallel(probe, probes):
            if status != 404:
                st.violation(f"a request that must be refused is stored: {what}; GET answered {status} {js}")

    # -- 2. the model ---------------------------------------------------------------------------------------
    def model(self) -> tuple[PerUser, int, list[User]]:
        """Per user, the transactions present (sorted), how many are present in all, and the users."""
        st = self.st
        with st.lock:
            per_user: PerUser = {uid: [] for uid in st.users}
            present_count = 0
            for t in st.txs.values():
                if t.status in HAS_RECORD:
                    present_count += 1
                    ts = parse_server_ts(t.record["timestamp"])
                    if t.body["user_id"] in per_user and ts is not None:
                        per_user[t.body["user_id"]].append((ts, signed(t.body), t.uid))
            users = list(st.users.values())
        for lst in per_user.values():
            lst.sort()
        return per_user, present_count, users

    def check_recovered_counts(self, present_count: int, n_acked_users: int):
        """The count tallyd logs on recovery must equal what we know is present."""
        st = self.st
        m = re.search(r"recovered (\d+) users, (\d+) transactions", self.r.server.log_text())
        if self.r.fresh and not m:
            st.violation(f"tallyd logged no 'recovered N users, M transactions' line on this start, so the "
                         f"recovered counts cannot be checked; log tail:\n{self.r.server.log_tail()}")
        if m and self.r.fresh:
            n_users, n_tx = int(m.group(1)), int(m.group(2))
            if n_tx != present_count:
                st.violation(f"tallyd recovered {n_tx} transactions but exactly {present_count} are known to be "
                             f"present (acknowledged + unknown-found-present)")
            if n_users < n_acked_users:
                st.violation(f"tallyd recovered {n_users} users but {n_acked_users} were acknowledged")

    def check_never_negative(self, users: list[User], per_user: PerUser):
        """Never negative at any moment: the balance after all transactions at each timestamp."""
        st = self.st
        for u in users:
            bal = 0
            lst = per_user[u.id]
            for i, (ts, amt, uid) in enumerate(lst):
                bal += amt
                if (bal < 0 or bal > BALANCE_MAX) and (i + 1 == len(lst) or lst[i + 1][0] != ts):
                    what = (f"NEGATIVE: user {u.id} balance {cents_text(-bal)} below zero" if bal < 0 else
                            f"ABOVE THE CEILING: user {u.id} balance {cents_text(bal)} above {cents_text(BALANCE_MAX)}")
                    st.violation(f"{what} at {from_micros(ts).isoformat()} (after {uid}); "
                                 f"{st.describe(st.txs[uid])}; history of the user: "
                                 f"{[(from_micros(a).isoformat(), b, c) for a, b, c in lst[max(0, i - 15):i + 1]]}")
                    break

    # -- 3. balances ----------------------------------------------------------------------------------------
    def check_balances(self, users: list[User], per_user: PerUser) -> int:
        """Every user's balance now and at the check dates; returns how many common dates were read per user."""
        now_iso = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat()
        dates = [(d, parse_client_ts(d)) for d in CHECK_DATES] + [(now_iso, parse_client_ts(now_iso))]
        for probs in self.r.parallel(lambda u: self.user_problems(u, per_user, dates), users):
            for p in probs:
                self.st.violation(p)
        return len(dates)

    def user_problems(self, u: User, per_user: PerUser, dates: list[tuple[str, int]]) -> list[str]:
        problems = []
        status, js = self.r.get(f"/v1/user/{u.id}")
        want = expected_at(per_user, u.id, None)
        if status != 200 or not isinstance(js, dict):
            problems.append(f"GET /v1/user/{u.id} answered {status} {js}")
        else:
            if js.get("name") != u.name or js.get("id") != u.id:
                problems.append(f"user {u.id} should be named {u.name!r}, GET answered {js}")
            if text_cents(js.get("balance")) != want:
                problems.append(f"user {u.id} balance {js.get('balance')} != recomputed {cents_text(want)} "
                                f"({len(per_user[u.id])} transactions present)")
        lst = per_user[u.id]
        user_dates = list(dates)
        if lst:  # exactly at a transaction's timestamp (inclusive), and one microsecond before it
            ts = lst[self.r.rng.randrange(len(lst))][0]
            user_dates.append((from_micros(ts).replace(tzinfo=None).isoformat(), ts))
            if ts > UTC_MIN:  # not before 0001-01-01T00:00:00Z, which no date can name
                user_dates.append((from_micros(ts - 1).replace(tzinfo=None).isoformat(), ts - 1))
        for text, at in user_dates:
            status, js = self.r.get(f"/v1/user/{u.id}/balance", params={"date": text})
            want = expected_at(per_user, u.id, at)
            if status != 200 or not isinstance(js, dict) or js.get("user_id") != u.id:
                problems.append(f"GET /v1/user/{u.id}/balance?date={text} answered {status} {js}")
            elif text_cents(js.get("balance")) != want:
                near = [(from_micros(a).isoformat(), b, c) for a, b, c in lst if abs(a - at) < 86400_000_000]
                problems.append(f"user {u.id} balance at {text} is {js.get('balance')}, recomputed "
                                f"{cents_text(want) if want >= 0 else '-' + cents_text(-want)}; "
                                f"transactions within a day of it: {near}")
        status, js = self.r.get(f"/v1/user/{u.id}/balance")
        now_want = expected_at(per_user, u.id, None)
        if status != 200 or not isinstance(js, dict) or text_cents(js.get("balance")) != now_want:
            problems.append(f"GET /v1/user/{u.id}/balance answered {status} {js}, recomputed "
                            f"{cents_text(now_want)}")
        return problems

    # -- 4. identical retries -------------------------------------------------------------------------------
    def check_retries(self, per_user: PerUser):
        st = self.st
        with st.lock:
            acked = [t for t in st.txs.values() if t.status in HAS_RECORD]
        sample = self.r.rng.sample(acked, min(len(acked), self.r.args.verify_retries))
        session = new_session()
        try:
            for t in sample:
                status, js, err = send(session, "PUT", self.r.server.base + "/v1/transaction", t.body)
                st.c["requests"] += 1
                st.c["verify_retries"] += 1
                st.note(t, f"verify retry: {status}")
                if status != 200 or js != t.record:
                    st.violation(f"identical retry after restart of {t.status} uid {t.uid} answered {status} "
                                 f"{js or err}, expected 200 {t.record}; {st.describe(t)}")
            for uid in sorted({t.body["user_id"] for t in sample}):
                status, js = self.r.get(f"/v1/user/{uid}/balance")
                want = expected_at(per_user, uid, None)
                if status != 200 or text_cents((js or {}).get("balance")) != want:
                    st.violation(f"after identical retries, user {uid} balance is {status} {js}, expected "
                                 f"{cents_text(want)}")
        finally:
            session.close()
