"""The acknowledged-writes record: what the clients saw, shared by the load threads and the verification.

Each transaction uid has a state (NEW until answered; ACKED by a 200; REFUSED by a balance-rule refusal; UNKNOWN when
the outcome was lost with the connection; after a restart an UNKNOWN one is resolved to PRESENT or ABSENT). State
holds every user and transaction under one lock, the counters the summary prints and the violations found.
`record_answer` turns one answer to a PUT (or one batch item) into a state change or a violation.
"""
from __future__ import annotations

import json
import threading
import time

from .money_time import parse_client_ts, parse_server_ts, signed

# transaction states
NEW, ACKED, PRESENT, REFUSED, ABSENT, UNKNOWN = "new", "acked", "present", "refused", "absent", "unknown"
HAS_RECORD = (ACKED, PRESENT)
MUST_BE_ABSENT = (REFUSED, ABSENT)


class Tx:
    __slots__ = ("uid", "body", "ts_sent", "status", "record", "ack_mono", "cycle", "history", "attempts",
                 "dirty", "ever_unknown")

    def __init__(self, uid: str, body: dict, cycle: int):
        self.uid = uid
        self.body = body
        self.ts_sent = parse_client_ts(body["timestamp"]) if "timestamp" in body else None
        self.status = NEW
        self.record: dict | None = None
        self.ack_mono = 0.0
        self.cycle = cycle
        self.history: list[str] = []
        self.attempts = 0
        self.dirty = True  # touched since the last check against the server
        self.ever_unknown = False


class User:
    __slots__ = ("id", "name", "key", "cycle", "est", "dirty")

    def __init__(self, uid: int, name: str, key: str | None, cycle: int):
        self.id = uid
        self.name = name
        self.key = key
        self.cycle = cycle
        self.est = 0  # client-side estimate of the balance (for choosing withdrawal amounts)
        self.dirty = True


class State:
    def __init__(self, max_history: int = 12):
        self.lock = threading.Lock()
        # violation() is called with self.lock held (and without): it must never take self.lock itself.
        self.vlock = threading.Lock()
        self.users: dict[int, User] = {}
        self.user_ids: list[int] = []
        self.txs: dict[str, Tx] = {}
        self.tx_uids: list[str] = []        # answered at least once (candidates for retries)
        self.pending_keys: list[tuple[str, str]] = []  # keyed creations with unknown outcome: (key, name)
        self.violations: list[str] = []
        self.max_history = max_history
        self.cycle = 0
        self.c = dict(requests=0, users_acked=0, users_unknown=0, users_key_resolved=0, users_key_replayed=0,
                      tx_sent=0, tx_retries=0, tx_200=0, tx_402=0, unknown_attempts=0, not_sent=0,
                      conflicts_sent=0, conflicts_409=0, resolved_present=0, resolved_absent=0,
                      verify_retries=0, kills_load=0, kills_recovery=0, kills_recovery_before_ready=0,
                      kills_recovery_after_ready=0, starts=0, tx_checked=0, balance_checks=0, batches=0,
                      tx_ceiling=0, probes=0)
        self.probes: list[tuple[str, str]] = []  # (uid, what): refused edge-case requests, must never be stored

    def violation(self, text: str):
        """Records and prints one violation with its evidence. Safe with or without self.lock held."""
        line = f"[cycle {self.cycle}] {text}"
        with self.vlock:
            self.violations.append(line)
        print(f"VIOLATION {line}", flush=True)

    def note(self, tx: Tx, text: str):
        tx.history.append(f"c{self.cycle} {text}")
        if len(tx.history) > self.max_history:
            del tx.history[1:2]  # keep the first attempt and the latest ones

    def describe(self, tx: Tx) -> str:
        return (f"uid={tx.uid} body={json.dumps(tx.body, ensure_ascii=False)} state={tx.status} "
                f"record={json.dumps(tx.record)} history=[{'; '.join(tx.history)}]")


def record_problems(rec, body: dict, ts_sent: int | None) -> list[str]:
    """What is wrong with a transaction record answered for body (empty if it matches)."""
    if not isinstance(rec, dict):
        return [f"record is not an object: {rec!r}"]
    out = []
    if rec.get("uid") != body["uid"]:
        out.append(f"uid {rec.get('uid')!r} != {body['uid']!r}")
    if rec.get("user_id") != body["user_id"]:
        out.append(f"user_id {rec.get('user_id')!r} != {body['user_id']!r}")
    if rec.get("type") != body["type"]:
        out.append(f"type {rec.get('type')!r} != {body['type']!r}")
    if rec.get("amount") != body["amount"]:
        out.append(f"amount {rec.get('amount')!r} != {body['amount']!r}")
    ts = parse_server_ts(rec.get("timestamp"))
    if ts is None:
        out.append(f"malformed timestamp {rec.get('timestamp')!r}")
    elif ts_sent is not None and ts != ts_sent:
        out.append(f"timestamp {rec.get('timestamp')!r} != sent {body['timestamp']!r}")
    return out


def error_code(js) -> str | None:
    if isinstance(js, dict) and isinstance(js.get("error"), dict):
        return js["error"].get("code")
    return None


# ------------------------------------------------------------------------------------------------------------
# one answer for a transaction, as the record takes it
# ------------------------------------------------------------------------------------------------------------

# refusals by the balance rule: 402 below zero, 422 above the ceiling (a deposit only)
BALANCE_REFUSALS = {402: "insufficient_funds", 422: "balance_too_large"}


def record_answer(st: State, tx: Tx, method: str, status, js, err: str, sent_at: float, what: str):
    """Checks one answer for tx (a single PUT's, or one batch item's) and records what it says. status is an HTTP
    status, None (outcome unknown) or "not_sent" (the connection was refused), as wire.send answers."""
    with st.lock:
        st.c["requests"] += 1
        if status == "not_sent":
            st.c["not_sent"] += 1
            if tx.attempts == 0:  # never reached a server: forget it entirely
                st.txs.pop(tx.uid, None)
                st.c["tx_sent"] -= 1
            return
        tx.attempts += 1
        tx.dirty = True
        if status is None:
            st.note(tx, f"{what}: no answer ({err[:80]})")
            st.c["unknown_attempts"] += 1
            if tx.status not in HAS_RECORD:
                tx.status = UNKNOWN
                tx.ever_unknown = True
            return
        if status == 200:
            return _record_accepted(st, tx, method, js, what)
        refusal = BALANCE_REFUSALS.get(status)
        if refusal and (status == 402 or (tx.body["type"] == "DEPOSIT" and error_code(js) == refusal)):
            return _record_refused(st, tx, status, js, refusal, sent_at, what)
        st.note(tx, f"{what}: {status} {error_code(js)}")
        st.violation(f"identical {what} answered {status} {js}; {st.describe(tx)}")


def _record_accepted(st: State, tx: Tx, method: str, js, what: str):
    """A 200 (st.lock held): the record must match the request, and an identical retry must answer the same one."""
    st.c["tx_200"] += 1
    st.note(tx, f"{what}: 200")
    probs = record_problems(js, tx.body, tx.ts_sent)
    if probs:
        st.violation(f"{method} /v1/transaction answered 200 with a record that does not match the "
                     f"request: {'; '.join(probs)}; answer={js}; {st.describe(tx)}")
        return
    if tx.status in HAS_RECORD:
        if js != tx.record:
            st.violation(f"identical {what} of uid {tx.uid} answered a different record {js} "
                         f"(original {tx.record}); {st.describe(tx)}")
        return
    tx.status = ACKED
    tx.record = js
    tx.ack_mono = time.monotonic()
    u = st.users.get(tx.body["user_id"])
    if u:
        u.est += signed(tx.body)
        u.dirty = True


def _record_refused(st: State, tx: Tx, status: int, js, refusal: str, sent_at: float, what: str):
    """A refusal by the balance rule (st.lock held): never for a copy sent after the uid was acknowledged."""
    st.c["tx_402" if status == 402 else "tx_ceiling"] += 1
    st.note(tx, f"{what}: {status}")
    if error_code(js) != refusal:
        st.violation(f"{status} without code {refusal}: {js}; {st.describe(tx)}")
    if tx.status in HAS_RECORD:
        if sent_at > tx.ack_mono:
            st.violation(f"identical {what} of acknowledged uid {tx.uid} was refused with {status} "
                         f"{js}; {st.describe(tx)}")
        return  # a concurrent copy judged before the accepted one: legitimate
    if tx.status in (NEW, ABSENT, REFUSED):
        tx.status = REFUSED
    # UNKNOWN stays unknown until a restart resolves it
