# Each invariant of manifest_checks.py can fail: a rendered overlay broken on purpose in one place makes exactly
# that check report it (and the unbroken one passes, test_manifests.py). Also: the schema validator refuses a
# wrongly typed field, and a shard count edited on one side only of an overlay's shards.yaml is caught.
import copy
import shutil

import pytest

import manifest_checks as mc
from test_manifests import validate_schemas


def sts_of(objects):
    return mc.the_statefulset(objects)


def container_of(objects):
    return mc.tally_container(sts_of(objects))


def env_var(objects, name):
    return mc.env_of(container_of(objects))[name]


def service(objects, name):
    return [s for s in mc.of_kind(objects, "Service") if s["metadata"]["name"] == name][0]


def set_env_value(name, value):
    def mutate(o):
        env_var(o, name).pop("valueFrom", None)
        env_var(o, name)["value"] = value
    return mutate


def container_sc(o):
    return container_of(o)["securityContext"]


# (check, what breaks, mutation, a phrase the problem must contain)
MUTATIONS = [
    ("service_name_is_headless", "serviceName names the client Service",
     lambda o: sts_of(o)["spec"].update(serviceName="tally"), "not headless"),
    ("service_name_is_headless", "serviceName names nothing",
     lambda o: sts_of(o)["spec"].update(serviceName="peers"), "names no Service"),
    ("service_name_is_headless", "not-ready shards hidden from DNS",
     lambda o: service(o, "tally-peers")["spec"].pop("publishNotReadyAddresses"), "not-ready"),
    ("selectors_match_pods", "pod label renamed",
     lambda o: sts_of(o)["spec"]["template"]["metadata"]["labels"].update({"app.kubernetes.io/name": "x"}),
     "selector does not match"),
    ("selectors_match_pods", "client Service selects other pods",
     lambda o: service(o, "tally")["spec"]["selector"].update({"app.kubernetes.io/component": "web"}),
     "Service tally does not select"),
    ("selectors_match_pods", "PDB selects other pods",
     lambda o: mc.of_kind(o, "PodDisruptionBudget")[0]["spec"]["selector"]["matchLabels"].update(
         {"app.kubernetes.io/name": "other"}), "PodDisruptionBudget tally does not select"),
    ("selectors_match_pods", "PDB lets two shards go",
     lambda o: mc.of_kind(o, "PodDisruptionBudget")[0]["spec"].update(maxUnavailable=2), "exactly one"),
    ("shards_equal_replicas", "replicas changed alone",
     lambda o: sts_of(o)["spec"].update(replicas=sts_of(o)["spec"]["replicas"] + 1), "TALLY_SHARDS is"),
    ("shards_equal_replicas", "shard from the wrong label",
     lambda o: env_var(o, "TALLY_SHARD")["valueFrom"]["fieldRef"].update(fieldPath="metadata.labels['x']"),
     "pod-index label"),
    ("shards_equal_replicas", "ordered pod start",
     lambda o: sts_of(o)["spec"].update(podManagementPolicy="OrderedReady"), "Parallel"),
    ("peer_template_is_headless_dns", "peers via the client Service",
     set_env_value("TALLY_PEER_TEMPLATE", "http://tally-{}.tally:8000"), "headless Service is tally-peers"),
    ("peer_template_is_headless_dns", "peers named after another StatefulSet",
     set_env_value("TALLY_PEER_TEMPLATE", "http://shard-{}.tally-peers:8000"), "not a pod of StatefulSet"),
    ("peer_template_is_headless_dns", "peers on the wrong port",
     set_env_value("TALLY_PEER_TEMPLATE", "http://tally-{}.tally-peers:9000"), "not a port of Service"),
    ("peer_template_is_headless_dns", "peers in another namespace",
     set_env_value("TALLY_PEER_TEMPLATE", "http://tally-{}.tally-peers.elsewhere.svc:8000"), "namespace"),
    ("peer_template_is_headless_dns", "no ordinal placeholder",
     set_env_value("TALLY_PEER_TEMPLATE", "http://tally-0.tally-peers:8000"), "is not http://"),
    ("peer_template_is_headless_dns", "namespace variable used before it is defined",
     lambda o: container_of(o)["env"].sort(key=lambda e: e["name"] != "TALLY_PEER_TEMPLATE"), "POD_NAMESPACE"),
    ("ports_agree", "tallyd listens elsewhere",
     set_env_value("TALLY_PORT", "9000"), "declares no such port"),
    ("ports_agree", "Service targets a wrong port",
     lambda o: service(o, "tally")["spec"]["ports"][0].update(targetPort=9000), "Service tally targets"),
    ("ports_agree", "scrape of a wrong port",
     lambda o: sts_of(o)["spec"]["template"]["metadata"]["annotations"].update({"prometheus.io/port": "9"}),
     "prometheus.io/port"),
    ("ports_agree", "service links injected",
     lambda o: mc.pod_spec(sts_of(o)).pop("enableServiceLinks"), "enableServiceLinks"),
    ("security_context_restricted", "root allowed",
     lambda o: (mc.pod_spec(sts_of(o))["securityContext"].update(runAsNonRoot=False),
                container_sc(o).pop("runAsNonRoot")), "runAsNonRoot"),
    ("security_context_restricted", "writable root filesystem",
     lambda o: container_sc(o).update(readOnlyRootFilesystem=False), "root filesystem is writable"),
    ("security_context_restricted", "privilege escalation",
     lambda o: container_sc(o).pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
    ("security_context_restricted", "a capability added",
     lambda o: container_sc(o)["capabilities"].update(add=["NET_ADMIN"]), "capabilities"),
    ("security_context_restricted", "no seccomp profile",
     lambda o: (container_sc(o).pop("seccompProfile"), mc.pod_spec(sts_of(o))["securityContext"].pop(
         "seccompProfile")), "seccomp"),
    ("security_context_restricted", "host network",
     lambda o: mc.pod_spec(sts_of(o)).update(hostNetwork=True), "hostNetwork"),
    ("security_context_restricted", "another uid than the image's",
     lambda o: container_sc(o).update(runAsUser=1000), "runAsUser 1000"),
    ("storage_and_auth", "data on the container's filesystem",
     set_env_value("TALLY_DATA_DIR", "/data"), "not a mount of a volumeClaimTemplate"),
    ("storage_and_auth", "auth key file somewhere else",
     set_env_value("TALLY_AUTH_FILE", "/etc/keys"), "not a mounted Secret"),
    ("storage_and_auth", "auth Secret mounted by subPath",
     lambda o: [m.update(subPath="keys") for m in container_of(o)["volumeMounts"] if m["name"] == "auth"],
     "subPath"),
    ("lifecycle_sizing", "startup probe too short for a replay",
     lambda o: container_of(o)["startupProbe"].update(failureThreshold=3), "startupProbe allows"),
    ("lifecycle_sizing", "grace period shorter than the final snapshot",
     lambda o: mc.pod_spec(sts_of(o)).update(terminationGracePeriodSeconds=10), "terminationGracePeriodSeconds"),
    ("lifecycle_sizing", "no memory limit",
     lambda o: container_of(o)["resources"]["limits"].pop("memory"), "limits.memory"),
]


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
@pytest.mark.parametrize("check,what,mutate,phrase", MUTATIONS, ids=[m[1] for m in MUTATIONS])
def test_check_fails_on_a_broken_manifest(rendered, overlay, check, what, mutate, phrase):
    objects = copy.deepcopy(rendered(overlay))
    mutate(objects)
    problems = mc.CHECKS[check](objects)
    assert any(phrase in p for p in problems), f"{what}: {check} reported {problems}"


def test_every_check_has_a_mutation():
    assert {m[0] for m in MUTATIONS} == set(mc.CHECKS)


def test_placeholder_secret_with_a_key_is_refused(rendered):
    objects = copy.deepcopy(rendered("overlays/dev"))
    mc.of_kind(objects, "Secret")[0]["stringData"]["keys"] += "billing read,write " + "ab" * 32 + "\n"
    assert any("ships a key entry" in p for p in mc.check_storage_and_auth(objects))


@pytest.mark.parametrize("probe,path", [("livenessProbe", "/nope"), ("readinessProbe", "/healthz"),
                                        ("startupProbe", "/v1/user")])
def test_probe_route_check_fails(rendered, probe, path):
    # With the routes the merged tallyd will have, the checks pass; a wrong path makes them fail.
    facts = {"routes": {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}, "env": set()}
    objects = copy.deepcopy(rendered("overlays/dev"))
    assert mc.check_probes_are_routes(objects, facts) == []
    container_of(objects)[probe]["httpGet"]["path"] = path
    assert mc.check_probes_are_routes(objects, facts) != []
    annotations = sts_of(objects)["spec"]["template"]["metadata"]["annotations"]
    assert mc.check_scrape_path_is_a_route(objects, facts) == []
    annotations["prometheus.io/path"] = "/stats"
    assert mc.check_scrape_path_is_a_route(objects, facts) != []


def test_env_name_check_fails_on_a_misspelt_setting(rendered, tallyd_facts):
    objects = copy.deepcopy(rendered("overlays/prod"))
    merged = {"env": tallyd_facts["env"] | {"TALLY_SHARDS", "TALLY_SHARD", "TALLY_PEER_TEMPLATE", "TALLY_AUTH_FILE"}}
    assert mc.check_env_names_are_settings(objects, merged) == []  # the names the merged tallyd will read
    env_var(objects, "TALLY_DATA_DIR")["name"] = "TALLY_DATADIR"
    assert mc.check_env_names_are_settings(objects, merged) == ["TALLY_DATADIR is not a setting of tallyd "
                                                                "(tallyd --help)"]


def test_schema_validator_refuses_wrong_types(rendered):
    objects = copy.deepcopy(rendered("overlays/prod"))
    sts_of(objects)["spec"]["replicas"] = "4"
    service(objects, "tally")["spec"]["ports"][0]["port"] = "http"
    result = validate_schemas(objects)
    assert result.returncode == 1
    assert "StatefulSet/tally (apps/v1): data/spec/replicas must be integer" in result.stderr
    assert "Service/tally (v1): data/spec/ports/0/port must be integer" in result.stderr


def test_schema_validator_refuses_an_unknown_kind():
    result = validate_schemas([{"apiVersion": "v1", "kind": "Podd", "metadata": {"name": "x"}}])
    assert result.returncode == 1 and "no schema" in result.stderr


# shards.yaml sets replicas and TALLY_SHARDS side by side (kustomize v2.0.3, Debian 12's, cannot derive one from
# the other). In a copy of k8s/, rendered by the real kustomize: both edited render 7 consistent shards; either
# edited alone is refused by the invariant check.
@pytest.mark.parametrize("edit", ["both", "replicas only", "TALLY_SHARDS only"])
def test_shard_count_edit_in_a_copy_of_the_overlay(tmp_path, kubectl, edit):
    shutil.copytree(mc.REPO / "k8s", tmp_path / "k8s", ignore=shutil.ignore_patterns("monitoring"))
    shards = tmp_path / "k8s" / "overlays" / "prod" / "shards.yaml"
    text = shards.read_text()
    assert text.count("replicas: 4\n") == 1 and text.count('value: "4"\n') == 1
    if edit != "TALLY_SHARDS only":
        text = text.replace("replicas: 4\n", "replicas: 7\n")
    if edit != "replicas only":
        text = text.replace('value: "4"\n', 'value: "7"\n')
    shards.write_text(text)
    objects = mc.render("overlays/prod", kubectl, tmp_path / "k8s")
    replicas, count = sts_of(objects)["spec"]["replicas"], env_var(objects, "TALLY_SHARDS")["value"]
    assert (replicas, count) == {"both": (7, "7"), "replicas only": (7, "4"), "TALLY_SHARDS only": (4, "7")}[edit]
    problems = mc.check_shards_equal_replicas(objects)
    if edit == "both":
        assert problems == []
    else:
        assert problems == [f"TALLY_SHARDS is {count!r} but replicas is {replicas}"]
