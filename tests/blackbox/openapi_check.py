"""Checks real answers against rest/openapi.json: the status must be documented for the request's operation (or,
for a request no operation takes, in the document's `x-unrouted-responses`), the Content-Type must be one the
response lists, documented required headers must be there, and a JSON body must validate against the response's
schema (JSON Schema 2020-12, which OpenAPI 3.1 schemas are; python3-jsonschema).

conftest.py registers one AnswerChecker for the whole black-box run: every answer the tallylib helpers receive is
checked, and a test that received a mismatching answer fails (test_openapi_checker.py shows that a wrong answer is
caught).
"""
from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import jsonschema

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "rest" / "openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load_document(path: Path = DOCUMENT_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def resolve_refs(node, root: dict, seen: tuple = ()):
    """A deep copy of node with every local $ref ("#/a/b") replaced by what it names (the document's schemas are
    not recursive; a cycle is reported). Siblings of a $ref are kept beside the resolved content."""
    if isinstance(node, list):
        return [resolve_refs(v, root, seen) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        if ref in seen:
            raise ValueError(f"recursive reference {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        resolved = resolve_refs(target, root, seen + (ref,))
        siblings = {k: resolve_refs(v, root, seen) for k, v in node.items() if k != "$ref"}
        if siblings and isinstance(resolved, dict):
            resolved = {**copy.deepcopy(resolved), **siblings}
        return resolved
    return {k: resolve_refs(v, root, seen) for k, v in node.items()}


def segments(path: str) -> list[str]:
    """The server's reading of a path: empty segments are skipped, nothing is decoded (rest/route_table.cpp)."""
    return [s for s in path.split("/") if s]


def fits(template: str, path: str) -> bool:
    want, got = segments(template), segments(path)
    return len(want) == len(got) and all(
        (w.startswith("{") and w.endswith("}")) or w == g for w, g in zip(want, got))


class Document:
    """The document with its references resolved, and the lookups a check needs."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.resolved = resolve_refs(raw, raw)
        self.unrouted = self.resolved["x-unrouted-responses"]["responses"]
        self._validators: dict[int, jsonschema.protocols.Validator] = {}
        self._lock = threading.Lock()

    def operations(self) -> list[tuple[str, str, dict]]:
        """(METHOD, path template, operation) for every operation."""
        out = []
        for template, item in self.resolved["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    out.append((method.upper(), template, item[method]))
        return out

    def route(self, method: str, path: str) -> tuple[str, str | None, dict | None]:
        """('found', template, operation), ('wrong_method', template, None) or ('no_route', None, None)."""
        templates = [t for t in self.resolved["paths"] if fits(t, path)]
        for template in templates:
            operation = self.resolved["paths"][template].get(method.lower())
            if operation is not None and method.lower() in HTTP_METHODS:
                return "found", template, operation
        if templates:
            return "wrong_method", templates[0], None
        return "no_route", None, None

    def allowed_methods(self, path: str) -> list[str]:
        return [m for m, t, _ in self.operations() if fits(t, path)]

    def validator(self, schema: dict):
        key = id(schema)
        with self._lock:
            v = self._validators.get(key)
            if v is None:
                jsonschema.Draft202012Validator.check_schema(schema)
                v = self._validators[key] = jsonschema.Draft202012Validator(schema)
            return v

    def responses_for_status(self, status: int) -> list[dict]:
        """Every response object, anywhere in the document, for this status."""
        found = [op["responses"][str(status)] for _, _, op in self.operations() if str(status) in op["responses"]]
        if str(status) in self.unrouted:
            found.append(self.unrouted[str(status)])
        return found


def _header(headers, name: str):
    """headers: a case-insensitive mapping (requests) or a list of (name, value) pairs (tallylib.RawResponse)."""
    if isinstance(headers, list):
        for k, v in headers:
            if k.lower() == name.lower():
                return v
        return None
    return headers.get(name)


def _body_problems(document: Document, response: dict, content_type: str | None, body: bytes,
                   head: bool) -> list[str]:
    content = response.get("content")
    if not content:
        if body and not head:
            return [f"no body is documented, got {len(body)} bytes"]
        return []
    media = next((m for m in content if content_type and m.lower() == content_type.lower()), None)
    if media is None:
        return [f"Content-Type {content_type!r} is not one of {sorted(content)}"]
    if head or media.split(";")[0].strip().lower() != "application/json":
        return []
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return [f"the body is not JSON: {e}: {body[:200]!r}"]
    schema = content[media].get("schema")
    if schema is None:
        return []
    errors = sorted(document.validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        out.append(f"schema: at {where}: {e.message[:300]}")
    return out


def check_answer(document: Document, method: str | None, path: str | None, status: int, headers,
                 body: bytes) -> list[str]:
    """What is wrong with an answer to METHOD PATH (path without the query), as readable lines; [] if nothing.
    method/path None: an answer read without its request (pipelined reads): it must fit some response the
    document has for its status."""
    if 100 <= status < 200:
        return []  # interim (100 Continue): not an answer
    content_type = _header(headers, "Content-Type")
    if method is None or path is None:
        candidates = document.responses_for_status(status)
        if not candidates:
            return [f"status {status} is documented nowhere"]
        attempts = [_body_problems(document, r, content_type, body, False) for r in candidates]
        if any(not a for a in attempts):
            return []
        return [f"fits none of the {len(candidates)} documented {status} responses; e.g. {attempts[0][0]}"]

    head = method.upper() == "HEAD"
    kind, template, operation = document.route(method, path)
    if kind == "found":
        where = f"{method.upper()} {template}"
        response = operation["responses"].get(str(status))
    else:
        where = f"{method.upper()} {path} ({kind.replace('_', ' ')})"
        response = document.unrouted.get(str(status))
    if response is None:
        return [f"{where}: status {status} is not documented"]
    problems = []
    for name, header in (response.get("headers") or {}).items():
        if header.get("required") and _header(headers, name) is None:
            problems.append(f"the documented header {name} is missing")
    if status == 405 and kind == "wrong_method":
        allow = _header(headers, "Allow") or ""
        got = sorted(m.strip() for m in allow.split(",") if m.strip())
        want = sorted(document.allowed_methods(path))
        if got != want:
            problems.append(f"Allow {allow!r} but the document has {want} for this path")
    problems += _body_problems(document, response, content_type, body, head)
    return [f"{where} -> {status}: {p}" for p in problems]


class AnswerChecker:
    """Collects the mismatches of every answer it is shown, per test (thread-safe: clients run in threads)."""

    def __init__(self, document: Document):
        self.document = document
        self.lock = threading.Lock()
        self.checked = 0
        self.mismatches: list[str] = []
        self.failed_tests = 0  # tests that failed for a mismatch (conftest counts them)

    def observe(self, method, path, status, headers, body):
        problems = check_answer(self.document, method, path, status, headers, body)
        with self.lock:
            self.checked += 1
            if problems:
                excerpt = body[:300].decode("utf-8", "replace") if body else ""
                self.mismatches.append("; ".join(problems) + f"\n    body: {excerpt!r}")

    def take(self) -> list[str]:
        with self.lock:
            out, self.mismatches = self.mismatches, []
            return out
