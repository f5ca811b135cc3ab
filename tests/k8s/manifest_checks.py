# The invariants Tally's Kubernetes manifests must keep, as functions over rendered objects (a list of dicts, one
# per Kubernetes object, as `kubectl kustomize` prints them). Each check returns a list of problems (empty: it
# holds); test_manifests.py runs every check on every overlay, test_manifest_mutations.py shows each one failing
# on a manifest broken on purpose. No cluster: this is what can be known offline.
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")

# Replaying 10M transactions took ~15 s at worst on the 2-core test machine (README: 5.1 s from the WAL); the
# startup probe must allow ten times that before the kubelet restarts a pod that is still replaying.
REPLAY_10M_SECONDS = 15
STARTUP_MARGIN = 10
# SIGTERM: drain 10 s + final answers 2 s (ledger/limits.hpp) + the final snapshot (README: allow 30 s or more).
GRACE_SECONDS_MIN = 30
IMAGE_UID = 10001  # the user k8s/Dockerfile creates
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
SHARD_ENV_NAMES = ("TALLY_SHARDS", "TALLY_SHARD", "TALLY_PEER_TEMPLATE", "TALLY_PORT", "TALLY_DATA_DIR",
                   "TALLY_AUTH_FILE")


def render(target, kubectl="kubectl", root=REPO / "k8s"):
    """`kubectl kustomize` of <root>/<target> (an overlay path like overlays/dev), parsed into objects."""
    import yaml
    result = subprocess.run([kubectl, "kustomize", str(root / target)], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"{kubectl} kustomize {root / target} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def tallyd_facts(tallyd=None):
    """What the manifests may rely on, from the tallyd under test (else from the sources): its routes as
    {(method, path)} (`tallyd --print-routes`, rest/route_table.hpp) and its settings' environment variables
    (`tallyd --help` prints "(Env:TALLY_PORT)"; app/config.cpp names them in envname("...")."""
    if tallyd:
        def output(flag):
            return subprocess.run([tallyd, flag], capture_output=True, text=True, check=True, timeout=30).stdout
        routes = {tuple(line.split()[:2]) for line in output("--print-routes").splitlines() if line.strip()}
        env = set(re.findall(r"\(Env:([A-Z0-9_]+)\)", output("--help")))
    else:
        table = (REPO / "rest" / "route_table.hpp").read_text()
        routes = set(re.findall(r'\{"([A-Z]+)", "(/[^"]*)", RouteId::', table))
        env = set(re.findall(r'envname\("([A-Z0-9_]+)"\)', (REPO / "app" / "config.cpp").read_text()))
    return {"routes": routes, "env": env}


def dockerfile_env_names():
    """The TALLY_* names the image sets with ENV (k8s/Dockerfile)."""
    return set(re.findall(r"\b(TALLY_[A-Z0-9_]+)=", (REPO / "k8s" / "Dockerfile").read_text()))


# --- helpers ------------------------------------------------------------------------------------------------


def of_kind(objects, kind):
    return [o for o in objects if o.get("kind") == kind]


def the_statefulset(objects):
    sets = of_kind(objects, "StatefulSet")
    if len(sets) != 1:
        raise AssertionError(f"expected one StatefulSet, found {len(sets)}")
    return sets[0]


def pod_spec(sts):
    return sts["spec"]["template"]["spec"]


def tally_container(sts):
    containers = pod_spec(sts)["containers"]
    if len(containers) != 1:
        raise AssertionError(f"expected one container, found {len(containers)}")
    return containers[0]


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def selects(selector, labels):
    """A Service-style {k: v} selector or a LabelSelector's matchLabels picks these labels."""
    wanted = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    if "matchExpressions" in selector:
        return False  # not used by these manifests: treat as a mismatch to be looked at
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def namespace_of(obj):
    return obj.get("metadata", {}).get("namespace", "")


def container_port(container, port):
    """A probe's or Service's port (a number or a port name) as the container's port number, or None."""
    for p in container.get("ports", []):
        if port in (p.get("name"), p.get("containerPort")):
            return p["containerPort"]
    return None


def headless_service(objects, sts):
    named = [s for s in of_kind(objects, "Service") if s["metadata"]["name"] == sts["spec"].get("serviceName")]
    return named[0] if named else None


# --- the checks ---------------------------------------------------------------------------------------------


def check_service_name_is_headless(objects):
    sts = the_statefulset(objects)
    svc = headless_service(objects, sts)
    if svc is None:
        return [f"serviceName {sts['spec'].get('serviceName')!r} names no Service"]
    problems = []
    if svc["spec"].get("clusterIP") != "None":
        problems.append(f"Service {svc['metadata']['name']} is not headless (clusterIP: None)")
    if svc["spec"].get("publishNotReadyAddresses") is not True:
        problems.append(f"Service {svc['metadata']['name']} does not publish not-ready addresses")
    if namespace_of(svc) != namespace_of(sts):
        problems.append("the headless Service and the StatefulSet are in different namespaces")
    return problems


def check_selectors_match_pods(objects):
    sts = the_statefulset(objects)
    labels = sts["spec"]["template"]["metadata"].get("labels", {})
    problems = []
    if not selects(sts["spec"]["selector"], labels):
        problems.append("the StatefulSet's selector does not match its pod template's labels")
    for svc in of_kind(objects, "Service"):
        if not selects(svc["spec"].get("selector", {}), labels):
            problems.append(f"Service {svc['metadata']['name']} does not select the Tally pods")
    pdbs = of_kind(objects, "PodDisruptionBudget")
    if len(pdbs) != 1:
        problems.append(f"expected one PodDisruptionBudget, found {len(pdbs)}")
    for pdb in pdbs:
        if not selects(pdb["spec"].get("selector", {}), labels):
            problems.append(f"PodDisruptionBudget {pdb['metadata']['name']} does not select the Tally pods")
        if pdb["spec"].get("maxUnavailable") != 1 or "minAvailable" in pdb["spec"]:
            problems.append("the PodDisruptionBudget must allow exactly one pod down (maxUnavailable: 1)")
        if namespace_of(pdb) != namespace_of(sts):
            problems.append("the PodDisruptionBudget is in another namespace than the pods")
    return problems


def check_probes_are_routes(objects, facts):
    known_routes = facts["routes"]
    container = tally_container(the_statefulset(objects))
    problems = []
    for probe_name, wanted_path in (("startupProbe", "/readyz"), ("readinessProbe", "/readyz"),
                                    ("livenessProbe", "/healthz")):
        probe = container.get(probe_name)
        if not probe or "httpGet" not in probe:
            problems.append(f"{probe_name} is missing or not an HTTP GET")
            continue
        path = probe["httpGet"].get("path", "")
        if ("GET", path) not in known_routes:
            problems.append(f"{probe_name} GETs {path}, which is not a route of tallyd (tallyd --print-routes)")
        if path != wanted_path:
            problems.append(f"{probe_name} should GET {wanted_path} (live vs ready are separate), not {path}")
    return problems


def check_scrape_path_is_a_route(objects, facts):
    known_routes = facts["routes"]
    template = the_statefulset(objects)["spec"]["template"]
    annotations = template["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true":
        return ["the pods are not marked for scraping (prometheus.io/scrape: \"true\")"]
    path = annotations.get("prometheus.io/path", "/metrics")
    if ("GET", path) not in known_routes:
        return [f"prometheus.io/path {path} is not a route of tallyd (tallyd --print-routes)"]
    return []


def check_env_names_are_settings(objects, facts):
    """Every TALLY_* variable the pod sets is one tallyd reads (a misspelt name would be silently ignored)."""
    env = env_of(tally_container(the_statefulset(objects)))
    unknown = sorted(name for name in env if name.startswith("TALLY_") and name not in facts["env"])
    return [f"{name} is not a setting of tallyd (tallyd --help)" for name in unknown]


def check_shards_equal_replicas(objects):
    sts = the_statefulset(objects)
    env = env_of(tally_container(sts))
    shards = env.get("TALLY_SHARDS", {}).get("value")
    problems = []
    if shards != str(sts["spec"].get("replicas", 1)):
        problems.append(f"TALLY_SHARDS is {shards!r} but replicas is {sts['spec'].get('replicas', 1)}")
    shard = env.get("TALLY_SHARD")
    if shard is not None:  # else tallyd takes it from the host name, tally-K
        field = shard.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if field != f"metadata.labels['{POD_INDEX_LABEL}']":
            problems.append(f"TALLY_SHARD must come from the pod-index label, not {shard}")
    if sts["spec"].get("podManagementPolicy") != "Parallel":
        problems.append("podManagementPolicy must be Parallel (shards are peers)")
    return problems


def check_peer_template_is_headless_dns(objects):
    """http://<sts>-{}.<headless service>[.<namespace>[.svc[.cluster.local]]]:<port>: a pod's own DNS name."""
    sts = the_statefulset(objects)
    container = tally_container(sts)
    env_list = container.get("env", [])
    env = env_of(container)
    template = env.get("TALLY_PEER_TEMPLATE", {}).get("value", "")
    svc = headless_service(objects, sts)
    if svc is None:
        return ["no headless Service for the peer template to name"]
    match = re.fullmatch(r"http://([a-z0-9-]+)-\{\}\.([a-z0-9-]+)((?:\.[^.:/]+)*):(\d+)", template)
    if not match:
        return [f"TALLY_PEER_TEMPLATE {template!r} is not http://<pod>-{{}}.<service>...:<port>"]
    pod_prefix, service, suffix, port = match.group(1), match.group(2), match.group(3), int(match.group(4))
    problems = []
    if pod_prefix != sts["metadata"]["name"]:
        problems.append(f"peer host {pod_prefix}-K is not a pod of StatefulSet {sts['metadata']['name']}")
    if service != svc["metadata"]["name"]:
        problems.append(f"peer host names Service {service}, the headless Service is {svc['metadata']['name']}")
    namespace = suffix.split(".")[1] if suffix else ""
    if namespace == "$(POD_NAMESPACE)":
        names = [e["name"] for e in env_list]
        defined = env.get("POD_NAMESPACE", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if defined != "metadata.namespace" or names.index("POD_NAMESPACE") > names.index("TALLY_PEER_TEMPLATE"):
            problems.append("$(POD_NAMESPACE) must be defined from metadata.namespace before TALLY_PEER_TEMPLATE")
    elif namespace and namespace != namespace_of(svc):
        problems.append(f"peer host names namespace {namespace}, the Service is in {namespace_of(svc)!r}")
    if suffix and suffix.split(".", 2)[2:] not in ([], ["svc"], ["svc.cluster.local"]):
        problems.append(f"peer host suffix {suffix!r} is not .<namespace>[.svc[.cluster.local]]")
    service_ports = {p["port"] for p in svc["spec"].get("ports", [])}
    if port not in service_ports:
        problems.append(f"peer port {port} is not a port of Service {svc['metadata']['name']} {service_ports}")
    return problems


def check_ports_agree(objects):
    sts = the_statefulset(objects)
    container = tally_container(sts)
    env = env_of(container)
    listen = int(env.get("TALLY_PORT", {}).get("value", "8000"))  # tallyd's default port is 8000
    problems = []
    if container_port(container, listen) is None:
        problems.append(f"tallyd listens on {listen} (TALLY_PORT) but the container declares no such port")
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        port = container.get(probe_name, {}).get("httpGet", {}).get("port")
        if port is not None and container_port(container, port) != listen:
            problems.append(f"{probe_name} probes port {port}, tallyd listens on {listen}")
    for svc in of_kind(objects, "Service"):
        for p in svc["spec"].get("ports", []):
            if container_port(container, p.get("targetPort", p["port"])) != listen:
                problems.append(f"Service {svc['metadata']['name']} targets {p.get('targetPort')}, not {listen}")
    scrape_port = sts["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/port")
    if scrape_port is not None and scrape_port != str(listen):
        problems.append(f"prometheus.io/port {scrape_port} is not tallyd's port {listen}")
    if pod_spec(sts).get("enableServiceLinks", True):
        problems.append("enableServiceLinks must be false: a Service named tally injects TALLY_PORT=tcp://...")
    return problems


def check_security_context_restricted(objects):
    sts = the_statefulset(objects)
    spec = pod_spec(sts)
    pod = spec.get("securityContext", {})
    problems = []
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            problems.append(f"{host} is on")
    for volume in spec.get("volumes", []):
        if "hostPath" in volume:
            problems.append(f"volume {volume['name']} is a hostPath")
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        sc = {**{k: pod[k] for k in ("runAsNonRoot", "runAsUser", "seccompProfile") if k in pod},
              **c.get("securityContext", {})}
        who = f"container {c['name']}"
        if sc.get("runAsNonRoot") is not True:
            problems.append(f"{who}: runAsNonRoot is not true")
        if sc.get("runAsUser") != IMAGE_UID:
            problems.append(f"{who}: runAsUser {sc.get('runAsUser')} is not the image's uid {IMAGE_UID}")
        if c.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
            problems.append(f"{who}: allowPrivilegeEscalation is not false")
        if c.get("securityContext", {}).get("privileged"):
            problems.append(f"{who}: privileged")
        if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
            problems.append(f"{who}: the root filesystem is writable")
        caps = c.get("securityContext", {}).get("capabilities", {})
        if "ALL" not in caps.get("drop", []) or caps.get("add"):
            problems.append(f"{who}: capabilities are not drop [ALL] with nothing added")
        if sc.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{who}: no RuntimeDefault seccomp profile")
    if pod.get("fsGroup") != IMAGE_UID:
        problems.append(f"fsGroup {pod.get('fsGroup')} is not {IMAGE_UID}: the volume would not be writable")
    return problems


def check_storage_and_auth(objects):
    """Data on the claim template's volume at TALLY_DATA_DIR; the key file from a Secret with no real key."""
    sts = the_statefulset(objects)
    container = tally_container(sts)
    env = env_of(container)
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
    problems = []
    data_dir = env.get("TALLY_DATA_DIR", {}).get("value")
    claims = {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])}
    if data_dir not in mounts or mounts[data_dir]["name"] not in claims:
        problems.append(f"TALLY_DATA_DIR {data_dir} is not a mount of a volumeClaimTemplate {claims}")
    auth_file = env.get("TALLY_AUTH_FILE", {}).get("value", "")
    auth_dir, _, key = auth_file.rpartition("/")
    mount = mounts.get(auth_dir)
    volumes = {v["name"]: v for v in pod_spec(sts).get("volumes", [])}
    secret_name = volumes.get(mount["name"], {}).get("secret", {}).get("secretName") if mount else None
    if not secret_name:
        return problems + [f"TALLY_AUTH_FILE {auth_file!r}: its directory is not a mounted Secret"]
    if not mount.get("readOnly") or "subPath" in mount:
        problems.append("the auth Secret must be mounted read-only and whole (a subPath is never updated)")
    for secret in of_kind(objects, "Secret"):
        if secret["metadata"]["name"] != secret_name:
            continue
        text = (secret.get("stringData") or {}).get(key)
        if text is None:
            problems.append(f"Secret {secret_name} has no stringData key {key!r}")
        elif any(line.strip() and not line.strip().startswith("#") for line in text.splitlines()):
            problems.append(f"Secret {secret_name} ships a key entry: the placeholder must hold none")
        if secret.get("data"):
            problems.append(f"Secret {secret_name} ships data: the placeholder must hold no key")
    return problems


def check_lifecycle_sizing(objects):
    sts = the_statefulset(objects)
    container = tally_container(sts)
    spec = pod_spec(sts)
    problems = []
    startup = container.get("startupProbe", {})
    budget = startup.get("failureThreshold", 3) * startup.get("periodSeconds", 10)
    if budget < REPLAY_10M_SECONDS * STARTUP_MARGIN:
        problems.append(f"startupProbe allows {budget} s, replaying 10M transactions needs "
                        f">= {REPLAY_10M_SECONDS} s x {STARTUP_MARGIN}")
    if spec.get("terminationGracePeriodSeconds", 30) < GRACE_SECONDS_MIN:
        problems.append(f"terminationGracePeriodSeconds < {GRACE_SECONDS_MIN}: the final snapshot needs it")
    resources = container.get("resources", {})
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(kind, {}):
                problems.append(f"no {kind}.{resource}")
    return problems


CHECKS = {
    "service_name_is_headless": check_service_name_is_headless,
    "selectors_match_pods": check_selectors_match_pods,
    "shards_equal_replicas": check_shards_equal_replicas,
    "peer_template_is_headless_dns": check_peer_template_is_headless_dns,
    "ports_agree": check_ports_agree,
    "security_context_restricted": check_security_context_restricted,
    "storage_and_auth": check_storage_and_auth,
    "lifecycle_sizing": check_lifecycle_sizing,
}
# Checks against the tallyd under test: red until the branches adding /readyz and the shard settings
# (sharding), TALLY_AUTH_FILE (auth) and /metrics (metrics) are merged.
TALLYD_CHECKS = {
    "probes_are_routes": check_probes_are_routes,
    "scrape_path_is_a_route": check_scrape_path_is_a_route,
    "env_names_are_settings": check_env_names_are_settings,
}
