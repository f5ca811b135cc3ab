"""HTTP as the crash runner speaks it: one session per thread, no proxies, and an answer split into
(status, JSON, error) where a lost connection is an unknown outcome, never an exception.
"""
from __future__ import annotations

import json

import requests

HOST = "127.0.0.1"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 20.0
JSON_HEADERS = {"Content-Type": "application/json"}


def new_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # no proxies: everything goes straight to 127.0.0.1
    return s


def send(session: requests.Session, method: str, url: str, body=None, headers=None):
    """Returns (status, parsed JSON or None, error text). status None = outcome unknown;
    status 'not_sent' = the connection was refused (the request never reached a server)."""
    h = dict(JSON_HEADERS)
    if headers:
        h.update(headers)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    try:
        r = session.request(method, url, data=data, headers=h if data is not None else headers,
                            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        content = r.content
    except requests.RequestException as e:
        text = repr(e)
        if "NewConnectionError" in text:  # connect() failed: nothing was sent
            return "not_sent", None, text[:200]
        return None, None, text[:200]
    try:
        js = json.loads(content) if content else None
    except ValueError:
        if r.status_code in (200, 201):
            return None, None, f"unparsable {r.status_code} body {content[:120]!r}"
        js = None
    return r.status_code, js, ""
