"""A 3-shard cluster on loopback (tests/blackbox/cluster.py; docs/sharding.md): ownership and the Tally-Shard
header, forwarding from any pod, cross-shard uid uniqueness (also racing through different pods), retries through
other pods, batches spanning shards, kill -9 of one shard, and the refusals to start (flags, data directory)."""
from __future__ import annotations

import concurrent.futures
import json

import pytest
import requests as _requests
from urllib.parse import urlsplit

import tallylib
from cluster import TallyCluster
from tallylib import TallyServer, new_uid

TIMEOUT = 15


class requests:  # noqa: N801 - the requests calls this file makes, each answer checked against rest/openapi.json
    @staticmethod
    def request(method, url, **kw):
        r = _requests.request(method, url, **kw)
        tallylib._observe_answer(method, urlsplit(url).path, r.status_code, r.headers, r.content)
        return r

    @staticmethod
    def get(url, **kw):
        return requests.request("GET", url, **kw)

    @staticmethod
    def put(url, **kw):
        return requests.request("PUT", url, **kw)

    @staticmethod
    def post(url, **kw):
        return requests.request("POST", url, **kw)


def post_user(pod: TallyServer, name: str, key: str | None = None) -> _requests.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(pod.url("/v1/user"), json={"name": name}, headers=headers, timeout=TIMEOUT)


def put_tx(pod: TallyServer, uid: str, user_id: int, amount="10.00", type_="DEPOSIT") -> _requests.Response:
    return requests.put(pod.url("/v1/transaction"), timeout=TIMEOUT,
                        json={"uid": uid, "type": type_, "amount": amount, "user_id": user_id})


def users_on_every_shard(cluster: TallyCluster) -> dict[int, int]:
    """shard -> a user id it owns (each pod creates its users on its own shard)."""
    out = {}
    for k, pod in enumerate(cluster.pods):
        r = post_user(pod, f"user-of-{k}")
        assert r.status_code == 201, r.text
        assert r.headers["Tally-Shard"] == str(k)
        out[k] = r.json()["id"]
    return out


def test_ids_carry_their_shard_and_every_pod_answers_with_the_owner(cluster):
    users = users_on_every_shard(cluster)
    for k, user_id in users.items():
        assert user_id % 3 == k
    for pod in cluster.pods:
        for k, user_id in users.items():
            r = requests.get(pod.url(f"/v1/user/{user_id}"), timeout=TIMEOUT)
            assert r.status_code == 200 and r.json()["id"] == user_id
            assert r.headers["Tally-Shard"] == str(k)
            b = requests.get(pod.url(f"/v1/user/{user_id}/balance?date=2020-01-01"), timeout=TIMEOUT)
            assert b.status_code == 200 and b.headers["Tally-Shard"] == str(k)


def test_writes_through_any_pod_land_on_the_owner_once(cluster):
    users = users_on_every_shard(cluster)
    for k, user_id in users.items():
        uid = new_uid()
        answers = [put_tx(pod, uid, user_id) for pod in cluster.pods]  # the same request through each pod
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
        assert all(a.headers["Tally-Shard"] == str(k) for a in answers)
        for pod in cluster.pods:
            got = requests.get(pod.url(f"/v1/transaction/{uid}"), timeout=TIMEOUT)
            assert got.status_code == 200 and got.json() == answers[0].json()
            assert got.headers["Tally-Shard"] == str(k)
        balance = requests.get(cluster.pods[(k + 1) % 3].url(f"/v1/user/{user_id}/balance"), timeout=TIMEOUT)
        assert balance.json()["balance"] == "10.00"


def test_a_uid_reused_for_a_user_of_another_shard_is_409_with_existing(cluster):
    users = users_on_every_shard(cluster)
    for _ in range(6):  # uids homed on every shard, in all likelihood
        uid = new_uid()
        first = put_tx(cluster.pods[0], uid, users[1])
        assert first.status_code == 200
        for pod in cluster.pods:
            for other in (users[0], users[2]):
                again = put_tx(pod, uid, other)
                assert again.status_code == 409, again.text
                assert again.json()["error"]["code"] == "uid_conflict"
                assert again.json()["existing"] == first.json()
        assert put_tx(cluster.pods[2], uid, users[1]).json() == first.json()  # the original's retry: 200


def test_racing_copies_through_different_pods_apply_once(cluster):
    users = users_on_every_shard(cluster)
    for round_ in range(10):
        uid = new_uid(f"race{round_}")
        calls = [(cluster.pods[k], users[(k + round_) % 3]) for k in range(3)] * 2
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(lambda c: put_tx(c[0], uid, c[1]), calls))
        ok = [a for a in answers if a.status_code == 200]
        conflicts = [a for a in answers if a.status_code == 409]
        assert len(ok) + len(conflicts) == len(answers), [a.text for a in answers]
        assert len({a.json()["user_id"] for a in ok}) == 1, "one transaction holds the uid"
        winner = ok[0].json()
        assert all(c.json()["existing"] == winner for c in conflicts)
        total = sum(float(requests.get(cluster.pods[0].url(f"/v1/user/{u}/balance"), timeout=TIMEOUT)
                          .json()["balance"]) for u in users.values())
        assert total == pytest.approx(10.0 * (round_ + 1))


def test_a_refused_withdrawal_leaves_its_uid_free_for_another_shard(cluster):
    users = users_on_every_shard(cluster)
    uid = new_uid()
    refused = put_tx(cluster.pods[1], uid, users[0], amount="5.00", type_="WITHDRAW")
    assert refused.status_code == 402
    assert put_tx(cluster.pods[2], uid, users[1]).status_code == 200


def test_a_batch_spanning_shards_answers_each_item_in_order(cluster):
    users = users_on_every_shard(cluster)
    taken = new_uid()
    assert put_tx(cluster.pods[0], taken, users[2]).status_code == 200
    items = [{"uid": new_uid(), "type": "DEPOSIT", "amount": "3.00", "user_id": users[k % 3]} for k in range(9)]
    items.append({"uid": new_uid(), "type": "WITHDRAW", "amount": "100.00", "user_id": users[1]})
    items.append({"uid": taken, "type": "DEPOSIT", "amount": "1.00", "user_id": users[0]})
    items.append("not an object")
    r = requests.put(cluster.pods[1].url("/v1/transactions"), json=items, timeout=TIMEOUT)
    assert r.status_code == 200
    got = r.json()
    assert [g["status"] for g in got] == [200] * 9 + [402, 409, 400]
    assert [g["transaction"]["uid"] for g in got[:9]] == [i["uid"] for i in items[:9]]
    assert got[10]["existing"]["user_id"] == users[2]
    again = requests.put(cluster.pods[2].url("/v1/transactions"), json=items[:9], timeout=TIMEOUT).json()
    assert again == got[:9], "a retried batch through another pod replays every item"
    for k in range(3):
        b = requests.get(cluster.pods[k].url(f"/v1/user/{users[k]}/balance"), timeout=TIMEOUT).json()
        assert b["balance"] == ("19.00" if k == 2 else "9.00")  # user 2 also holds `taken` (10.00)


def test_idempotency_keys_are_judged_once_across_pods(cluster):
    key = new_uid("key")
    answers = [post_user(pod, "same", key) for pod in cluster.pods]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert post_user(cluster.pods[0], "other", key).status_code == 409


def test_a_forwarded_request_is_never_forwarded_again(cluster):
    users = users_on_every_shard(cluster)
    r = requests.get(cluster.pods[0].url(f"/v1/user/{users[1]}"), headers={"Tally-Forwarded": "2"}, timeout=TIMEOUT)
    assert r.status_code == 500 and r.json()["error"]["code"] == "shard_misrouted"


def test_kill9_of_one_shard(cluster):
    users = users_on_every_shard(cluster)
    acked = {}
    for k in range(3):
        for i in range(5):
            uid = new_uid(f"before{k}")
            assert put_tx(cluster.pods[(k + i) % 3], uid, users[k]).status_code == 200
            acked[uid] = users[k]
    cluster.pods[2].kill9()
    refused = []
    for k in (0, 1):
        r = requests.get(cluster.pods[k].url(f"/v1/user/{users[2]}"), timeout=TIMEOUT)
        assert r.status_code == 503 and r.json()["error"]["code"] == "shard_unavailable"
        assert int(r.headers["Retry-After"]) >= 1
        for i in range(6):  # uids homed on the dead shard need it too; the others go on
            uid = new_uid(f"during{k}")
            w = put_tx(cluster.pods[k], uid, users[k])
            assert w.status_code in (200, 503), w.text
            if w.status_code == 503:
                assert w.json()["error"]["code"] == "shard_unavailable" and "Retry-After" in w.headers
                refused.append((uid, users[k]))
            else:
                acked[uid] = users[k]
        dead_user = put_tx(cluster.pods[k], new_uid("dead"), users[2])
        assert dead_user.status_code == 503
        refused.append((json.loads(dead_user.request.body)["uid"], users[2]))
    assert any(uid in acked for uid in acked if acked[uid] != users[2])
    cluster.pods[2].start()
    for uid, user_id in refused:
        assert put_tx(cluster.pods[0], uid, user_id).status_code == 200
        assert put_tx(cluster.pods[1], uid, user_id).status_code == 200  # once: the retry replays
    for uid, user_id in acked.items():
        got = requests.get(cluster.pods[1].url(f"/v1/transaction/{uid}"), timeout=TIMEOUT)
        assert got.status_code == 200 and got.json()["user_id"] == user_id


def test_readyz_does_not_depend_on_peers(cluster):
    cluster.pods[1].kill9()
    assert requests.get(cluster.pods[0].url("/readyz"), timeout=TIMEOUT).json() == {"status": "ready"}
    assert requests.get(cluster.pods[0].url("/healthz"), timeout=TIMEOUT).status_code == 200


def test_restart_keeps_reservations(cluster):
    users = users_on_every_shard(cluster)
    uids = [new_uid() for _ in range(6)]
    for uid in uids:
        assert put_tx(cluster.pods[0], uid, users[1]).status_code == 200
    for hard in (True, False):  # the WAL replayed; then a final snapshot (which carries the reservations) read back
        for pod in cluster.pods:
            pod.restart(hard=hard)
        for uid in uids:
            assert put_tx(cluster.pods[2], uid, users[0]).status_code == 409
            assert put_tx(cluster.pods[1], uid, users[1]).status_code == 200


@pytest.mark.parametrize("args, says", [
    (["--shards", "3"], "no shard number"),
    (["--shards", "3", "--shard", "3", "--peers", "http://a,http://b,http://c"], "not in 0..2"),
    (["--shards", "3", "--shard", "1", "--peers", "http://a,http://b"], "lists 2 URLs"),
    (["--shards", "2", "--shard", "0", "--peer-template", "http://tally.local:8000"], "must contain {}"),
])
def test_refuses_to_start_without_a_valid_shard(make_server, args, says):
    srv = make_server(start=False, extra_args=args)
    code, healthy = srv.run_expect_exit()
    assert code == 2 and not healthy
    assert says in srv.output()


def test_shard_from_the_host_name_style_ordinal(make_server, tmp_path):
    # As a StatefulSet pod: no --shard, the ordinal from the host name. `unshare -u` is not always allowed, so the
    # rule is checked through --peer-template + TALLY_SHARD, the variables the pod spec sets from its name.
    srv = make_server(extra_args=["--shards", "2", "--peer-template", "http://127.0.0.1:1/{}"],
                      env={"TALLY_SHARD": "1"})
    r = post_user(srv, "x")
    assert r.status_code == 201 and r.json()["id"] % 2 == 1 and r.headers["Tally-Shard"] == "1"


def test_a_data_directory_refuses_another_shard_or_count(make_server, tmp_path):
    data = tmp_path / "data"
    first = make_server(data_dir=data, extra_args=["--shards", "3", "--shard", "1", "--peers",
                                                   "http://a:1,http://b:1,http://c:1"])
    first.stop()
    assert (data / "SHARD").read_text() == "shards 3\nshard 1\n"
    for args in (["--shards", "3", "--shard", "2", "--peers", "http://a:1,http://b:1,http://c:1"], []):
        again = make_server(start=False, data_dir=data, extra_args=args)
        code, _ = again.run_expect_exit()
        assert code == 2
        assert "belongs to shard 1 of 3 shards" in again.output()


def test_a_peer_that_never_answers_costs_a_bounded_503(make_server):
    """Shard 2 is a socket that accepts connections and never answers: a request for its user is sent, then
    answered 503 shard_unavailable (outcome unknown, Retry-After) once the peer request timeout passes, not held
    forever; shard 0's own users are served meanwhile."""
    import socket

    from tallylib import free_port
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(16)
    try:
        port0 = free_port()
        peers = f"http://127.0.0.1:{port0},http://127.0.0.1:1,http://127.0.0.1:{black_hole.getsockname()[1]}"
        pod = make_server(port=port0, extra_args=["--shards", "3", "--shard", "0", "--peers", peers])
        own = post_user(pod, "own").json()["id"]
        r = requests.get(pod.url("/v1/user/2"), timeout=60)  # the server's own 5 s timeout answers first
        assert r.status_code == 503 and r.json()["error"]["code"] == "shard_unavailable"
        assert "outcome is unknown" in r.json()["error"]["message"] and int(r.headers["Retry-After"]) >= 1
        assert r.headers["Tally-Shard"] == "2"
        assert requests.get(pod.url(f"/v1/user/{own}"), timeout=TIMEOUT).status_code == 200
        refused = requests.get(pod.url("/v1/user/1"), timeout=TIMEOUT)  # shard 1: nothing listens
        assert refused.status_code == 503 and "unreachable" in refused.json()["error"]["message"]
    finally:
        black_hole.close()
