"""Fixtures that run the real tallyd binary ($TALLYD, else build/app/tallyd) on free ports with temporary data dirs.

- `server`: a fresh, started server per test (stopped with SIGTERM afterwards, SIGKILL if it hangs).
- `client`: a Client (requests.Session) for `server`.
- `make_server`: a factory for extra servers / servers with extra arguments (also cleaned up).
- `document`: rest/openapi.json, resolved; `keys`, `key_file`, `secured`: API keys, a key file, a tallyd that needs
  them (auth_keys.py).
On a failing test the captured output of every server the test used is attached to the report.

Every answer the tallylib helpers receive, in every test, is checked against rest/openapi.json (openapi_check.py):
a test that received an answer the document does not describe (status, Content-Type, headers, JSON schema) fails.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import tallylib
from auth_keys import KEYS, Key, write_key_file
from cluster import ClusterEntry, TallyCluster
from tallylib import ServerDidNotStart, TallyServer

try:
    import jsonschema  # noqa: F401
except ImportError as e:  # say what to do rather than fail on an import deep in a helper
    raise ImportError("python3-jsonschema is missing: the black-box suite checks every answer against "
                      "rest/openapi.json with it. Run `bash scripts/install-deps.sh --test`.") from e
from openapi_check import AnswerChecker, Document, load_document

_answer_checker: AnswerChecker | None = None


def answer_checker() -> AnswerChecker:
    """The run's checker, registered with tallylib on first use."""
    global _answer_checker
    if _answer_checker is None:
        _answer_checker = AnswerChecker(Document(load_document()))
        tallylib.answer_observers.append(_answer_checker.observe)
    return _answer_checker


@pytest.fixture(autouse=True)
def _answers_match_the_openapi_document():
    checker = answer_checker()
    checker.take()  # what arrived between tests (a straggling thread) belongs to no test
    yield
    mismatches = checker.take()
    if mismatches:
        checker.failed_tests += 1
        shown = "\n  ".join(mismatches[:10])
        more = f"\n  ... and {len(mismatches) - 10} more" if len(mismatches) > 10 else ""
        pytest.fail(f"{len(mismatches)} answer(s) this test received do not match rest/openapi.json:\n  "
                    f"{shown}{more}", pytrace=False)


def pytest_terminal_summary(terminalreporter):
    if _answer_checker is not None:
        terminalreporter.write_line(
            f"openapi: {_answer_checker.checked} answers checked against rest/openapi.json; "
            f"{_answer_checker.failed_tests} test(s) failed for an answer that did not match")


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


# TALLY_TEST_CLUSTER=N runs every test written for one node through an N-shard cluster instead (tests/blackbox/
# cluster.py: each request to the next pod, as through a Service). Tests that need a single node's view (counts,
# ids, the data directory) say so with @pytest.mark.single_node and are skipped there.
CLUSTER_SHARDS = int(os.environ.get("TALLY_TEST_CLUSTER", "0") or 0)


@pytest.fixture
def server(request, make_server, tmp_path):
    if CLUSTER_SHARDS > 1:
        if request.node.get_closest_marker("single_node"):
            pytest.skip("a single node's view (TALLY_TEST_CLUSTER runs through a cluster)")
        entry = ClusterEntry(TallyCluster(tmp_path, shards=CLUSTER_SHARDS))
        _register(request, entry)
        try:
            entry.start()
        except ServerDidNotStart as e:
            entry.stop()
            pytest.fail(str(e), pytrace=False)
        yield entry
        entry.stop()
        return
    yield make_server()


@pytest.fixture
def cluster(request, tmp_path):
    """A started 3-shard cluster on loopback (tests/blackbox/cluster.py), stopped afterwards."""
    c = TallyCluster(tmp_path, shards=3)
    _register(request, c)
    try:
        c.start()
    except ServerDidNotStart as e:
        c.stop()
        pytest.fail(str(e), pytrace=False)
    yield c
    c.stop()


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.session.close()


@pytest.fixture(scope="module")
def document() -> Document:
    """rest/openapi.json, parsed and resolved (test_api_document.py, test_openapi_checker.py)."""
    return Document(load_document())


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    """One API key per entry of auth_keys.KEYS, made by tally-admin new-key (test_auth*.py)."""
    return {name: Key(name, scopes) for name, scopes in KEYS.items()}


@pytest.fixture
def key_file(tmp_path, keys) -> Path:
    path = tmp_path / "keys"
    write_key_file(path, [k.entry for k in keys.values()])
    return path


@pytest.fixture
def secured(make_server, key_file):
    """A tallyd that needs the keys of key_file."""
    return make_server(extra_args=["--auth-file", str(key_file)])


def pytest_configure(config):
    config.addinivalue_line("markers", "single_node: needs one node's view; skipped when TALLY_TEST_CLUSTER is set")
