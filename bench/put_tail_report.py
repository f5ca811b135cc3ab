"""One row of bench/put_tail.sh: the open-loop PUT run's client figures (tally-loadgen's JSON) beside tallyd's
own (deltas of /metrics histograms over the run) and its threads' CPU and run delay (/proc schedstat)."""
import json
import re
import sys
from collections import defaultdict

rnd, binary, rate, tmp, w0, w1, tck, load = sys.argv[1:]
seconds = float(w1) - float(w0)
PUT_ROUTE = 'route="/v1/transaction"'
LINE = re.compile(r'^(\w+)_bucket\{(.*)\} (\S+)$')


def buckets(path, name, label_filter=""):
    """{le: cumulative count} of one histogram (summed over series whose labels contain label_filter)."""
    out = defaultdict(float)
    for line in open(path):
        m = LINE.match(line.strip())
        if not m or m.group(1) != name or label_filter not in m.group(2):
            continue
        le = re.search(r'le="([^"]+)"', m.group(2)).group(1)
        out[float("inf") if le == "+Inf" else float(le)] += float(m.group(3))
    return out


def quantile(name, q, label_filter="", scale=1.0):
    a = buckets(f"{tmp}/m0", name, label_filter)
    b = buckets(f"{tmp}/m1", name, label_filter)
    les = sorted(b)
    delta = [(le, b[le] - a.get(le, 0.0)) for le in les]
    total = delta[-1][1] if delta else 0
    if total <= 0:
        return "-"
    for le, cum in delta:
        if cum >= q * total:
            return "≤ %g" % (le * scale) if le != float("inf") else "> max"
    return "-"


def mean(name):
    def sums(path):
        s = c = 0.0
        for line in open(path):
            if line.startswith(name + "_sum"):
                s += float(line.split()[-1])
            elif line.startswith(name + "_count"):
                c += float(line.split()[-1])
        return s, c
    s0, c0 = sums(f"{tmp}/m0")
    s1, c1 = sums(f"{tmp}/m1")
    return "%.1f" % ((s1 - s0) / (c1 - c0)) if c1 > c0 else "-"


def threads(path):
    out = defaultdict(lambda: [0.0, 0.0])
    for line in open(path):
        name, ticks, delay = line.rstrip("\n").split("\t")
        out[name][0] += float(ticks)
        out[name][1] += float(delay)
    return out


t0, t1 = threads(f"{tmp}/t0"), threads(f"{tmp}/t1")
parts = []
for name in sorted(t1, key=lambda n: -(t1[n][0] - t0.get(n, [0, 0])[0])):
    cpu = (t1[name][0] - t0.get(name, [0, 0])[0]) / float(tck) / seconds * 100
    delay = (t1[name][1] - t0.get(name, [0, 0])[1]) / 1e6 / seconds
    if cpu >= 1 or delay >= 1:
        parts.append(f"{name} {cpu:.0f} / {delay:.0f}")
j = json.load(open(f"{tmp}/open.json"))
lat = j["latency_ms"]
sent = max(j.get("sent", 0), 1)
late_pool = (j["late"] - j["late_client"]) * 100.0 / sent
late_client = j["late_client"] * 100.0 / sent
print(f"| {rnd} | {binary} | {rate} | {lat['p50']} | {lat['p99']} | {lat['p999']} | {late_pool:.1f} / "
      f"{late_client:.1f} | {quantile('tally_http_request_duration_seconds', 0.99, PUT_ROUTE, 1000)} | "
      f"{quantile('tally_wal_fdatasync_duration_seconds', 0.5, '', 1000)} / "
      f"{quantile('tally_wal_fdatasync_duration_seconds', 0.99, '', 1000)} | "
      f"{mean('tally_wal_group_commit_records')} / {quantile('tally_wal_group_commit_records', 0.99)} | "
      f"{'; '.join(parts)} | {load} |", flush=True)
