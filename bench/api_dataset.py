#!/usr/bin/env python3
"""Writes a small dataset through the real API, as traffic would: USERS users, then TXS transactions on users
picked at random (v4 uuids, deposits and withdrawals of varied amounts, one deposit in ten backdated), in
batches of 1..BATCH items (PUT /v1/transactions). Used to check tally-make-dataset's `api` shape against
what the API path really writes (bench/README.md): same records, same restart cost per record.
usage: bench/api_dataset.py PORT USERS TXS [BATCH]"""
import datetime as dt
import random
import sys
import uuid

import requests

port, users, txs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
batch_max = int(sys.argv[4]) if len(sys.argv) > 4 else 200
base = f"http://127.0.0.1:{port}"
session = requests.Session()
rng = random.Random(7)
ids = []
for k in range(users):
    r = session.post(f"{base}/v1/user", json={"name": f"user{k + 1}"}, timeout=30)
    r.raise_for_status()
    ids.append(r.json()["id"])
balance = {i: 0 for i in ids}  # cents, from the answers
now = dt.datetime.now(dt.timezone.utc)
written = refused = 0
while written < txs:
    items = []
    for _ in range(min(rng.randint(1, batch_max), txs - written)):
        user = rng.choice(ids)
        withdraw = balance[user] > 0 and rng.random() < 1 / 3
        cents = rng.randint(1, balance[user]) if withdraw else rng.randint(1, 500_000)
        body = {"uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "user_id": user,
                "type": "WITHDRAW" if withdraw else "DEPOSIT", "amount": f"{cents // 100}.{cents % 100:02d}"}
        if not withdraw and rng.random() < 0.1:
            at = now - dt.timedelta(microseconds=rng.randrange(30 * 86_400_000_000))
            body["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        items.append(body)
    r = session.put(f"{base}/v1/transactions", json=items, timeout=60)
    r.raise_for_status()
    results = r.json()
    results = results.get("results", results) if isinstance(results, dict) else results
    for body, result in zip(items, results):
        status = result.get("status", 200) if isinstance(result, dict) else 200
        if status == 200:
            cents = int(body["amount"].replace(".", ""))
            balance[body["user_id"]] += -cents if body["type"] == "WITHDRAW" else cents
        else:
            refused += 1
    written += len(items)
print(f"wrote {users} users and {written} transactions through the API ({refused} refused)")
