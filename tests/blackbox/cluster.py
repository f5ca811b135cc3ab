"""A Tally cluster on loopback, started as a StatefulSet starts its pods: N tallyd processes with --shards N,
--shard K and --peers listing every pod's base URL (docs/sharding.md).

- TallyCluster: the pods (TallyServer each, fixed ports), start/stop/kill9/restart of one pod or all.
- ClusterEntry: the cluster as one server for tests written against a single node (Client(entry) works): every
  request goes to the next pod in turn, as through a Kubernetes Service, so users are created on every shard and
  most requests are forwarded. The black-box contract suite runs through it with TALLY_TEST_CLUSTER=3.
"""
from __future__ import annotations

import itertools
import threading
from pathlib import Path

from tallylib import TallyServer, free_port


class TallyCluster:
    def __init__(self, workdir: Path, shards: int = 3, name: str = "shard", extra_args: list[str] | None = None,
                 env: dict | None = None):
        self.shards = shards
        self.name = f"{name}s"
        ports = []
        while len(ports) < shards:  # distinct free ports, fixed for the cluster's life (its peers list)
            p = free_port()
            if p not in ports:
                ports.append(p)
        self.peers = ",".join(f"http://127.0.0.1:{p}" for p in ports)
        self.pods = [
            TallyServer(workdir, name=f"{name}{k}", port=ports[k], env=env,
                        extra_args=["--shards", str(shards), "--shard", str(k), "--peers", self.peers]
                        + list(extra_args or []))
            for k in range(shards)]

    def start(self) -> "TallyCluster":
        for pod in self.pods:
            pod.start()
        return self

    def stop(self):
        for pod in self.pods:
            if pod.proc is not None:
                pod.stop()

    def pod(self, k: int) -> TallyServer:
        return self.pods[k]

    def owner_of_user(self, user_id: int) -> int:
        return user_id % self.shards

    def all_output(self) -> str:
        return "\n".join(p.all_output() for p in self.pods)


class ClusterEntry:
    """Looks like a TallyServer to tests written for one node; each url() goes to the next pod."""

    def __init__(self, cluster: TallyCluster):
        self.cluster = cluster
        self._next = itertools.cycle(range(cluster.shards))
        self._lock = threading.Lock()

    name = "cluster"

    def url(self, path: str) -> str:
        with self._lock:
            k = next(self._next)
        return self.cluster.pods[k].url(path)

    @property
    def base_url(self) -> str:
        return self.cluster.pods[0].base_url

    @property
    def port(self) -> int:
        return self.cluster.pods[0].port

    def start(self):
        self.cluster.start()
        return self

    def stop(self):
        codes = [p.stop() for p in self.cluster.pods if p.proc is not None]
        return max(codes, default=0)

    def kill9(self):
        return [p.kill9() for p in self.cluster.pods if p.proc is not None][0]

    def restart(self, hard: bool = False):
        for p in self.cluster.pods:
            p.restart(hard=hard)
        return self

    @property
    def running(self) -> bool:
        return all(p.running for p in self.cluster.pods)

    def client(self):
        from tallylib import Client
        return Client(self)

    def all_output(self) -> str:
        return self.cluster.all_output()

    def __getattr__(self, name):  # anything else (data_dir, proc, ...) is pod 0's
        return getattr(self.cluster.pods[0], name)
