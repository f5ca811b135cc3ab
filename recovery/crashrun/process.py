"""Process control of the tallyd under test: spawn, wait for /healthz, SIGKILL (also in the middle of a recovery),
SIGTERM, and its log (one file per run).
"""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from .wire import HOST, new_session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerFailed(Exception):
    pass


class Server:
    def __init__(self, binary: Path, data_dir: Path, log_dir: Path, threads: int, start_timeout: float,
                 wal_segment_mib: int | None = None):
        self.binary = binary
        self.wal_segment_mib = wal_segment_mib
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.threads = threads
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.runs = 0
        self.log_path: Path | None = None
        self._log = None
        self.ready_times: list[float] = []

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def spawn(self):
        assert self.proc is None
        self.runs += 1
        self.port = free_port()
        self.log_path = self.log_dir / f"tallyd-run{self.runs:03d}.log"
        self._log = open(self.log_path, "wb")
        cmd = [str(self.binary), "--bind", HOST, "--port", str(self.port), "--data-dir", str(self.data_dir),
               "--threads", str(self.threads)]
        if self.wal_segment_mib is not None:
            cmd += ["--wal-segment-mib", str(self.wal_segment_mib)]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.spawned_at = time.monotonic()

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            with new_session() as s:
                return s.get(self.base + "/healthz", timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    def start(self) -> float:
        """Spawns and waits for /healthz; returns the seconds it took. Retries a port clash a few times."""
        for _attempt in range(4):
            self.spawn()
            deadline = self.spawned_at + self.start_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.healthy():
                    took = time.monotonic() - self.spawned_at
                    self.ready_times.append(took)
                    return took
                time.sleep(0.01)
            code = self.proc.poll()
            if code is None:
                self.proc.kill()
                code = self.proc.wait()
            self._closed()
            tail = self.log_tail()
            if code != 0 and re.search(r"cannot listen|address already in use", tail, re.I):
                continue
            raise ServerFailed(f"tallyd did not become ready within {self.start_timeout}s "
                               f"(exit code {code}); log {self.log_path}:\n{tail}")
        raise ServerFailed(f"tallyd could not listen on a free port; log {self.log_path}:\n{self.log_tail()}")

    def kill9(self) -> int:
        assert self.proc is not None
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = self.proc.wait(timeout=30)
        self._closed()
        return code

    def kill_while_recovering(self, mode: str, rng) -> tuple[str, bool]:
        """Spawns tallyd and SIGKILLs it while it starts: after a random delay up to the last start-up time,
        inside the WAL replay (timed from its 'recovering from' log line), or just as /healthz turns ready (mode
        "delay", "replay", "ready", or "mixed": one of them drawn from rng). Returns what happened, and whether the
        replay had finished when the kill came."""
        est = self.ready_times[-1] if self.ready_times else 0.05
        m = re.findall(r"recovered .* in ([0-9.]+) ms", self.log_text())  # the last start's replay time
        replay_s = float(m[-1]) / 1000 if m else 0.005
        if mode == "mixed":
            mode = rng.choice(("delay", "replay", "ready"))
        self.spawn()
        deadline = self.spawned_at + self.start_timeout
        if mode == "delay":
            delay = rng.uniform(0.0, est * 1.1)
            time.sleep(delay)
            how = f"at +{delay * 1000:.1f} ms (random; last start took {est * 1000:.0f} ms)"
        elif mode == "replay":
            delay = rng.uniform(0.0, replay_s * 1.2)
            while time.monotonic() < deadline and self.proc.poll() is None and "recovering from" not in self.log_text():
                time.sleep(0.0002)
            time.sleep(delay)
            how = f"{delay * 1000:.1f} ms into the replay (last replay took {replay_s * 1000:.1f} ms)"
        else:
            how = self._wait_ready_for_kill(deadline)
        if self.proc.poll() is not None:
            code = self.proc.poll()
            tail = self.log_tail()
            self._closed()
            raise ServerFailed(f"tallyd exited with {code} during recovery before the kill; log:\n{tail}")
        self.kill9()
        log = self.log_text()
        if "recovered " in log:
            return f"{how}: after the replay", True
        phase = "during the replay" if "recovering from" in log else "before the replay started"
        return f"{how}: {phase}", False

    def _wait_ready_for_kill(self, deadline: float) -> str:
        ready = False
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.healthy(timeout=0.5):
                ready = True
                break
            time.sleep(0.002)
        return (f"as /healthz turned ready (+{(time.monotonic() - self.spawned_at) * 1000:.0f} ms)"
                if ready else "before ready (never became ready)")

    def terminate(self, timeout: float = 30.0) -> int | None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self._closed()
        return code

    def _closed(self):
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

