"""The load clients: one thread each, sending new users, deposits, withdrawals (some refused), batches, identical
retries, conflicting reuses of a uid, keyed-creation replays and once a cycle the edge cases at the limits, until
the runner kills tallyd. Every answer goes into the shared record (record.py).
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from .money_time import (AMOUNT_MAX, OFFSET_MINUTES_MAX, UTC_MIN, Y2023_END, Y2023_START, cents_text,
                         format_client_ts, now_micros, text_cents)
from .record import HAS_RECORD, Tx, User, error_code, record_answer
from .wire import new_session, send

if TYPE_CHECKING:
    from .runner import Runner

# Edge cases each cycle sends once: requests that must be refused with 422 (and never stored), as
# (what, body changes, accepted error codes). A zone offset may not move an instant out of years 1..9999.
INVALID_PROBES = [
    ("an offset that moves year 1 before year 1", {"timestamp": "0001-01-01T00:00:00+01:00"}, ("invalid_timestamp",)),
    ("an offset that moves year 1 before year 1", {"timestamp": "0001-01-01T13:59:59.999999+14:00"},
     ("invalid_timestamp",)),
    ("year 9999 (beyond the 5-minute skew)", {"timestamp": "9999-12-31T23:59:59.999999Z"},
     ("timestamp_in_future", "invalid_timestamp")),
    ("an offset that moves 9999 past year 9999", {"timestamp": "9999-12-31T23:59:59-14:00"},
     ("timestamp_in_future", "invalid_timestamp")),
    ("an amount one cent over the cap", {"amount": "10000000000000.01"}, ("invalid_amount",)),
]


class Worker(threading.Thread):
    """One client thread: steps until told to stop or its deadline (a bound only: the kill comes first)."""

    def __init__(self, runner: "Runner", tid: int, stop: threading.Event, deadline: float):
        super().__init__(daemon=True, name=f"client-{tid}")
        self.r = runner
        self.st = runner.state
        self.tid = tid
        self.stop = stop
        self.deadline = deadline
        self.rng = random.Random(runner.rng.random())
        self.session = new_session()
        self.base = runner.server.base
        self.recent: deque[str] = deque(maxlen=40)
        self.recent_ts: deque[int] = deque(maxlen=40)  # instants sent lately: reused to make them collide
        self.edges_due = tid == 0  # client 0 sends the cycle's edge cases first
        self.k = 0
        self.error: str | None = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set() and time.monotonic() < self.deadline and n < 1_000_000:
                n += 1
                self.step()
        except Exception as e:  # a runner bug: report it, never hang
            import traceback
            self.error = f"{e!r}\n{traceback.format_exc()}"
        finally:
            self.session.close()

    # -- choosing -------------------------------------------------------------------------------------------
    def step(self):
        st = self.st
        if self.edges_due:
            with st.lock:
                have_users = bool(st.user_ids)
            if have_users:
                self.edges_due = False
                return self.edges()
        with st.lock:
            n_users = len(st.user_ids)
            pending = st.pending_keys.pop() if st.pending_keys and self.rng.random() < 0.5 else None
        if pending:
            return self.create_user(*pending, replay=True)
        # users up to --max-users early on, then a trickle (so that creations are cut by kills too)
        want_users = max(0.005, 0.15 * (1 - n_users / self.r.args.max_users)) if n_users >= 3 else 1.0
        if self.rng.random() < want_users:
            return self.create_user()
        if self.rng.random() < 0.06:
            return self.batch()
        x = self.rng.random()
        if x < 0.36:
            return self.new_tx("DEPOSIT")
        if x < 0.72:
            return self.new_tx("WITHDRAW")
        if x < 0.82 and self.recent:
            return self.retry(self.rng.choice(self.recent))
        if x < 0.90:
            with st.lock:
                uid = self.rng.choice(st.tx_uids) if st.tx_uids else None
            if uid:
                return self.retry(uid)
        if x < 0.95:
            return self.conflict()
        if x < 0.97:
            return self.replay_user()
        return self.new_tx("DEPOSIT")

    # -- users ----------------------------------------------------------------------------------------------
    def create_user(self, key: str | None = None, name: str | None = None, replay: bool = False):
        st = self.st
        self.k += 1
        if name is None:
            name = f"crash c{st.cycle} t{self.tid} n{self.k} Юзер"
            if self.rng.random() < 0.4:
                key = f"crash-{self.r.run_id}-c{st.cycle}-t{self.tid}-n{self.k}"
        status, js, err = send(self.session, "POST", self.base + "/v1/user", {"name": name},
                               {"Idempotency-Key": key} if key else None)
        with st.lock:
            st.c["requests"] += 1
        if status == "not_sent":
            if key:
                with st.lock:
                    st.pending_keys.append((key, name))
            return
        if status is None:
            with st.lock:
                st.c["users_unknown"] += 1
                if key:
                    st.pending_keys.append((key, name))
            return
        if status != 201 or not isinstance(js, dict):
            return st.violation(f"POST /v1/user name={name!r} key={key!r}: expected 201, got {status} {js}")
        if (not isinstance(js.get("id"), int) or js["id"] <= 0 or js.get("name") != name
                or (js.get("balance") != "0.00" and not replay)):
            return st.violation(f"POST /v1/user name={name!r} key={key!r}: bad answer {js}")
        with st.lock:
            u = st.users.get(js["id"])
            if u is not None:
                if not (key and u.key == key):
                    st.violation(f"POST /v1/user name={name!r} key={key!r} answered id {js['id']} which already "
                                 f"belongs to acknowledged user {u.name!r} (key {u.key!r}, cycle {u.cycle})")
                return
            st.users[js["id"]] = User(js["id"], name, key, st.cycle)
            st.user_ids.append(js["id"])
            st.c["users_acked"] += 1
            if replay:
                st.c["users_key_resolved"] += 1

    def replay_user(self):
        """Re-POST an acknowledged keyed creation: must answer the same user."""
        st = self.st
        with st.lock:
            keyed = [u for u in (st.users.get(self.rng.choice(st.user_ids)) for _ in range(5)) if u and u.key] \
                if st.user_ids else []
        if not keyed:
            return
        u = keyed[0]
        status, js, err = send(self.session, "POST", self.base + "/v1/user", {"name": u.name},
                               {"Idempotency-Key": u.key})
        with st.lock:
            st.c["requests"] += 1
            st.c["users_key_replayed"] += 1
        if status in (None, "not_sent"):
            return
        if status != 201 or not isinstance(js, dict) or js.get("id") != u.id or js.get("name") != u.name:
            st.violation(f"replay of keyed creation key={u.key!r} name={u.name!r} (acknowledged as id {u.id} in "
                         f"cycle {u.cycle}) answered {status} {js}")

    # -- transactions ---------------------------------------------------------------------------------------
    def pick_user(self) -> User | None:
        with self.st.lock:
            if not self.st.user_ids:
                return None
            # a few hot users get most of the traffic: concurrent writers on one user
            ids = self.st.user_ids
            if self.rng.random() < 0.3:
                return self.st.users[ids[self.rng.randrange(min(len(ids), 4))]]
            return self.st.users[self.rng.choice(ids)]

    def pick_timestamp(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.4:
            return None  # server clock
        y = rng.random()
        if y < 0.12 and self.recent_ts:
            us = rng.choice(self.recent_ts)  # the very instant of an earlier transaction (maybe another offset)
        else:
            if y < 0.65:
                us = rng.randrange(Y2023_START, Y2023_END)
            elif y < 0.82:
                us = rng.randrange(UTC_MIN, now_micros() - 600_000_000)  # any year from 1 to now
            elif y < 0.90:
                us = UTC_MIN + rng.randrange(0, 2 * 86_400_000_000)  # the first two days of year 1
            else:
                us = now_micros() - rng.randrange(60_000_000, 3 * 86_400_000_000)  # the last days
            if rng.random() < 0.6:
                us -= us % 1_000_000  # whole seconds mostly
        self.recent_ts.append(us)
        offset = rng.choice((rng.randrange(-OFFSET_MINUTES_MAX, OFFSET_MINUTES_MAX + 1),
                             rng.randrange(-56, 57) * 15, rng.choice((-OFFSET_MINUTES_MAX, OFFSET_MINUTES_MAX))))
        return format_client_ts(us, rng.choice((0, 0, 1, 2, 2)), offset)

    # -- edge cases, once a cycle ---------------------------------------------------------------------------
    def edges(self):
        """Requests at the limits: ones that must be refused with 422 (and never stored), deposits at the amount
        cap at the first instant of year 1 (also through an offset), and a batch of deposits at the cap for the
        first user, which drives its balance to the ceiling (10^15.00) over a few cycles: refused with 422
        balance_too_large from then on."""
        st = self.st
        u = self.pick_user()
        for i, (what, change, codes) in enumerate(INVALID_PROBES):
            if any(text in what for text in self.r.args.skip_probe):
                continue
            uid = f"{self.r.run_id}-probe-c{st.cycle}-{i}"
            body = {"uid": uid, "type": "DEPOSIT", "amount": "1.00", "user_id": u.id, **change}
            status, js, err = send(self.session, "PUT", self.base + "/v1/transaction", body)
            with st.lock:
                st.c["requests"] += 1
                st.c["probes"] += 1
                st.probes.append((uid, f"{what}: {json.dumps(body)}"))
            if status in (None, "not_sent"):
                continue  # killed meanwhile: still must never be stored (checked after the restart)
            if status != 422 or error_code(js) not in codes:
                st.violation(f"{what}: {json.dumps(body)} answered {status} {js or err}, expected 422 "
                             f"{' or '.join(codes)}")
        for ts in ("0001-01-01T00:00:00", "0001-01-01T00:00:00-14:00", "0001-01-01T00:00:00.000001Z"):
            tx = self.make_tx("DEPOSIT", cents=self.rng.choice((1, AMOUNT_MAX)), timestamp=ts)
            if tx is None:
                return
            self.put(tx)
            self.remember_sent([tx])
        with st.lock:
            rich = st.users[st.user_ids[0]]
        txs = [self.make_tx("DEPOSIT", user=rich, cents=AMOUNT_MAX) for _ in range(self.rng.randint(20, 101))]
        self.send_batch(txs)

    def new_tx(self, type_: str):
        tx = self.make_tx(type_)
        if tx is None:
            return self.create_user()
        self.put(tx)
        self.remember_sent([tx])

    def remember_sent(self, txs):
        with self.st.lock:
            for tx in txs:
                if tx.attempts == 1:
                    self.st.tx_uids.append(tx.uid)
        self.recent.extend(tx.uid for tx in txs)

    def batch(self):
        """PUT /v1/transactions with 2-20 new transactions: each item must be answered like the single endpoint."""
        txs = [t for t in (self.make_tx(self.rng.choice(("DEPOSIT", "WITHDRAW"))) for _ in range(self.rng.randint(2, 20)))
               if t is not None]
        if not txs:
            return self.create_user()
        self.send_batch(txs)

    def send_batch(self, txs):
        sent_at = time.monotonic()
        status, js, err = send(self.session, "PUT", self.base + "/v1/transactions", [t.body for t in txs])
        with self.st.lock:
            self.st.c["batches"] += 1
        if status == 200 and (not isinstance(js, list) or len(js) != len(txs)):
            with self.st.lock:
                self.st.violation(f"batch of {len(txs)} answered {str(js)[:300]}")
            return
        for i, tx in enumerate(txs):
            if status == 200:
                item = js[i]
                item_status = item.get("status")
                item_js = item.get("transaction") if item_status == 200 else item
                record_answer(self.st, tx, "PUT(batch)", item_status, item_js, "", sent_at, "batch item")
            else:
                record_answer(self.st, tx, "PUT(batch)", status, js, err, sent_at, "batch")
        self.remember_sent(txs)

    def make_tx(self, type_: str, user: User | None = None, cents: int | None = None, timestamp: str | None = None):
        u = user or self.pick_user()
        if u is None:
            return None
        if cents is not None:
            pass
        elif type_ == "DEPOSIT":
            cents = self.rng.choice((self.rng.randint(1, 99), self.rng.randint(100, 50_000),
                                     self.rng.randint(100, 50_000), self.rng.randint(50_000, 2_000_000)))
            if self.rng.random() < 0.01:
                cents = AMOUNT_MAX
        else:
            est = max(u.est, 0)
            x = self.rng.random()
            if x < 0.55 and est > 0:
                cents = self.rng.randint(1, min(est, AMOUNT_MAX))
            elif x < 0.8:
                cents = min(self.rng.randint(est + 1, est * 2 + 10_000), AMOUNT_MAX)  # very likely refused
            else:
                cents = self.rng.randint(1, 5_000)
        self.k += 1
        uid = f"{self.r.run_id}-c{self.st.cycle}-t{self.tid}-{self.k}"
        body = {"uid": uid, "type": type_, "amount": cents_text(cents), "user_id": u.id}
        ts = timestamp or self.pick_timestamp()
        if ts is not None:
            body["timestamp"] = ts
        tx = Tx(uid, body, self.st.cycle)
        with self.st.lock:
            self.st.txs[uid] = tx
            self.st.c["tx_sent"] += 1
        return tx

    def retry(self, uid: str):
        with self.st.lock:
            tx = self.st.txs[uid]
            self.st.c["tx_retries"] += 1
        self.put(tx, retry=True)

    def put(self, tx: Tx, retry: bool = False):
        sent_at = time.monotonic()
        method = "PUT" if self.rng.random() < 0.9 else "POST"
        status, js, err = send(self.session, method, self.base + "/v1/transaction", tx.body)
        record_answer(self.st, tx, method, status, js, err, sent_at, "retry" if retry else "send")

    def conflict(self):
        """Reuse an acknowledged uid with different content: must be 409 with the existing record."""
        st = self.st
        with st.lock:
            tx = None
            for _ in range(8):
                if not st.tx_uids:
                    break
                cand = st.txs.get(self.rng.choice(st.tx_uids))
                if cand is not None and cand.status in HAS_RECORD:
                    tx = cand
                    break
            if tx is None:
                return
            other = self.rng.choice(st.user_ids)
        body = dict(tx.body)
        x = self.rng.random()
        if x < 0.4:
            cents = text_cents(body["amount"])
            change = self.rng.randint(1, 500)
            body["amount"] = cents_text(cents + change if cents + change <= AMOUNT_MAX or cents <= change
                                        else cents - change)
        elif x < 0.7:
            body["type"] = "WITHDRAW" if body["type"] == "DEPOSIT" else "DEPOSIT"
        elif x < 0.85 and other != body["user_id"]:
            body["user_id"] = other
        elif "timestamp" in body:
            body["timestamp"] = format_client_ts(tx.ts_sent + 1_000_000, 0)
        else:
            cents = text_cents(body["amount"])
            body["amount"] = cents_text(cents + 1 if cents < AMOUNT_MAX else cents - 1)
        status, js, err = send(self.session, "PUT", self.base + "/v1/transaction", body)
        with st.lock:
            st.c["requests"] += 1
            st.c["conflicts_sent"] += 1
            if status in (None, "not_sent"):
                st.note(tx, f"conflicting reuse {json.dumps(body)}: no answer")
                return
            st.note(tx, f"conflicting reuse {json.dumps(body)}: {status}")
            if status == 409:
                st.c["conflicts_409"] += 1
                if error_code(js) != "uid_conflict" or js.get("existing") != tx.record:
                    st.violation(f"409 for conflicting reuse {body} should carry code uid_conflict and the "
                                 f"existing record {tx.record}, got {js}")
                return
            st.violation(f"conflicting reuse of acknowledged uid {tx.uid} with {json.dumps(body)} answered "
                         f"{status} {js} (expected 409); {st.describe(tx)}")

