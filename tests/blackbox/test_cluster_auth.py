"""A 3-shard cluster with API keys on (docs/security.md, docs/sharding.md): any pod judges the client's key and
the owner judges it again from the forwarded Authorization header, so a forward neither widens nor loses a
client's rights; the attribution is the client's on whichever pod the request entered; the pods' own peer calls
(uid reservations at a uid's home shard) present TALLY_PEER_SECRET, a key with the `peer` scope; a client key
without that scope cannot call the peer-only routes; and without the peer secret a transaction that needs a peer
is refused, never acknowledged."""
from __future__ import annotations

import pytest
import requests

from cluster import TallyCluster
from tallylib import ServerDidNotStart, new_uid
from auth_keys import Key, write_key_file

TIMEOUT = 15


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    return {name: Key(name, scopes) for name, scopes in
            {"billing": "read,write", "reader": "read", "shards": "peer"}.items()}


def start_cluster(tmp_path, keys, peer_secret: str | None) -> TallyCluster:
    key_file = tmp_path / "keys"
    write_key_file(key_file, [k.entry for k in keys.values()])
    env = {"TALLY_PEER_SECRET": peer_secret} if peer_secret else None
    c = TallyCluster(tmp_path, shards=3, extra_args=["--auth-file", str(key_file)], env=env)
    try:
        c.start()
    except ServerDidNotStart as e:
        c.stop()
        pytest.fail(str(e), pytrace=False)
    return c


@pytest.fixture
def secured_cluster(tmp_path, keys):
    c = start_cluster(tmp_path, keys, keys["shards"].secret)
    yield c
    c.stop()


def user_on(cluster, k: int, key: Key) -> int:
    r = requests.post(cluster.pod(k).url("/v1/user"), json={"name": f"u{k}"}, headers=key.header(), timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert r.headers["Tally-Shard"] == str(k) and r.json()["client"] == key.name
    return r.json()["id"]


def put(cluster, via: int, key: Key | None, uid: str, user_id: int, amount="5.00") -> requests.Response:
    headers = key.header() if key else {}
    return requests.put(cluster.pod(via).url("/v1/transaction"), headers=headers, timeout=TIMEOUT,
                        json={"uid": uid, "type": "DEPOSIT", "amount": amount, "user_id": user_id})


def test_keys_are_judged_on_every_pod_and_a_forward_keeps_the_client(secured_cluster, keys):
    c = secured_cluster
    users = {k: user_on(c, k, keys["billing"]) for k in range(3)}
    # Through a pod that does not own the user: applied on the owner, attributed to the client.
    uid = new_uid("fwd")
    r = put(c, 1, keys["billing"], uid, users[0])
    assert r.status_code == 200, r.text
    assert r.headers["Tally-Shard"] == "0" and r.json()["client"] == "billing"
    for k in range(3):
        got = requests.get(c.pod(k).url(f"/v1/transaction/{uid}"), headers=keys["reader"].header(), timeout=TIMEOUT)
        assert got.status_code == 200 and got.json()["client"] == "billing", got.text
    # No key, or a key without the scope: refused at the entry pod, nothing applied anywhere.
    refused = new_uid("refused")
    assert put(c, 2, None, refused, users[0]).status_code == 401
    assert put(c, 2, keys["reader"], refused, users[0]).status_code == 403
    for k in range(3):
        got = requests.get(c.pod(k).url(f"/v1/transaction/{refused}"), headers=keys["reader"].header(),
                           timeout=TIMEOUT)
        assert got.status_code == 404, got.text
    balance = requests.get(c.pod(2).url(f"/v1/user/{users[0]}/balance"), headers=keys["reader"].header(),
                           timeout=TIMEOUT)
    assert balance.json()["balance"] == "5.00"


def test_cross_shard_uid_uniqueness_holds_with_keys_on(secured_cluster, keys):
    c = secured_cluster
    users = {k: user_on(c, k, keys["billing"]) for k in range(3)}
    uid = new_uid("reuse")
    first = put(c, 0, keys["billing"], uid, users[0])
    assert first.status_code == 200, first.text
    for other in (1, 2):  # the same uid for a user of another shard, through any pod: 409 with the original
        r = put(c, (other + 1) % 3, keys["billing"], uid, users[other])
        assert r.status_code == 409, r.text
        assert r.json()["existing"]["user_id"] == users[0]


def test_a_client_key_cannot_call_the_peer_routes(secured_cluster, keys):
    c = secured_cluster
    body = {"uid": new_uid("peer"), "user_id": 1, "type": "DEPOSIT", "amount": "1.00"}
    for path in ("/internal/v1/uid-reservations", "/internal/v1/uid-releases", "/internal/v1/uid-judgements"):
        assert requests.post(c.pod(0).url(path), json=body, timeout=TIMEOUT).status_code == 401
        r = requests.post(c.pod(0).url(path), json=body, headers=keys["billing"].header(), timeout=TIMEOUT)
        assert r.status_code == 403, r.text


def test_without_the_peer_secret_a_cross_shard_write_is_refused_not_acknowledged(tmp_path, keys):
    c = start_cluster(tmp_path, keys, peer_secret=None)
    try:
        users = {k: user_on(c, k, keys["billing"]) for k in range(3)}
        # Find a uid homed on another shard than the owner of users[0] (the home hash is the server's: try a few
        # and keep one whose write needs a peer, i.e. one that is not acknowledged).
        refused = None
        for i in range(40):
            uid = new_uid(f"nopeer{i}")
            r = put(c, 0, keys["billing"], uid, users[0])
            if r.status_code != 200:
                refused = (uid, r)
                break
        assert refused is not None, "every uid was homed on the owner: the test needs one that is not"
        uid, r = refused
        assert r.status_code >= 500 and r.json()["error"]["code"], r.text
        got = requests.get(c.pod(0).url(f"/v1/transaction/{uid}"), headers=keys["reader"].header(), timeout=TIMEOUT)
        assert got.status_code != 200, got.text
    finally:
        c.stop()
