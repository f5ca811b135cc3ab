#!/usr/bin/env python3
"""Size report for reviewers: the files and functions over the project's size rules (HELPER_RULES: files under ~400
lines, functions under ~70). It lists C++, Python and shell files over --file-lines lines, C++ functions over
--function-lines lines (found by a brace-matching scan) and Python functions over the same bound (from the ast).
It always exits 0: a report to read, not a CI gate (a "~" rule has exceptions a reviewer may accept).

    /usr/bin/python3 scripts/size_report.py                 # the whole tree (git's files, untracked ones included)
    /usr/bin/python3 scripts/size_report.py feed relay      # only under these folders

Lines are physical lines (comments and blank lines count, as a reader sees them). A function's length runs from
the first line of its head (the text after the previous ';', '{' or '}', so a template line or an attribute counts,
a comment above it does not) to its closing brace.

Limits of the C++ scan (it is not a parser): comments, string and character literals (raw strings included, digit
separators recognised) and preprocessor lines are blanked first; then a '{' outside any function opens a function
when the text before it ends like a function head: ')' then qualifiers (const, noexcept, override, final, &, ->
type), or a constructor's initializer list. Not found: a function whose head a macro hides (TEST(...) bodies of
GoogleTest are found, as functions named TEST), a function inside a function's local class (its length counts to
the enclosing one), bodies that #if branches open or close unevenly. Lambdas assigned at namespace scope count as
functions named after the variable; lambdas inside a function count toward that function.
"""
from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FILE_LINES_MAX = 400
FUNCTION_LINES_MAX = 70
CPP_SUFFIXES = {".cpp", ".cc", ".hpp", ".h"}
PY_SUFFIXES = {".py"}
SHELL_SUFFIXES = {".sh"}

# a function head ends in ')' and qualifiers, or in a constructor's initializer list
HEAD_QUALIFIERS = r"(?:\s|const\b|noexcept\b(?:\([^()]*\))?|override\b|final\b|mutable\b|&|->\s*[\w:<>,\s*&]+)*"
FUNCTION_HEAD = re.compile(r"\)" + HEAD_QUALIFIERS + r"$")
CTOR_INIT = re.compile(r"\)\s*(?:noexcept\s*)?:(?!:)")
SCOPE_HEAD = re.compile(r"^(?:template\s*<.*>\s*)?(?:namespace|extern|class|struct|union|enum)\b", re.S)
NAME_BEFORE_PAREN = re.compile(r"((?:[\w:~]+::)?(?:operator\s*(?:\(\)|[^\s(]+)|[\w~]+))\s*\(")


def source_files(roots: list[str]) -> list[Path]:
    """git's files (tracked, and untracked but not ignored), or every file if this is not a git checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", *roots],
                             cwd=REPO_ROOT, check=True, capture_output=True).stdout.decode()
        names = sorted({n for n in out.split("\0") if n})
    except (OSError, subprocess.CalledProcessError):
        bases = [REPO_ROOT / r for r in roots] or [REPO_ROOT]
        names = sorted(str(p.relative_to(REPO_ROOT)) for b in bases for p in b.rglob("*") if p.is_file())
    wanted = CPP_SUFFIXES | PY_SUFFIXES | SHELL_SUFFIXES
    return [Path(n) for n in names if Path(n).suffix in wanted and (REPO_ROOT / n).is_file()]


# ------------------------------------------------------------------------------------------------------------
# C++: blank what is not code, then match braces
# ------------------------------------------------------------------------------------------------------------

def blank(text: str) -> str:
    """text with comments, literals and preprocessor lines replaced by spaces (newlines kept, so lines stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            j = i
            while j < n and (text[j] != "\n" or text[j - 1] == "\\"):
                j += 1
            out.append(_spaces(text[i:j]))
            i = j
            continue
        if c == "\n":
            line_start = True
        elif not c.isspace():
            line_start = False
        j = _skip_non_code(text, i)
        if j > i:
            out.append(_spaces(text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _skip_non_code(text: str, i: int) -> int:
    """The end of a comment or literal starting at i, or i if none starts there."""
    c, n = text[i], len(text)
    nxt = text[i + 1] if i + 1 < n else ""
    if c == "/" and nxt == "/":
        j = text.find("\n", i)
        return n if j < 0 else j
    if c == "/" and nxt == "*":
        j = text.find("*/", i + 2)
        return n if j < 0 else j + 2
    if c == "R" and nxt == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
        m = re.match(r'R"([^()\\\s]{0,16})\(', text[i:])
        if m:
            j = text.find(")" + m.group(1) + '"', i + m.end())
            return n if j < 0 else j + len(m.group(1)) + 2
    if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum() and nxt.isalnum())):
        j = i + 1
        while j < n and text[j] != c and text[j] != "\n":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    return i


def _spaces(s: str) -> str:
    return re.sub(r"[^\n]", " ", s)


def head_kind(head: str) -> str:
    """What a '{' after this text opens outside functions: "function", "scope" (namespace/class) or "other"."""
    h = head.strip()
    if not h:
        return "other"
    if SCOPE_HEAD.match(h) and not FUNCTION_HEAD.search(h):
        return "scope"
    if FUNCTION_HEAD.search(h) or (CTOR_INIT.search(h) and h.endswith("}")):
        return "function"
    return "other"


def function_name(head: str) -> str:
    flat = " ".join(head.split())
    m = NAME_BEFORE_PAREN.search(flat)
    if m and m.group(1).split("::")[-1] in ("[]", ""):
        m = None
    lam = re.search(r"(\w+)\s*=\s*\[", flat)
    if lam:
        return lam.group(1) + " (lambda)"
    return m.group(1) if m else flat[:60]


def cpp_functions(text: str) -> list[tuple[str, int, int]]:
    """(name, first line, line count) of each function defined outside another function."""
    code = blank(text)
    line_at = _line_index(code)
    found = []
    stack: list[tuple[str, int, str]] = []  # (kind, first line, name)
    seg = 0
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == ";":
            seg = i + 1
        elif c == "{":
            in_function = any(k == "function" for k, _, _ in stack)
            head = code[seg:i]
            if not in_function and CTOR_INIT.search(head) and re.search(r"[\w>]\s*$", head) \
                    and head_kind(head) != "function":
                i = _matching_brace(code, i) + 1  # a member's brace initializer inside an initializer list
                continue
            kind = "other" if in_function else head_kind(head)
            first = line_at(seg + len(head) - len(head.lstrip()))
            stack.append((kind, first, function_name(head) if kind == "function" else ""))
            seg = i + 1
        elif c == "}":
            if stack:
                kind, first, name = stack.pop()
                if kind == "function":
                    found.append((name, first, line_at(i) - first + 1))
            seg = i + 1
        i += 1
    return found


def _matching_brace(code: str, i: int) -> int:
    depth = 0
    for j in range(i, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def _line_index(text: str):
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_at(pos: int) -> int:
        lo, hi = 0, len(starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo + 1

    return line_at


def python_functions(text: str) -> list[tuple[str, int, int]]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append((node.name, first, node.end_lineno - first + 1))
    return out


# ------------------------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------------------------

def report(roots: list[str], file_max: int, function_max: int) -> None:
    big_files, long_functions = [], []
    for rel in source_files(roots):
        text = (REPO_ROOT / rel).read_text(errors="replace")
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > file_max:
            big_files.append((lines, str(rel)))
        if rel.suffix in CPP_SUFFIXES:
            functions = cpp_functions(text)
        elif rel.suffix in PY_SUFFIXES:
            functions = python_functions(text)
        else:
            continue
        long_functions += [(count, f"{rel}:{first}", name) for name, first, count in functions if count > function_max]
    print(f"Files over {file_max} lines (C++, Python, shell): {len(big_files)}")
    for lines, rel in sorted(big_files, reverse=True):
        print(f"  {lines:6d}  {rel}")
    print(f"Functions over {function_max} lines (C++ by brace matching, Python by ast): {len(long_functions)}")
    for count, where, name in sorted(long_functions, reverse=True):
        print(f"  {count:6d}  {where}  {name}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("roots", nargs="*", help="folders or files to report on (default: the whole tree)")
    p.add_argument("--file-lines", type=int, default=FILE_LINES_MAX, help="report files longer than this")
    p.add_argument("--function-lines", type=int, default=FUNCTION_LINES_MAX, help="report functions longer than this")
    a = p.parse_args(argv)
    report(a.roots, a.file_lines, a.function_lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
