"""Fixtures that run the real tallyd binary ($TALLYD, else build/app/tallyd) on free ports with temporary data dirs.

- `server`: a fresh, started server per test (stopped with SIGTERM afterwards, SIGKILL if it hangs).
- `client`: a Client (requests.Session) for `server`.
- `make_server`: a factory for extra servers / servers with extra arguments (also cleaned up).
On a failing test the captured output of every server the test used is attached to the report.

Every answer the tallylib helpers receive, in every test, is checked against rest/openapi.json (openapi_check.py):
a test that received an answer the document does not describe (status, Content-Type, headers, JSON schema) fails.
"""
from __future__ import annotations

import pytest

import tallylib
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


@pytest.fixture
def server(make_server) -> TallyServer:
    return make_server()


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.session.close()
