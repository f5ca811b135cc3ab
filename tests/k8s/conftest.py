# Fixtures for the offline Kubernetes checks: each kustomize target rendered once per session, and tallyd's routes.
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest_checks  # noqa: E402

TARGETS = ("base",) + tuple(f"overlays/{name}" for name in manifest_checks.OVERLAYS)


@pytest.fixture(scope="session")
def kubectl():
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl (with its built-in kustomize) is not installed: run `bash scripts/install-deps.sh "
                    "--test` (it installs Debian's kubernetes-client when no kubectl is on PATH)")
    return "kubectl"


@pytest.fixture(scope="session")
def rendered(kubectl):
    cache = {}

    def render(target):
        if target not in cache:
            cache[target] = manifest_checks.render(target)
        return cache[target]
    return render


@pytest.fixture(scope="session")
def tallyd_facts():
    """Routes and settings of the tallyd under test (TALLYD, as meson passes it; else ./build/app/tallyd), else
    read from the sources."""
    tallyd = os.environ.get("TALLYD") or str(manifest_checks.REPO / "build" / "app" / "tallyd")
    return manifest_checks.tallyd_facts(tallyd if os.access(tallyd, os.X_OK) else None)
