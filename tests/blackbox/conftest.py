"""Fixtures that run the real tallyd binary ($TALLYD, else build/app/tallyd) on free ports with temporary data dirs.

- `server`: a fresh, started server per test (stopped with SIGTERM afterwards, SIGKILL if it hangs).
- `client`: a Client (requests.Session) for `server`.
- `make_server`: a factory for extra servers / servers with extra arguments (also cleaned up).
On a failing test the captured output of every server the test used is attached to the report.
"""
from __future__ import annotations

import pytest

from tallylib import ServerDidNotStart, TallyServer


def _register(request, srv: TallyServer):
    servers = getattr(request.node, "_tally_servers", None)
    if servers is None:
        servers = request.node._tally_servers = []
    servers.append(srv)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in getattr(item, "_tally_servers", []):
            text = srv.all_output()
            if len(text) > 30000:
                text = "...(cut)...\n" + text[-30000:]
            rep.sections.append((f"tallyd output: {srv.name}", text))


@pytest.fixture
def make_server(request, tmp_path):
    created: list[TallyServer] = []

    def make(name: str = "tallyd", start: bool = True, **kw) -> TallyServer:
        srv = TallyServer(tmp_path, name=f"{name}{len(created) or ''}", **kw)
        created.append(srv)
        _register(request, srv)
        if start:
            try:
                srv.start()
            except ServerDidNotStart as e:
                pytest.fail(str(e), pytrace=False)
        return srv

    yield make
    for srv in created:
        if srv.proc is not None:
            srv.stop()


@pytest.fixture
def server(make_server) -> TallyServer:
    return make_server()


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.session.close()
