"""tally-relay against a real nats-server with JetStream (Debian's nats-server) and a real tallyd: under load, the
relay is killed with SIGKILL and restarted, and NATS is restarted, mid-stream; then the stream is read back over the
NATS protocol (JetStream's STREAM.MSG.GET API by request/reply) and compared with /v1/events: every seq exactly
once, in order, with the same bytes, subject and message id."""
from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from relay_harness import (NATS_SERVER, WAIT_S, Nats, NatsClient, Relay, assert_stream_is_the_feed, feed_texts,
                           new_key, relay_metrics, relay_path, stream_count, stream_messages)
from tallylib import ThreadClients, free_port, new_uid

pytestmark = pytest.mark.skipif(not Path(NATS_SERVER).exists(), reason="nats-server not installed "
                                "(bash scripts/install-deps.sh --test)")


def test_relay_publishes_every_event_once_across_relay_kills_and_nats_restarts(server, tmp_path):
    assert relay_path().exists(), f"tally-relay not built at {relay_path()}"
    nats = Nats(tmp_path)
    nats.start()
    relay = Relay(tmp_path, server.base_url, nats.port)
    relay.start()
    c = server.client()
    users = [c.create_user(f"r{k}")["id"] for k in range(8)]
    clients = ThreadClients(server)
    stop_load = threading.Event()
    done = {"n": 0}

    def load(worker: int):
        k = 0
        while not stop_load.is_set() and k < 1500:  # bounded
            user = users[(worker + k) % len(users)]
            kind = "WITHDRAW" if k % 4 == 3 else "DEPOSIT"
            clients.get().tx_raw({"uid": new_uid(f"L{worker}"), "type": kind, "amount": "1.00", "user_id": user})
            k += 1
            done["n"] += 1

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)
        relay.kill9()  # mid-stream: it resumes from the stream's newest message id
        time.sleep(0.2)
        relay.start()
        time.sleep(0.5)
        nats.stop()  # the relay backs off and retries, then republishes what was not acknowledged
        for user in users:  # events while NATS is down (the load may be over by now)
            c.deposit(user, "1.00")
        deadline = time.monotonic() + WAIT_S
        while "republishing from seq" not in relay.log.read_text() and "retrying" not in relay.log.read_text():
            assert time.monotonic() < deadline, "the relay never noticed NATS was down"
            time.sleep(0.05)
        nats.start()
        time.sleep(0.5)
        relay.kill9()
        relay.start()
        for t in threads:
            t.join(WAIT_S)
        stop_load.set()
        clients.close()
        expected = feed_texts(server)
        deadline = time.monotonic() + WAIT_S
        while stream_count(nats, "TALLY") != len(expected) and time.monotonic() < deadline:
            time.sleep(0.2)
        got = stream_messages(nats, "TALLY")
        assert relay.stop() == 0
    finally:
        stop_load.set()
        if relay.proc and relay.proc.poll() is None:
            relay.kill9()
        nats.stop()
    assert_stream_is_the_feed(got, expected, relay.log.read_text())
    assert [m["subject"] for m in got] == ["tally." + json.loads(t)["type"] for t in expected]


def stream_ids(nats: Nats, stream: str) -> list[str]:
    return [m["id"] for m in stream_messages(nats, stream)]


def test_a_message_jetstream_refuses_mid_page_is_published_later_and_never_skipped(server, tmp_path):
    """A stream made by an operator with a message size limit refuses one event in the middle of a page (a long user
    name) and takes the smaller ones around it. The relay must not let a later event into the stream while an
    earlier one is missing: killed -9 then and restarted once the operator has raised the limit, it resumes from
    the stream's newest id, which is only right if the stream never holds a gap (docs/notifications.md)."""
    assert relay_path().exists(), f"tally-relay not built at {relay_path()}"
    c = server.client()
    users = [c.create_user(f"s{k}")["id"] for k in range(4)]
    for user in users:
        c.deposit(user, "3.00")
    c.create_user("\U0001D543" * 200)  # the one event too large for the stream: 800 bytes of name
    for user in users:
        c.withdraw(user, "1.00")
    texts = feed_texts(server)
    big = next(k for k, t in enumerate(texts) if "\U0001D543" * 200 in t)
    small_max = max(len(t.encode()) for k, t in enumerate(texts) if k != big)
    # mid-page, and larger than every other event by more than the headers the relay adds (they count too)
    assert small_max + 400 < len(texts[big].encode()) and 3 < big < len(texts) - 3
    nats = Nats(tmp_path)
    nats.start()
    c_nats = NatsClient(nats.port)
    config = {"name": "TALLY", "subjects": ["tally.>"], "storage": "file", "retention": "limits",
              "discard": "old", "num_replicas": 1, "duplicate_window": 600 * 10**9, "max_msg_size": small_max + 200}
    created = c_nats.request("$JS.API.STREAM.CREATE.TALLY", json.dumps(config).encode())
    assert "error" not in created, created
    relay = Relay(tmp_path, server.base_url, nats.port)
    try:
        relay.start()  # one page holds every event: the big one is refused mid-page
        deadline = time.monotonic() + WAIT_S
        while "republishing from seq" not in relay.log.read_text():
            assert time.monotonic() < deadline, "the relay never saw the refusal: " + relay.log.read_text()[-2000:]
            time.sleep(0.05)
        time.sleep(0.3)  # let a retry of the page reach NATS too
        relay.kill9()
        held = stream_ids(nats, "TALLY")
        assert held == [f"0-{k}" for k in range(1, len(held) + 1)], "a later event is in the stream, an earlier " \
            f"one is not: {held}"
        config["max_msg_size"] = -1  # the operator raises the limit
        updated = c_nats.request("$JS.API.STREAM.UPDATE.TALLY", json.dumps(config).encode())
        assert "error" not in updated, updated
        relay.start()
        c.deposit(users[0], "1.00")  # one more event after the restart
        expected = feed_texts(server)
        wait_for_id(nats, relay, f"0-{len(expected)}")  # the relay caught up
        got = stream_messages(nats, "TALLY")
        assert relay.stop() == 0
    finally:
        c_nats.close()
        if relay.proc and relay.proc.poll() is None:
            relay.kill9()
        nats.stop()
    assert_stream_is_the_feed(got, expected, relay.log.read_text())


def wait_for_id(nats: Nats, relay: Relay, msg_id: str):
    deadline = time.monotonic() + WAIT_S
    while msg_id not in stream_ids(nats, "TALLY"):
        assert time.monotonic() < deadline, f"{msg_id} never reached the stream: " + relay.log.read_text()[-2000:]
        time.sleep(0.1)


def test_a_shard_quiet_for_longer_than_the_look_back_resumes_exactly(server, tmp_path):
    """After the relay is killed, other publishers (here: another shard's messages) fill the stream with more
    messages than the relay's look-back (made 5 for the test; 100,000 by default), and JetStream's duplicate window
    (1 s in this operator's stream) passes. The restarted relay must still resume exactly after this shard's newest
    event: every event of shard 0 in the stream once, in order, none published twice."""
    assert relay_path().exists(), f"tally-relay not built at {relay_path()}"
    c = server.client()
    user = c.create_user("quiet")["id"]
    for _ in range(3):
        c.deposit(user, "1.00")
    nats = Nats(tmp_path)
    nats.start()
    c_nats = NatsClient(nats.port)
    config = {"name": "TALLY", "subjects": ["tally.>"], "storage": "file", "retention": "limits",
              "discard": "old", "num_replicas": 1, "duplicate_window": 10**9}
    created = c_nats.request("$JS.API.STREAM.CREATE.TALLY", json.dumps(config).encode())
    assert "error" not in created, created
    relay = Relay(tmp_path, server.base_url, nats.port, extra=["--resume-scan-max", "5"])
    try:
        relay.start()
        wait_for_id(nats, relay, f"0-{len(feed_texts(server))}")
        relay.kill9()
        for k in range(1, 13):  # another shard's relay goes on publishing
            ack = c_nats.request("tally.deposit", b'{"shard":1}', {"Nats-Msg-Id": f"1-{k}"})
            assert "error" not in ack, ack
        time.sleep(1.5)  # past the duplicate window: a republished event would be stored again
        relay.start()
        c.deposit(user, "1.00")
        expected = feed_texts(server)
        wait_for_id(nats, relay, f"0-{len(expected)}")
        time.sleep(0.5)  # anything published twice would be in by now
        got = [m for m in stream_messages(nats, "TALLY") if m["id"].startswith("0-")]
        assert relay.stop() == 0
    finally:
        c_nats.close()
        if relay.proc and relay.proc.poll() is None:
            relay.kill9()
        nats.stop()
    assert_stream_is_the_feed(got, expected, relay.log.read_text())


def test_relay_metrics_show_the_acked_seq_and_the_lag_while_nats_is_down(server, tmp_path):
    assert relay_path().exists(), f"tally-relay not built at {relay_path()}"
    c = server.client()
    user = c.create_user("metrics")["id"]
    c.deposit(user, "1.00")
    nats = Nats(tmp_path)
    nats.start()
    port = free_port()
    relay = Relay(tmp_path, server.base_url, nats.port, extra=["--metrics-port", str(port)])
    acked, lag, retries = ('tally_relay_last_acked_seq{shard="0"}', 'tally_relay_lag_events{shard="0"}',
                           "tally_relay_publish_retries_total")
    try:
        relay.start()
        before = len(feed_texts(server))
        wait_for_id(nats, relay, f"0-{before}")
        m = relay_metrics(port)
        assert (m[acked], m[lag], m[retries]) == (before, 0, 0), m
        assert m["tally_relay_published_events_total"] == before
        nats.stop()
        for _ in range(3):
            c.deposit(user, "1.00")  # read from tallyd, not storable while NATS is down
        after = len(feed_texts(server))
        deadline = time.monotonic() + WAIT_S
        while (m := relay_metrics(port))[retries] < 1 or m[lag] < 1:
            assert time.monotonic() < deadline, f"no retry or lag shown: {m}"
            time.sleep(0.1)
        # the page it read (some or all of the new events; it reads no further while NATS is down) is the lag
        seen = m['tally_relay_last_seen_seq{shard="0"}']
        assert m[acked] == before and before < seen <= after and m[lag] == seen - before, m
        nats.start()
        wait_for_id(nats, relay, f"0-{after}")
        deadline = time.monotonic() + WAIT_S
        while (m := relay_metrics(port))[acked] != after:
            assert time.monotonic() < deadline, m
            time.sleep(0.1)
        assert m[lag] == 0 and m["tally_relay_published_events_total"] == after
        assert relay.stop() == 0
    finally:
        if relay.proc and relay.proc.poll() is None:
            relay.kill9()
        nats.stop()


def test_relay_discard_reads_every_event_after_its_seq_and_needs_no_nats(server, tmp_path):
    """--discard (bench/feed_cost.sh's relay-read): the relay's reads from the given seq on, every page dropped, no
    NATS contacted (its URL points at a port nothing listens on)."""
    c = server.client()
    user = c.create_user("discard")["id"]
    for _ in range(4):
        c.deposit(user, "1.00")
    made = len(feed_texts(server))
    port = free_port()
    relay = Relay(tmp_path, server.base_url, free_port(), extra=["--discard", "2", "--metrics-port", str(port)])
    acked, published = 'tally_relay_last_acked_seq{shard="0"}', "tally_relay_published_events_total"

    def wait_metrics(seq: int) -> dict:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                m = relay_metrics(port)
                if m.get(acked) == seq:
                    return m
            except OSError:
                m = {}  # not listening yet
            assert time.monotonic() < deadline, m
            time.sleep(0.1)

    try:
        relay.start()
        assert wait_metrics(made)[published] == made - 2  # seqs 3..made, not 1 and 2
        for _ in range(3):
            c.deposit(user, "1.00")  # followed live, as the relay follows the feed
        m = wait_metrics(made + 3)
        assert m[published] == made + 1 and m["tally_relay_publish_retries_total"] == 0, m
        assert relay.stop() == 0
        log = relay.log.read_text()
        assert "discarding every page" in log and "failures: 0 reading tallyd, 0 publishing to NATS" in log, log
        assert " warn " not in log and "retrying" not in log, log  # nothing tried to reach NATS
    finally:
        if relay.proc and relay.proc.poll() is None:
            relay.kill9()


def test_relay_exits_2_on_configuration_errors(tmp_path):
    assert subprocess.run([str(relay_path()), "--nats", "nats://127.0.0.1:1"], capture_output=True,
                          timeout=WAIT_S).returncode == 2  # no --source
    assert subprocess.run([str(relay_path()), "--source", "http://127.0.0.1:1", "--stream", "a.b"],
                          capture_output=True, timeout=WAIT_S).returncode == 2


def test_relay_reads_a_keyed_tallyd_with_an_events_key_from_its_environment(make_server, tmp_path):
    """With --auth-file the feed needs the events scope: the relay sends TALLY_RELAY_API_KEY as a bearer token
    (and, without it, is refused and publishes nothing)."""
    feed_secret, feed_entry = new_key("relay", "events")
    write_secret, write_entry = new_key("billing", "read,write")
    key_file = tmp_path / "keys"
    key_file.write_text(feed_entry + "\n" + write_entry + "\n")
    server = make_server(extra_args=["--auth-file", str(key_file)])
    c = server.client()
    auth = {"Authorization": f"Bearer {write_secret}", "Content-Type": "application/json"}
    user = c.request("POST", "/v1/user", data=json.dumps({"name": "keyed"}), headers=auth).json()
    r = c.request("PUT", "/v1/transaction", headers=auth,
                  data=json.dumps({"uid": new_uid("kr"), "type": "DEPOSIT", "amount": "2.00", "user_id": user["id"]}))
    assert r.status_code == 200, r.text
    nats = Nats(tmp_path)
    nats.start()
    unkeyed = Relay(tmp_path / "unkeyed", server.base_url, nats.port)
    (tmp_path / "unkeyed").mkdir()
    keyed = Relay(tmp_path, server.base_url, nats.port, api_key=feed_secret)
    try:
        unkeyed.start()
        deadline = time.monotonic() + WAIT_S
        while "HTTP 401" not in unkeyed.log.read_text():
            assert time.monotonic() < deadline, "a relay without a key was not refused"
            time.sleep(0.05)
        assert stream_count(nats, "TALLY") <= 0, "nothing published without the key"
        unkeyed.kill9()
        keyed.start()
        expected = []
        after = 0
        page = c.get(f"/v1/events?after={after}&limit=10000", headers={"Authorization": f"Bearer {feed_secret}"})
        assert page.status_code == 200, page.text
        expected = [json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in page.json()["events"]]
        assert len(expected) == 3  # user.created, transaction.applied, balance.funds_available
        assert json.loads(expected[1])["transaction"]["client"] == "billing", "the event shows who made it"
        deadline = time.monotonic() + WAIT_S
        while stream_count(nats, "TALLY") != len(expected) and time.monotonic() < deadline:
            time.sleep(0.1)
        got = stream_messages(nats, "TALLY")
        assert keyed.stop() == 0
    finally:
        for relay in (unkeyed, keyed):
            if relay.proc and relay.proc.poll() is None:
                relay.kill9()
        nats.stop()
    assert [m["data"] for m in got] == expected, keyed.log.read_text()[-2000:]
    assert feed_secret not in keyed.log.read_text(), "the relay never logs its key"
