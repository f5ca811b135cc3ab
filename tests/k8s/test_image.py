# The container image (k8s/Dockerfile), built and run on this machine: scripts/image.sh builds it with buildah
# (base image from debootstrap, no registry), then tallyd runs from it on a free loopback port with its data in a
# temporary volume, as the image's own non-root user, and answers real requests; SIGTERM stops it cleanly, also
# as PID 1 of its own PID namespace (as in a pod), and a restart finds the money. The image holds no compiler.
# Slow (it compiles Tally in a chroot): meson suite "image", opt-in (meson test -C build --setup image --suite image).
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("TALLY_IMAGE", "localhost/tally:dev")
UID = 10001
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
# Nothing that compiles or links may be in the runtime image.
COMPILERS = ("gcc", "g++", "cc", "c++", "cpp", "clang", "clang++", "as", "ld", "make", "x86_64-linux-gnu-gcc-12",
             "meson", "ninja", "node", "npm", "capnp")


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=kw.pop("timeout", 120), **kw)


@pytest.fixture(scope="module")
def image():
    started = time.monotonic()
    result = subprocess.run(["bash", str(REPO / "scripts" / "image.sh")], capture_output=True, text=True,
                            timeout=3300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    print(f"scripts/image.sh: {time.monotonic() - started:.0f} s; {result.stdout.strip().splitlines()[-1]}")
    return IMAGE


@pytest.fixture(scope="module")
def container(image):
    name = f"tally-image-test-{uuid.uuid4().hex[:8]}"
    run("buildah", "from", "--name", name, image)
    yield name
    subprocess.run(["buildah", "rm", name], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def rootfs(container):
    path = Path(run("buildah", "mount", container).stdout.strip())
    yield path
    subprocess.run(["buildah", "umount", container], capture_output=True, timeout=120)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendant_named(root_pid, name):
    """The pid of the process called `name` below root_pid (buildah's chroot isolation has no PID namespace)."""
    children = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(status.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == name:
                    return child
            except OSError:
                pass
            todo.append(child)
    return None


def process_uid(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


class Server:
    """tallyd started by `command` (a list), listening on `port`; its output in `log`."""

    def __init__(self, command, port, log):
        self.port, self.log_path = port, log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"exited {self.proc.returncode}: {Path(log).read_text()[-3000:]}"
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise AssertionError(f"not ready in {READY_TIMEOUT_S} s: {Path(log).read_text()[-3000:]}")

    def output(self):
        return Path(self.log_path).read_text()

    def terminate(self, pid):
        """SIGTERM to tallyd's own pid (buildah run would SIGKILL its child); the launcher's exit status."""
        os.kill(pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


def money_round_trip(base):
    user = requests.post(base + "/v1/user", json={"name": "image"}, timeout=10)
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    for amount in ("12.34", "0.66"):
        r = requests.put(base + "/v1/transaction", timeout=10, json={
            "uid": f"image-{uuid.uuid4()}", "type": "DEPOSIT", "amount": amount, "user_id": user_id})
        assert r.status_code == 200, r.text
    balance = requests.get(f"{base}/v1/user/{user_id}/balance", timeout=10)
    assert balance.status_code == 200 and balance.json()["balance"] == "13.00", balance.text
    return user_id


def data_volume(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, UID, UID)
    return data


def test_image_config(image):
    config = json.loads(run("buildah", "inspect", "--type", "image", image).stdout)["OCIv1"]["config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["/usr/local/bin/tallyd"]
    assert "8000/tcp" in config["ExposedPorts"]
    assert "/var/lib/tally" in config["Volumes"]
    assert "TALLY_DATA_DIR=/var/lib/tally" in config["Env"]
    assert config.get("StopSignal") == "SIGTERM"


def test_runtime_image_has_no_compiler_and_no_dev_package(rootfs):
    found = [f"{d}/{name}" for d in ("usr/bin", "usr/local/bin", "bin") for name in COMPILERS
             if (rootfs / d / name).exists()]
    assert found == []
    status = (rootfs / "var/lib/dpkg/status").read_text()
    installed = [block.split("\n", 1)[0].removeprefix("Package: ") for block in status.split("\n\n")
                 if "Status: install ok installed" in block]
    assert len(installed) > 20  # the parse found the packages
    # gcc-12-base is only the copyright files libgcc-s1 depends on, in every Debian image.
    building = [p for p in installed if p.endswith("-dev") or p in ("build-essential", "make", "nodejs", "npm",
                                                                    "meson", "ninja-build", "capnproto")
                or (p.startswith(("gcc", "g++", "cpp", "binutils", "clang")) and not p.endswith("-base"))]
    assert building == []
    assert (rootfs / "usr/local/bin/tallyd").exists() and (rootfs / "usr/local/bin/tally-admin").exists()


def test_serves_as_non_root_from_its_volume_and_stops_on_sigterm(container, tmp_path):
    data = data_volume(tmp_path)
    port = free_port()
    command = ["buildah", "run", "--isolation", "chroot", "-v", f"{data}:/var/lib/tally", container, "--",
               "/usr/local/bin/tallyd", "--bind", "127.0.0.1", "--port", str(port), "--threads", "2"]
    server = Server(command, port, tmp_path / "tallyd-1.log")
    pid = descendant_named(server.proc.pid, "tallyd")
    assert pid is not None
    assert process_uid(pid) == UID  # the image's USER, not root
    user_id = money_round_trip(server.base)
    assert server.terminate(pid) == 0, server.output()[-3000:]
    out = server.output()
    assert "SIGTERM received: draining" in out and "stopped:" in out, out[-3000:]
    assert f"data in /var/lib/tally" in out  # the image's TALLY_DATA_DIR
    written = [p for p in data.rglob("*") if p.is_file()]
    assert written and all(p.stat().st_uid == UID for p in written)

    # A new container process on the same volume: the money is still there.
    port = free_port()
    command[command.index("--port") + 1] = str(port)
    again = Server(command, port, tmp_path / "tallyd-2.log")
    balance = requests.get(f"{again.base}/v1/user/{user_id}/balance", timeout=10)
    assert balance.status_code == 200 and balance.json()["balance"] == "13.00", balance.text
    assert again.terminate(descendant_named(again.proc.pid, "tallyd")) == 0


def test_sigterm_as_pid_1_with_a_read_only_root(rootfs, tmp_path):
    # As in a pod: tallyd is PID 1 of a new PID namespace (the kernel drops signals PID 1 has no handler for
    # unless they are blocked: tallyd blocks them and takes them with sigwait), the image's root filesystem is
    # read-only (readOnlyRootFilesystem) with only the data volume writable, the user is the image's, and
    # SIGTERM comes from outside the namespace, as the kubelet's does.
    data = data_volume(tmp_path)
    port = free_port()
    root = str(rootfs)
    script = (f'set -e; mount --bind "{root}" "{root}"; mount -o remount,bind,ro "{root}"; '
              f'if touch "{root}/read-only-probe" 2>/dev/null; then echo "root filesystem writable"; exit 1; fi; '
              f'mount --bind "{data}" "{root}/var/lib/tally"; mount -t proc proc "{root}/proc"; '
              f'exec chroot --userspec={UID}:{UID} "{root}" /usr/bin/env TALLY_DATA_DIR=/var/lib/tally '
              f'/usr/local/bin/tallyd --bind 127.0.0.1 --port {port} --threads 2')
    server = Server(["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                     "sh", "-c", script], port, tmp_path / "tallyd-pid1.log")
    pid = descendant_named(server.proc.pid, "tallyd")
    assert pid is not None
    ns_pid = [line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("NSpid:")]
    assert ns_pid and ns_pid[0].split()[-1] == "1", ns_pid  # PID 1 inside its namespace
    assert process_uid(pid) == UID
    user_id = money_round_trip(server.base)
    assert server.terminate(pid) == 0, server.output()[-3000:]
    assert "SIGTERM received: draining" in server.output()
    assert not (rootfs / "read-only-probe").exists()
    assert user_id > 0 and any(p.is_file() for p in data.rglob("*"))
