# Offline checks of k8s/ (no cluster): every kustomize target renders, every rendered object validates against
# the Kubernetes API schemas (npm kubernetes-models, tests/tools/validate_k8s.mjs), and every invariant of
# manifest_checks.py holds on every overlay. test_manifest_mutations.py shows each check failing when it should.
import json
import subprocess

import pytest

import manifest_checks
from conftest import TARGETS

OVERLAYS = [f"overlays/{name}" for name in manifest_checks.OVERLAYS]
VALIDATOR = manifest_checks.REPO / "tests" / "tools" / "validate_k8s.mjs"


def validate_schemas(objects):
    if not (manifest_checks.REPO / "tests" / "tools" / "node_modules" / "kubernetes-models").is_dir():
        pytest.fail("tests/tools/node_modules/kubernetes-models is missing: bash scripts/install-deps.sh --test")
    return subprocess.run(["node", str(VALIDATOR)], input=json.dumps(objects), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("target", TARGETS)
def test_renders_the_expected_objects(rendered, target):
    kinds = sorted(o["kind"] for o in rendered(target))
    expected = ["PodDisruptionBudget", "Service", "Service", "StatefulSet"]
    assert [k for k in kinds if k not in ("Namespace", "Secret")] == expected


@pytest.mark.parametrize("target", TARGETS)
def test_every_object_matches_the_kubernetes_schema(rendered, target):
    result = validate_schemas(rendered(target))
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.count("valid: ") == len(rendered(target))


@pytest.mark.parametrize("check", sorted(manifest_checks.CHECKS))
@pytest.mark.parametrize("target", TARGETS)
def test_invariant_holds(rendered, target, check):
    problems = manifest_checks.CHECKS[check](rendered(target))
    assert not problems, "\n".join(problems)


# Red until the branches that add what the manifests use are merged: /readyz and TALLY_SHARDS, TALLY_SHARD,
# TALLY_PEER_TEMPLATE (sharding), TALLY_AUTH_FILE (auth), /metrics (metrics). That is the point: a probe of a
# route tallyd does not serve, or a setting it does not read, would fail (or be ignored) in the cluster.
@pytest.mark.parametrize("check", sorted(manifest_checks.TALLYD_CHECKS))
@pytest.mark.parametrize("target", OVERLAYS)
def test_tallyd_invariant_holds(rendered, tallyd_facts, target, check):
    problems = manifest_checks.TALLYD_CHECKS[check](rendered(target), tallyd_facts)
    assert not problems, "\n".join(problems)


def test_image_env_names_are_settings(tallyd_facts):
    names = manifest_checks.dockerfile_env_names()
    assert "TALLY_DATA_DIR" in names  # the parse found the ENV block
    assert sorted(names - tallyd_facts["env"]) == []


def test_overlay_shard_counts(rendered):
    counts = {t: manifest_checks.the_statefulset(rendered(t))["spec"]["replicas"] for t in OVERLAYS}
    assert counts == {"overlays/dev": 1, "overlays/prod": 4}


def test_prod_never_ships_the_placeholder_secret(rendered):
    # Applying it would replace the real keys with none; prod expects tally-auth to exist already.
    assert manifest_checks.of_kind(rendered("overlays/prod"), "Secret") == []
    assert [s["metadata"]["name"] for s in manifest_checks.of_kind(rendered("overlays/dev"), "Secret")] == \
        ["tally-auth"]


def test_overlays_enforce_the_restricted_pod_security_standard(rendered):
    for target in OVERLAYS:
        namespaces = manifest_checks.of_kind(rendered(target), "Namespace")
        assert len(namespaces) == 1
        assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        others = {manifest_checks.namespace_of(o) for o in rendered(target) if o["kind"] != "Namespace"}
        assert others == {namespaces[0]["metadata"]["name"]}
