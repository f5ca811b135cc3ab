"""The API description (rest/openapi.json) against a real validator, the server's route table and the real server,
and /docs in a real browser (the answer checker itself: test_openapi_checker.py). The `document` fixture is
conftest.py's.

Needs the test tools of `bash scripts/install-deps.sh --test`: node with tests/tools/node_modules
(@apidevtools/swagger-parser), python3-jsonschema and chromium.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from openapi_check import DOCUMENT_PATH, Document, fits, load_document
from tallylib import REPO_ROOT, new_uid, tallyd_path

TOOLS_DIR = REPO_ROOT / "tests" / "tools"
SWAGGER_UI_DIST = REPO_ROOT / "rest" / "docs_ui" / "node_modules" / "swagger-ui-dist"
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
INSTALL_HINT = "run `bash scripts/install-deps.sh --test`"


def run_validator(path: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is missing: {INSTALL_HINT}", pytrace=False)
    if not (TOOLS_DIR / "node_modules" / "@apidevtools" / "swagger-parser").is_dir():
        pytest.fail(f"tests/tools/node_modules has no @apidevtools/swagger-parser: {INSTALL_HINT}", pytrace=False)
    return subprocess.run([node, str(TOOLS_DIR / "validate_openapi.js"), str(path)], capture_output=True, text=True,
                          timeout=120)


# ----------------------------------------------------------------------------------------------------------------
# The document itself
# ----------------------------------------------------------------------------------------------------------------

def test_document_passes_swagger_parser():
    r = run_validator(DOCUMENT_PATH)
    print(r.stdout + r.stderr)
    assert r.returncode == 0, f"swagger-parser refuses rest/openapi.json:\n{r.stdout}{r.stderr}"
    assert r.stdout.startswith("valid: "), r.stdout


@pytest.mark.parametrize("breakage", ["dangling $ref", "response without description", "unknown field"])
def test_swagger_parser_refuses_a_broken_document(tmp_path, breakage):
    doc = load_document()
    op = doc["paths"]["/v1/user/{id}"]["get"]
    if breakage == "dangling $ref":
        op["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Nope"}
    elif breakage == "response without description":
        del op["responses"]["200"]["description"]
    else:
        op["responses"]["200"]["contents"] = op["responses"]["200"].pop("content")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    r = run_validator(broken)
    assert r.returncode == 1, f"a document with a {breakage} passed:\n{r.stdout}{r.stderr}"
    assert r.stderr.startswith("invalid: "), r.stderr


def test_document_lint(document):
    """What swagger-parser does not check for OpenAPI 3: ids, path parameters, error codes, schemas, examples."""
    raw = document.raw
    problems = []
    ids = [op.get("operationId") for _, _, op in document.operations()]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"operationIds must be present and unique: {ids}")
    error_codes = set(raw["components"]["schemas"]["ErrorCode"]["enum"])
    for method, template, op in document.operations():
        where = f"{method} {template}"
        if not op.get("summary") or not op.get("tags"):
            problems.append(f"{where}: no summary or tags")
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        in_template = {s[1:-1] for s in template.split("/") if s.startswith("{")}
        if in_path != in_template:
            problems.append(f"{where}: path parameters {sorted(in_path)} but the template has {sorted(in_template)}")
        for status, response in op["responses"].items():
            if not (status.isdigit() and 100 <= int(status) <= 599):
                problems.append(f"{where}: response key {status!r} is not a status")
            for media in response.get("content", {}).values():
                # every "enum" of codes inside an error schema names only known codes
                for enum in _enums_under(media.get("schema", {}), "code"):
                    unknown = set(enum) - error_codes
                    if unknown:
                        problems.append(f"{where} {status}: unknown error codes {sorted(unknown)}")
    # Every schema is a valid JSON Schema 2020-12 document, and every example fits the schema beside it.
    for name, schema in document.resolved["components"]["schemas"].items():
        try:
            document.validator(schema)
        except Exception as e:  # jsonschema.SchemaError
            problems.append(f"schema {name}: {e}")
    for where, schema, example in _examples(document.resolved):
        errors = list(document.validator(schema).iter_errors(example))
        if errors:
            problems.append(f"example at {where} does not fit its schema: {errors[0].message}")
    assert not problems, "\n".join(problems)


def _enums_under(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict) and "enum" in v:
                yield v["enum"]
            else:
                yield from _enums_under(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _enums_under(v, key)


def _examples(node, where="#"):
    """(where, schema, example) for every example beside a schema: media types, parameters, schemas' examples."""
    if isinstance(node, dict):
        schema = node.get("schema")
        if isinstance(schema, dict):
            if "example" in node:
                yield where, schema, node["example"]
            for name, ex in (node.get("examples") or {}).items():
                if isinstance(ex, dict) and "value" in ex:
                    yield f"{where}/examples/{name}", schema, ex["value"]
        if "examples" in node and isinstance(node["examples"], list) and ("type" in node or "anyOf" in node):
            for i, ex in enumerate(node["examples"]):
                yield f"{where}/examples/{i}", node, ex
        for k, v in node.items():
            yield from _examples(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _examples(v, f"{where}/{i}")


def test_lint_finds_a_bad_example():
    doc = load_document()
    doc["paths"]["/v1/user/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["example"] = {"id": "1"}
    resolved = Document(doc)
    bad = [w for w, s, ex in _examples(resolved.resolved) if list(resolved.validator(s).iter_errors(ex))]
    assert bad and "/v1/user/{id}" in bad[0], bad


# ----------------------------------------------------------------------------------------------------------------
# The document against the server's route table and the real server
# ----------------------------------------------------------------------------------------------------------------

def test_route_table_is_exactly_the_documented_operations(document):
    out = subprocess.run([str(tallyd_path()), "--print-routes"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    routed = [tuple(line.split(" ")[:2]) for line in out.stdout.splitlines()]  # method, path (then the scope)
    documented = {(m, t) for m, t, _ in document.operations()}
    assert len(routed) == len(set(routed)), f"a route twice in the table: {routed}"
    assert set(routed) - documented == set(), "routes the server has and rest/openapi.json does not"
    assert documented - set(routed) == set(), "operations rest/openapi.json has and the server's table does not"


def _probe_values(client) -> dict[str, list[str]]:
    user = client.create_user("probe")
    tx = client.deposit(user["id"], "1.00")
    return {"id": [str(user["id"])], "uid": [tx["uid"]]}


def _instances(template: str, op: dict, values: dict[str, list[str]]) -> list[str]:
    paths = [""]
    params = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "path"}
    for segment in template.strip("/").split("/"):
        if segment.startswith("{"):
            name = segment[1:-1]
            choices = params[name]["schema"].get("enum") or values.get(name)
            assert choices, f"the probe does not know a value for {{{name}}} in {template}: add one to _probe_values"
            paths = [p + "/" + str(c) for p in paths for c in choices]
        else:
            paths = [p + "/" + segment for p in paths]
    return paths


def _probe_body(method: str, template: str, user_id: int):
    if template == "/v1/user":
        return {"name": "probe"}
    if template == "/v1/transaction":
        return {"uid": new_uid("probe"), "type": "DEPOSIT", "amount": "1.00", "user_id": user_id}
    if template == "/v1/transactions":
        return [{"uid": new_uid("probe"), "type": "DEPOSIT", "amount": "1.00", "user_id": user_id}]
    if template == "/v1/user/{id}" and method == "PATCH":
        return {"low_balance_threshold": "0.00"}
    return None


def _streams(op: dict) -> bool:
    """An operation whose answer never ends on its own (Server-Sent Events): probed for its head only."""
    return "text/event-stream" in op["responses"].get("200", {}).get("content", {})


def test_every_documented_operation_is_answered_by_the_server(document, client):
    """Each (method, path) of the document, with every value of an enumerated path parameter, reaches its endpoint:
    not 404 route_not_found, not 405. (conftest also checks every answer against the operation's responses.)"""
    values = _probe_values(client)
    user_id = int(values["id"][0])
    answered = []
    for method, template, op in document.operations():
        for path in _instances(template, op, values):
            body = _probe_body(method, template, user_id)
            if _streams(op):
                with client.request(method, path, stream=True) as r:
                    assert r.status_code == 200 and r.headers["Content-Type"] == "text/event-stream", r.status_code
                answered.append(f"{method} {path}")
                continue
            r = client.send_json(method, path, body) if body is not None else client.request(method, path)
            assert r.status_code != 405, f"{method} {path}: 405 {r.text}"
            if r.status_code == 404:
                assert r.json()["error"]["code"] != "route_not_found", f"{method} {path}: {r.text}"
            if "peers" in op.get("tags", []):  # peer-only routes: a single node has no peers (docs/sharding.md)
                assert r.status_code == 400 and r.json()["error"]["code"] == "shard_misrouted", r.text
                answered.append(f"{method} {path}")
                continue
            assert 200 <= r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:300]}"
            answered.append(f"{method} {path}")
    assert len(answered) >= len(document.operations())


def test_methods_a_path_does_not_take_are_405_with_the_documented_allow(document, client):
    values = _probe_values(client)
    for template in document.resolved["paths"]:
        item = document.resolved["paths"][template]
        op = next(iter(item.values()))
        documented = sorted(m.upper() for m in item if m in ("get", "put", "post", "delete", "patch", "head",
                                                              "options", "trace"))
        for path in _instances(template, op, values)[:1]:
            for method in METHODS:
                if method in documented:
                    continue
                r = client.request(method, path)
                assert r.status_code == 405, f"{method} {path}: {r.status_code} {r.text}"
                allow = sorted(m.strip() for m in r.headers.get("Allow", "").split(","))
                assert allow == documented, f"{method} {path}: Allow {r.headers.get('Allow')!r}, document {documented}"


def _near_misses(document) -> set[str]:
    """Paths one edit away from a documented one (a segment more or less, another version, a plural, a case)."""
    out = set()
    for template in document.resolved["paths"]:
        segs = [("7" if s.startswith("{") else s) for s in template.strip("/").split("/")]
        out.add("/" + "/".join(segs + ["x"]))
        out.add("/" + "/".join(segs[:-1]))
        out.add("/" + "/".join(["v2"] + segs[1:]))
        out.add("/" + "/".join(segs[:-1] + [segs[-1] + "s"]))
        out.add("/" + "/".join(segs[:-1] + [segs[-1].rstrip("s")]))
        out.add("/" + "/".join(segs).upper())
        out.add("/api/" + "/".join(segs))
    return {p for p in out if not any(fits(t, p) for t in document.resolved["paths"])}


def test_paths_near_the_documented_ones_have_no_route(document, client):
    misses = _near_misses(document)
    assert len(misses) > 20, misses
    for path in sorted(misses):
        for method in ("GET", "PUT", "POST", "DELETE"):
            r = client.request(method, path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "route_not_found", \
                f"{method} {path} is not in rest/openapi.json but answers {r.status_code} {r.text[:200]}"


# ----------------------------------------------------------------------------------------------------------------
# /openapi.json and /docs
# ----------------------------------------------------------------------------------------------------------------

def test_openapi_json_is_the_repository_document_byte_for_byte(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == DOCUMENT_PATH.read_bytes(), "the built tallyd serves another rest/openapi.json: rebuild"
    assert r.headers["Cache-Control"] == "no-cache"
    etag = r.headers["ETag"]
    again = client.get("/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert client.get("/openapi.json", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/openapi.json", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304


DOCS_FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
}


def test_docs_page_points_at_the_document(client):
    for path in ("/docs", "/docs/"):
        r = client.get(path)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        page = r.content.decode("utf-8")
        assert 'url: "/openapi.json"' in page and "validatorUrl: null" in page
        for name in ("swagger-ui.css", "swagger-ui-bundle.js"):
            version = client.get(f"/docs/{name}").headers["ETag"].strip('"')
            assert f"/docs/{name}?v={version}" in page, f"{name} is not linked with its current version"


def test_docs_files_are_swagger_uis_own_with_types_and_caching(client, document):
    enum = document.resolved["paths"]["/docs/{file}"]["get"]["parameters"][0]["schema"]["enum"]
    assert sorted(enum) == sorted(DOCS_FILES)
    for name, content_type in DOCS_FILES.items():
        r = client.get(f"/docs/{name}?v=ignored")
        assert r.status_code == 200, f"{name}: {r.status_code}"
        assert r.headers["Content-Type"] == content_type, name
        assert r.headers["Cache-Control"] == "public, max-age=86400", name
        if SWAGGER_UI_DIST.is_dir():
            assert r.content == (SWAGGER_UI_DIST / name).read_bytes(), f"{name} differs from swagger-ui-dist's"
        assert client.get(f"/docs/{name}", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    bundle = client.get("/docs/swagger-ui-bundle.js").content
    bundle.decode("utf-8")  # valid UTF-8 ...
    assert any(b > 0x7F for b in bundle), "... and not ASCII: read as Latin-1 it would be garbled, hence the charset"
    assert client.get("/docs/index.html").status_code == 404
    assert client.get("/docs/swagger-ui.js").status_code == 404


def test_docs_served_whatever_the_working_directory(make_server, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    srv = make_server(preexec_fn=lambda: os.chdir(elsewhere))
    c = srv.client()
    assert c.get("/docs").status_code == 200
    assert c.get("/docs/swagger-ui-bundle.js").status_code == 200
    assert c.get("/openapi.json").content == DOCUMENT_PATH.read_bytes()


# ----------------------------------------------------------------------------------------------------------------
# A real browser
# ----------------------------------------------------------------------------------------------------------------

def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail(f"chromium is missing: {INSTALL_HINT}", pytrace=False)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--virtual-time-budget=8000"] + args
    return subprocess.run(cmd, capture_output=True, timeout=180)


def test_docs_renders_every_operation_in_headless_chromium(server, document, tmp_path):
    url = server.url("/docs")
    dom = _chromium(["--dump-dom", url], tmp_path / "profile-dom")
    html = dom.stdout.decode("utf-8", "replace")
    assert dom.returncode == 0 and "swagger-ui" in html, dom.stderr.decode(errors="replace")[-3000:]
    missing = []
    for method, template, op in document.operations():
        tag = op["tags"][0]
        if f'id="operations-{tag}-{op["operationId"]}"' not in html:
            missing.append(f"{method} {template}: no operations-{tag}-{op['operationId']} block")
        if f'data-path="{template}"' not in html:
            missing.append(f"{method} {template}: path not shown")
        if op["summary"].replace("&", "&amp;") not in html:
            missing.append(f"{method} {template}: summary {op['summary']!r} not shown")
    assert not missing, "\n".join(missing)
    assert document.raw["info"]["title"] in html

    shot = tmp_path / "docs.png"
    r = _chromium([f"--screenshot={shot}", "--window-size=1280,2000", url], tmp_path / "profile-shot")
    assert r.returncode == 0 and shot.is_file(), r.stderr.decode(errors="replace")[-3000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000, f"{shot}: {len(png)} bytes: a blank page?"
    kept = [shot]
    if os.environ.get("TALLYD"):  # also beside the build, where a person finds it after `meson test`
        artefact = Path(os.environ["TALLYD"]).resolve().parents[1] / "artefacts" / "docs.png"
        try:
            artefact.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, artefact)
            kept.append(artefact)
        except OSError:
            pass
    print("screenshot of /docs: " + ", ".join(str(p) for p in kept))
