"""The process: --help, configuration by environment, thread count, startup log, signals."""
from __future__ import annotations

import re
import signal
import subprocess

from tallylib import free_port, tallyd_path


def test_help_exits_0_and_prints_usage():
    p = subprocess.run([str(tallyd_path()), "--help"], capture_output=True, timeout=15)
    assert p.returncode == 0, p
    out = (p.stdout + p.stderr).decode(errors="replace")
    for opt in ("--port", "--bind", "--data-dir", "--threads"):
        assert opt in out, out


def test_configuration_from_environment(make_server, tmp_path):
    data = tmp_path / "env-data"
    data.mkdir()
    srv = make_server(name="envsrv", start=False, data_dir=data)
    port = free_port()
    env = {"TALLY_PORT": str(port), "TALLY_BIND": "127.0.0.1", "TALLY_DATA_DIR": str(data), "TALLY_THREADS": "2"}
    srv.proc = srv._spawn([str(srv.binary)], env=env)
    srv.port = port
    try:
        ok, why = srv._wait_ready()
        assert ok, f"{why}\n{srv.output()}"
        c = srv.client()
        u = c.create_user("env")
        c.deposit(u["id"], "1")
        assert c.balance(u["id"]) == "1.00"
    finally:
        code = srv.stop()
    assert code == 0, srv.output()
    assert any(p.name.startswith("wal-") for p in (data / "wal").iterdir()), list(data.rglob("*"))


def test_single_thread_server_serves_concurrent_clients(make_server):
    srv = make_server(extra_args=["--threads", "1"])
    from test_concurrency import test_300_concurrent_withdrawals_against_100
    c = srv.client()
    test_300_concurrent_withdrawals_against_100(srv, c)


def test_startup_logs_a_recovery_summary(server):
    # Every start logs "recovering from"; the summary line must carry the counts actually recovered.
    c = server.client()
    first = server.output()
    assert re.search(r"recovered 0 users, 0 transactions\b", first), first
    u = c.create_user()["id"]
    c.deposit(u, "1")
    c.deposit(c.create_user()["id"], "2", timestamp="2023-01-01T00:00:00")
    server.restart()
    assert re.search(r"recovered 2 users, 2 transactions\b", server.output()), server.output()
    server.restart(hard=True)
    assert re.search(r"recovered 2 users, 2 transactions\b", server.output()), server.output()


def test_sigterm_while_idle_connections_are_open_still_exits_0(server):
    import socket
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
    try:
        socks[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        socks[0].recv(4096)
        assert server.signal_stop(signal.SIGTERM) == 0, server.output()
    finally:
        for s in socks:
            s.close()
