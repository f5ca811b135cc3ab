#!/usr/bin/env python3
"""The ad-engine example of docs/notifications.md: a consumer of Tally's change feed that keeps the set of users
whose ads may run (balance above their low-balance threshold), from the funds events alone.

It long-polls GET /v1/events for balance.funds_available and balance.funds_depleted, applies each event once
(dedup by (shard, seq): an event at or below the stored cursor is skipped), and stores its cursor together with
its state after every page, atomically, so a restart resumes exactly where it stopped. A 410 cursor_expired means
the events after the cursor are gone: it rebuilds the state from the users' current balances and thresholds.

    python3 ad_engine.py --url http://127.0.0.1:8000 --state ./ads.json [--once]

--once: read until the feed has nothing more (no waiting), print the state as JSON, exit. Uses only the standard
library.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

FUNDS_TYPES = "balance.funds_available,balance.funds_depleted"


def get_json(url: str, timeout: float) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def load_state(path: str) -> dict:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return {"after": 0, "showing": []}


def save_state(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # the cursor and the state it belongs to change together


def rebuild(base: str, state: dict, oldest: int) -> None:
    """After a 410: the current balance against the current threshold decides, for every user there is."""
    showing = set()
    user_id = 1
    while True:
        status, user = get_json(f"{base}/v1/user/{user_id}", 10)
        if status == 404:
            break
        if float(user["balance"]) > float(user["low_balance_threshold"]):
            showing.add(user_id)
        user_id += 1
    state["showing"] = sorted(showing)
    state["after"] = oldest - 1


def apply_page(state: dict, events: list[dict]) -> None:
    showing = set(state["showing"])
    for event in events:
        if event["seq"] <= state["after"]:
            continue  # seen before (at-least-once delivery)
        if event["type"] == "balance.funds_available":
            showing.add(event["user_id"])
            print(f"start ads for user {event['user_id']} (balance {event['balance']})", file=sys.stderr)
        elif event["type"] == "balance.funds_depleted":
            showing.discard(event["user_id"])
            print(f"stop ads for user {event['user_id']} (balance {event['balance']})", file=sys.stderr)
        state["after"] = event["seq"]
    state["showing"] = sorted(showing)


def run(base: str, state_path: str, once: bool) -> dict:
    state = load_state(state_path)
    wait = 0 if once else 25
    while True:
        status, body = get_json(f"{base}/v1/events?after={state['after']}&types={FUNDS_TYPES}&wait={wait}", wait + 10)
        if status == 410:
            rebuild(base, state, body["error"]["oldest"])
            save_state(state_path, state)
            continue
        if status != 200:
            print(f"feed answered {status}: {body}; retrying", file=sys.stderr)
            time.sleep(1)
            continue
        apply_page(state, body["events"])
        state["after"] = max(state["after"], body["last"])
        save_state(state_path, state)
        if once and not body["events"] and body["last"] == state["after"]:
            return state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args()
    state = run(args.url.rstrip("/"), args.state, args.once)
    print(json.dumps(state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
