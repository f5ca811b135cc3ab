# k8s/ must render the same with Debian 12's kubectl 1.20 (built-in kustomize v2.0.3, what
# scripts/install-deps.sh --test installs when no kubectl is present) and with a current one (kustomize v5).
# Always: every kustomization uses only fields v2.0.3 knows, in the form it reads. With a second kubectl named by
# K8S_SECOND_KUBECTL (e.g. Debian's, unpacked: apt-get download kubernetes-client && dpkg -x ... /tmp/kc, then
# K8S_SECOND_KUBECTL=/tmp/kc/usr/bin/kubectl): both render every target to the same objects.
import os
import subprocess

import pytest
import yaml

import manifest_checks as mc
from conftest import TARGETS

# The Kustomization fields of kustomize v2.0.3 that these manifests may use. Newer ones (labels, replicas,
# replacements, patches with targets, components) are refused by v2.0.3 ("json: unknown field"), and `patches`
# there means a list of strategic-merge file names.
KUSTOMIZE_2_FIELDS = {"apiVersion", "kind", "namespace", "namePrefix", "nameSuffix", "commonLabels",
                      "commonAnnotations", "resources", "bases", "images", "patchesStrategicMerge",
                      "patchesJson6902", "configMapGenerator", "secretGenerator", "generatorOptions", "vars"}


def kustomizations():
    return sorted((mc.REPO / "k8s").rglob("kustomization.yaml"))


def test_kustomizations_use_only_what_kustomize_2_reads():
    assert len(kustomizations()) == 1 + len(mc.OVERLAYS)
    for path in kustomizations():
        spec = yaml.safe_load(path.read_text())
        where = path.relative_to(mc.REPO)
        assert sorted(set(spec) - KUSTOMIZE_2_FIELDS) == [], f"{where}: fields kustomize v2.0.3 refuses"
        # v2.0.3 loads only files from resources ("must be a file"): another kustomization goes under bases.
        for entry in spec.get("resources", []):
            assert (path.parent / entry).is_file(), f"{where}: resource {entry} is not a file (use bases:)"
        for entry in spec.get("bases", []):
            assert (path.parent / entry / "kustomization.yaml").is_file(), f"{where}: base {entry}"
        # $patch: delete is avoided too: v2.0.3 leaves an empty object behind and blanks references to the
        # deleted object's name (a pod's secretName became "").
        for entry in spec.get("patchesStrategicMerge", []):
            assert "$patch: delete" not in (path.parent / entry).read_text(), f"{where}: {entry}"


def canonical(objects):
    """The objects in a fixed order: v2.0.3 and v5 print the same kinds in the same order, but two objects of
    one kind not always (the Services tally-peers and tally)."""
    return sorted(objects, key=lambda o: (o["kind"], o["metadata"]["name"]))


@pytest.mark.parametrize("target", TARGETS)
def test_a_second_kubectl_renders_the_same_objects(rendered, target):
    second = os.environ.get("K8S_SECOND_KUBECTL")
    if not second:
        pytest.skip("K8S_SECOND_KUBECTL (a second kubectl to compare with, e.g. Debian's 1.20) is not set")
    version = subprocess.run([second, "version", "--client"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    objects = rendered(target)
    assert len(objects) >= 4
    assert canonical(mc.render(target, second)) == canonical(objects)
