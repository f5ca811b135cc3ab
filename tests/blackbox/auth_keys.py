"""API keys for the black-box tests of --auth-file (test_auth.py, test_auth_key_file.py, test_cluster_auth.py): keys
made by the real `tally-admin new-key`, key files written as a Secret volume (rename) or an editor (in place) does,
requests with a key, and the check that no secret or digest reaches the logs. The fixtures built on them (`keys`,
`key_file`, `secured`) are conftest.py's."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from tallylib import REPO_ROOT

ADMIN_TIMEOUT_S = 60

# One key per single scope, one with two, one per other scope (name -> scopes).
KEYS = {"reader": "read", "writer": "write", "billing": "read,write", "feed": "events", "shard": "peer"}


def admin_path() -> Path:
    return Path(os.environ.get("TALLY_ADMIN") or REPO_ROOT / "build" / "recovery" / "tally-admin")


class Key:
    def __init__(self, name: str, scopes: str):
        r = subprocess.run([str(admin_path()), "new-key", name, scopes], capture_output=True, text=True,
                           timeout=ADMIN_TIMEOUT_S)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == 2 and lines[0].startswith("secret: ") and lines[1].startswith("entry: "), r.stdout
        self.name = name
        self.scopes = set(scopes.split(","))
        self.secret = lines[0][len("secret: "):]
        self.entry = lines[1][len("entry: "):]
        self.digest = hashlib.sha256(self.secret.encode()).hexdigest()
        assert self.entry == f"{name} {scopes} {self.digest}", "the entry holds the secret's SHA-256"

    def header(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"}


def write_key_file(path: Path, entries: list[str], atomic: bool = True):
    text = "# tally keys (test)\n" + "".join(e + "\n" for e in entries)
    if atomic:  # as a Secret volume or an editor that renames does it
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    else:
        path.write_text(text)


def call(client, method: str, path: str, key: Key | None = None, body=None, headers: dict | None = None, **kw):
    h = {"Content-Type": "application/json"}
    if key is not None:
        h.update(key.header())
    h.update(headers or {})
    data = None if body is None else json.dumps(body).encode()
    return client.request(method, path, data=data, headers=h, **kw)


def assert_no_secrets_logged(srv, keys):
    out = srv.all_output()
    for k in keys.values():
        assert k.secret not in out, f"{k.name}'s secret is in the log"
        assert k.digest not in out and k.digest[:16] not in out, f"{k.name}'s digest is in the log"
