#!/usr/bin/env python3
"""Where a restart's wall time goes: launches tallyd on a data directory, samples every thread's CPU time
(/proc/PID/task/*/stat, utime + stime) every 20 ms until /readyz answers 200, then kills it (SIGKILL: no snapshot
is taken, the data directory stays as it was). Prints the recovery's phase boundaries (tallyd's debug log lines
"restore phase: ...", time since exec), each thread's CPU and active span, and a timeline in 250 ms buckets of
CPU ms per thread name (the restore threads are named: tally-restore, tally-uids, tally-settle, tally-walcheck;
"tallyd" is the main thread, which reads, decodes and rebuilds the feed).

usage: bench/restart_timeline.py TALLYD DATA_DIR [--port N] [--bucket-ms N]
"""
import argparse
import datetime
import http.client
import os
import signal
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.02
READY_TIMEOUT_S = 600


def process_cpu(pid):
    """CPU seconds of the whole process (exited threads included)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return 0.0


def task_files(pid, name):
    """{tid: text of /proc/PID/task/TID/<name>} for every thread of pid now (threads gone meanwhile skipped)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/{name}") as f:
                out[int(tid)] = f.read()
        except OSError:
            continue
    return out


def run_queue_wait(pid):
    """{tid: seconds spent runnable but not running} (/proc/.../schedstat), for every thread of pid now."""
    out = {}
    for tid, text in task_files(pid, "schedstat").items():
        try:
            out[tid] = int(text.split()[1]) / 1e9
        except (IndexError, ValueError):
            continue
    return out


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} for every thread of pid now."""
    out = {}
    for tid, stat in task_files(pid, "stat").items():
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return out


def ready(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def phase_lines(log_path, launched_utc):
    """(seconds since exec, message) of every 'restore phase' / recovery line of the log."""
    lines = []
    with open(log_path) as f:
        for line in f:
            if "restore phase" not in line and "recover" not in line and "listening" not in line:
                continue
            stamp = line.split(" ", 1)[0].rstrip("Z")
            try:
                at = datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.timezone.utc).timestamp()
            except ValueError:
                continue
            lines.append((at - launched_utc, line.split(" ", 2)[-1].strip()))
    return lines


def sample_until_ready(args, log_path):
    """Launches tallyd and samples its threads until /readyz; (samples, waits, wall or None, process CPU)."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([args.tallyd, "--bind", "127.0.0.1", "--port", str(args.port), "--data-dir",
                                 args.data_dir, "--log-level", "debug"], stdout=log, stderr=log)
    samples = []  # (seconds since exec, {tid: (name, cpu)})
    waits = {}  # tid: latest run-queue wait seen
    try:
        while time.monotonic() - started < READY_TIMEOUT_S:
            samples.append((time.monotonic() - started, thread_cpu(proc.pid)))
            waits.update(run_queue_wait(proc.pid))
            if proc.poll() is not None:
                break
            if ready(args.port):
                wall = time.monotonic() - started
                samples.append((wall, thread_cpu(proc.pid)))
                waits.update(run_queue_wait(proc.pid))
                return samples, waits, wall, process_cpu(proc.pid)
            time.sleep(SAMPLE_S)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return samples, waits, None, 0.0


def print_threads(samples, waits):
    """Per thread: CPU, run-queue wait, first and last sample where its CPU grew."""
    spans = {}
    previous = {}
    for at, threads in samples:
        for tid, (name, cpu) in threads.items():
            if cpu > previous.get(tid, 0.0):
                first, _, _ = spans.get(tid, (at, at, name))
                spans[tid] = (first, at, name)
            previous[tid] = cpu
    print("\n| thread | tid | CPU s | waiting for a core s | active from s | to s |\n|---|---:|---:|---:|---:|---:|")
    for tid, (first, last, name) in sorted(spans.items(), key=lambda item: item[1][0]):
        print(f"| {name} | {tid} | {previous[tid]:.2f} | {waits.get(tid, 0.0):.2f} | {first:.2f} | {last:.2f} |")


def print_buckets(samples, wall, bucket_ms):
    """CPU ms per thread name per bucket of wall time."""
    bucket_s = bucket_ms / 1000
    names = sorted({name for _, threads in samples for name, _ in threads.values()})
    buckets = {}
    previous = {}
    for at, threads in samples:
        index = int(at / bucket_s)
        for tid, (name, cpu) in threads.items():
            grown = cpu - previous.get(tid, 0.0)
            previous[tid] = cpu
            if grown > 0:
                row = buckets.setdefault(index, {})
                row[name] = row.get(name, 0.0) + grown
    print("\n| from s | " + " | ".join(names) + " |\n|---:|" + "---:|" * len(names))
    for index in range(0, int(wall / bucket_s) + 1):
        row = buckets.get(index, {})
        cells = " | ".join(f"{row.get(name, 0.0) * 1000:.0f}" for name in names)
        print(f"| {index * bucket_s:.2f} | {cells} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tallyd")
    parser.add_argument("data_dir")
    parser.add_argument("--port", type=int, default=18475)
    parser.add_argument("--bucket-ms", type=int, default=250)
    args = parser.parse_args()

    log_path = os.path.join("/tmp", f"restart_timeline.{os.getpid()}.log")
    launched_utc = time.time()
    samples, waits, wall, total = sample_until_ready(args, log_path)
    if wall is None:
        print("tallyd did not become ready; log:", log_path, file=sys.stderr)
        return 1
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"ready after {wall:.2f} s wall, {total:.2f} s CPU (load average {load})\n")
    print("| s since exec | log |\n|---:|---|")
    for at, message in phase_lines(log_path, launched_utc):
        print(f"| {at:.2f} | {message[:110]} |")
    print_threads(samples, waits)
    print_buckets(samples, wall, args.bucket_ms)
    os.unlink(log_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
