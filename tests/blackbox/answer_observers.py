"""Every answer the black-box helpers receive (tallylib.Client, tally_raw_http.RawConnection) is shown to the
observers registered here; conftest.py registers the check against rest/openapi.json. tallylib re-exports both names.
"""
from __future__ import annotations

# Every answer the helpers below receive (Client, RawConnection) is shown to each of these:
# observe(method, path, status, headers, body), path without its query; method and path are None for an answer
# read without its request (pipelined reads). conftest.py checks them all against rest/openapi.json.
answer_observers: list = []


def _observe_answer(method, path, status, headers, body):
    for observe in answer_observers:
        observe(method, path, status, headers, body)
