#!/usr/bin/env python3
"""Mutation testing: applies each mutant (tests/mutants/*.toml, see mutant.py) to a scratch copy of the tree,
builds what its tests need, runs them, and says per mutant whether the tests caught it.

    scripts/mutants.sh [--quick] [--list] [--scratch DIR] [NAME ...]

Results: KILLED (a named test failed or hung), SURVIVED (every named test passed: the invariant is unguarded),
STALE (the snippet no longer matches the code exactly once: update the mutant), BROKEN (the mutant does not
compile), INVALID (the test that failed also fails without the mutant, so it proves nothing). Exit status 0
only if every mutant run was KILLED.

The scratch tree (default /tmp/tally-mutants/<checkout>/src, build dir src/build, reused across mutants and runs
so builds are incremental; ccache serves the first one) is refreshed from the checkout before the run; the
checkout itself is never written. A test that kills a mutant is re-run once without any mutant (cached per run)
to prove it passes there.
"""
from __future__ import annotations

import argparse
import filecmp
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutant import Mutant, MutantFormatError, load_all  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
SKIP_NAMES = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "data"}
JOBS = os.environ.get("MUTANTS_JOBS", "2")


def log(msg: str):
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# the scratch tree
# ---------------------------------------------------------------------------------------------------------------

def skipped(rel: Path) -> bool:
    top = rel.parts[0] if rel.parts else ""
    return top.startswith("build") or any(p in SKIP_NAMES for p in rel.parts)


def sync_tree(src: Path, dst: Path) -> int:
    """Makes dst's files equal to src's (build dirs and caches aside). Changed files get a new mtime, so ninja
    rebuilds what they feed. Returns the number of files written or removed."""
    changed = 0
    wanted: set[Path] = set()
    for root, dirs, files in os.walk(src):
        rel_root = Path(root).relative_to(src)
        dirs[:] = [d for d in dirs if not skipped(rel_root / d)]
        for f in files:
            rel = rel_root / f
            if skipped(rel):
                continue
            wanted.add(rel)
            s, d = src / rel, dst / rel
            if d.is_file() and not d.is_symlink() and filecmp.cmp(s, d, shallow=False):
                continue
            d.parent.mkdir(parents=True, exist_ok=True)
            if d.exists() or d.is_symlink():
                d.unlink()
            shutil.copyfile(s, d)  # content and mode bits only: a fresh mtime
            shutil.copymode(s, d)
            changed += 1
    for root, dirs, files in os.walk(dst):
        rel_root = Path(root).relative_to(dst)
        dirs[:] = [d for d in dirs if not skipped(rel_root / d)]
        for f in files:
            rel = rel_root / f
            if not skipped(rel) and rel not in wanted:
                (dst / rel).unlink()
                changed += 1
    return changed


class Scratch:
    def __init__(self, root: Path):
        self.root = root
        self.src = root / "src"
        self.build = self.src / "build"

    def prepare(self):
        self.src.mkdir(parents=True, exist_ok=True)
        n = sync_tree(REPO, self.src)
        log(f"scratch tree {self.src}: {n} files refreshed from {REPO}")
        if not (self.build / "build.ninja").exists():
            r = run(["meson", "setup", str(self.build), "--buildtype=release"], cwd=self.src, timeout=600)
            if r.returncode != 0:
                raise SystemExit(f"meson setup failed in {self.src}:\n{r.stdout[-5000:]}")

    def ninja(self, targets: list[str], timeout: float = 3600) -> subprocess.CompletedProcess:
        return run(["ninja", "-C", str(self.build), f"-j{JOBS}"] + sorted(set(targets)), cwd=self.src,
                   timeout=timeout)


def run(cmd, cwd: Path, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs cmd with stdout+stderr captured; a timeout comes back as returncode 124 with what was printed."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        return subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True, errors="replace", timeout=timeout,
                              start_new_session=True)
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        return subprocess.CompletedProcess(cmd, 124, out + f"\n[timed out after {timeout:.0f}s]")


# ---------------------------------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------------------------------

def targets_of(test: str) -> list[str]:
    kind, _, rest = test.partition(":")
    if kind == "unit":
        return [f"tests/unit/test_{rest.split(':', 1)[0]}"]
    if kind == "pytest":
        return ["app/tallyd", "recovery/tally-admin"]
    return ["app/tallyd"]


def command_of(test: str, scratch: Scratch) -> tuple[list[str], dict]:
    kind, _, rest = test.partition(":")
    env = {"TALLYD": str(scratch.build / "app" / "tallyd"),
           "TALLY_ADMIN": str(scratch.build / "recovery" / "tally-admin")}
    if kind == "unit":
        binary, _, flt = rest.partition(":")
        cmd = [str(scratch.build / "tests" / "unit" / f"test_{binary}")]
        if flt:
            cmd.append(f"--gtest_filter={flt}")
        return cmd, env
    if kind == "pytest":
        return [PYTHON, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"] + shlex.split(rest), env
    cycles, _, more = rest.partition(":")
    return [PYTHON, str(scratch.src / "recovery" / "crash_runner.py"), "--cycles", cycles, "--clients", "4",
            "--load-seconds", "1.5", "--start-timeout", "30", "--tallyd", env["TALLYD"]] + shlex.split(more), env


def tail(text: str, n: int = 25) -> str:
    return "\n".join(("    " + line) for line in text.rstrip().splitlines()[-n:])


class Runner:
    def __init__(self, scratch: Scratch, args):
        self.scratch = scratch
        self.args = args
        self.baseline: dict[str, tuple[bool, str]] = {}  # test -> (passes without a mutant, output tail)

    def run_test(self, test: str, timeout: float) -> subprocess.CompletedProcess:
        cmd, env = command_of(test, self.scratch)
        return run(cmd, cwd=self.scratch.src, timeout=timeout, env=env)

    def passes_without_mutant(self, test: str, timeout: float) -> tuple[bool, str]:
        if test not in self.baseline:
            b = self.scratch.ninja(targets_of(test))
            if b.returncode != 0:
                self.baseline[test] = (False, "the unmutated tree does not build:\n" + tail(b.stdout))
            else:
                r = self.run_test(test, timeout)
                self.baseline[test] = (r.returncode == 0, tail(r.stdout))
        return self.baseline[test]

    def one(self, m: Mutant) -> tuple[str, str]:
        """(result, detail) for mutant m; the scratch file is restored whatever happens. Tests run in order up to
        the first failure (all of them with --all-tests); a failure counts only if the same test passes without
        the mutant (checked on the restored tree; if it does not, the remaining tests are tried)."""
        path = self.scratch.src / m.file
        if not path.is_file():
            return "STALE", f"{m.file} does not exist"
        original = path.read_text()
        mutated, why = m.apply_to(original)
        if mutated is None:
            return "STALE", why
        killers: list[tuple[str, str, str]] = []  # (test, how, output tail) of each test that failed
        invalid: list[str] = []
        next_test = 0
        while next_test < len(m.tests):
            failed_now = []
            try:
                path.write_text(mutated)
                for i in range(next_test, len(m.tests)):
                    test = m.tests[i]
                    next_test = i + 1
                    b = self.scratch.ninja(targets_of(test))  # only what this test needs: a kill spares the rest
                    if b.returncode != 0:
                        return "BROKEN", "does not compile:\n" + tail(b.stdout, 40)
                    started = time.monotonic()
                    r = self.run_test(test, m.timeout)
                    took = time.monotonic() - started
                    how = "hung (timeout)" if r.returncode == 124 else f"exit {r.returncode}"
                    log(f"    {test}: {'FAILED (' + how + ')' if r.returncode else 'passed'} in {took:.0f}s")
                    if r.returncode != 0:
                        failed_now.append((test, how, tail(r.stdout, 12 if self.args.verbose else 6)))
                        if not self.args.all_tests:
                            break
            finally:
                path.write_text(original)  # a fresh mtime: the next build recompiles it unmutated
            for k in failed_now:
                ok, base_out = self.passes_without_mutant(k[0], m.timeout)
                if ok:
                    killers.append(k)
                else:
                    invalid.append(f"{k[0]} also fails without the mutant:\n{base_out}")
                    log(f"    {k[0]}: fails without the mutant too, so it proves nothing")
            if killers:
                break
        if killers:
            others = [k[0] for k in killers[1:]]
            test, how, out = killers[0]
            return "KILLED", f"by {test} ({how}){' and ' + ', '.join(others) if others else ''}\n{out}"
        if invalid:
            return "INVALID", "\n".join(invalid)
        return "SURVIVED", "every named test passed with the bug planted"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help="mutants to run (default: all, or the quick ones with --quick)")
    p.add_argument("--quick", action="store_true", help="only mutants marked quick = true (CI)")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    p.add_argument("--all-tests", action="store_true", help="run every named test, not only up to the first kill")
    p.add_argument("--scratch", default=os.environ.get("MUTANTS_SCRATCH"),
                   help="scratch dir (default /tmp/tally-mutants/<checkout>)")
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args(argv)
    try:
        mutants = load_all()
    except MutantFormatError as e:
        log(f"mutants: {e}")
        return 2
    by_name = {m.name: m for m in mutants}
    unknown = [n for n in a.names if n not in by_name]
    if unknown:
        log(f"mutants: unknown {', '.join(unknown)}; known: {', '.join(by_name)}")
        return 2
    chosen = [by_name[n] for n in a.names] if a.names else [m for m in mutants if m.quick or not a.quick]
    if a.list:
        for m in chosen:
            log(f"{m.name:34} {'quick ' if m.quick else '      '}{m.file:32} {m.invariant}")
        return 0
    tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:8]
    scratch = Scratch(Path(a.scratch) if a.scratch else Path("/tmp/tally-mutants") / f"{REPO.name}-{tag}")
    started = time.monotonic()
    scratch.prepare()
    runner = Runner(scratch, a)
    # Unit tests are cheap: prove them green without any mutant first, in one build.
    units = sorted({t for m in chosen for t in m.tests if t.startswith("unit:")})
    if units:
        t0 = time.monotonic()
        b = scratch.ninja([t for test in units for t in targets_of(test)])
        if b.returncode != 0:
            log(f"the unmutated tree does not build:\n{tail(b.stdout, 40)}")
            return 1
        for test in units:
            ok, out = runner.passes_without_mutant(test, 300)
            if not ok:
                log(f"  baseline: {test} FAILS without any mutant:\n{out}")
        log(f"baseline: {sum(runner.baseline[t][0] for t in units)}/{len(units)} unit test commands pass without "
            f"a mutant [{time.monotonic() - t0:.0f}s]")
    results = []
    for i, m in enumerate(chosen, 1):
        log(f"[{i}/{len(chosen)}] {m.name}: {m.invariant} ({m.file})")
        t0 = time.monotonic()
        result, detail = runner.one(m)
        took = time.monotonic() - t0
        results.append((m, result, detail, took))
        first, _, rest = detail.partition("\n")
        log(f"  => {result} {first} [{took:.0f}s]")
        if rest and (result != "KILLED" or a.verbose):
            log(rest)
    log("=" * 110)
    log(f"{'mutant':34} {'result':9} {'time':>6}  invariant / caught by")
    for m, result, detail, took in results:
        first = detail.partition("\n")[0]
        log(f"{m.name:34} {result:9} {took:5.0f}s  {m.invariant}")
        log(f"{'':34} {'':9} {'':6}  {first}")
    counts = {k: sum(1 for r in results if r[1] == k) for k in ("KILLED", "SURVIVED", "STALE", "BROKEN", "INVALID")}
    log(f"TOTAL {len(results)} mutants: " + ", ".join(f"{v} {k.lower()}" for k, v in counts.items()) +
        f" in {time.monotonic() - started:.0f}s")
    return 0 if counts["KILLED"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
