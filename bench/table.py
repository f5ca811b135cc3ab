# Builds run_standard.sh's markdown table from the raw outputs of one run (wrk text, tally-loadgen JSON,
# pgbench per-transaction logs). usage: table.py RESULTS_TSV  (lines: name<TAB>tool<TAB>kind<TAB>path[<TAB>note])
import json
import os
import re
import sys

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(path):
    text = open(path).read()
    r = {"rps": None, "p50": None, "p99": None, "notes": []}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    for q, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % q, text, re.M)
        if m:
            r[key] = float(m.group(1)) * UNITS[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["notes"].append("non-2xx %s" % m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m and any(int(x) for x in m.groups()):
        r["notes"].append("socket errors c/r/w/t %s/%s/%s/%s" % m.groups())
    if r["rps"] is None:
        r["notes"].append("no result: " + " ".join(text.split())[:120])
    return r


def parse_lg(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return {"rps": None, "p50": None, "p99": None, "notes": ["no result (see log)"]}
    j = json.load(open(path))
    st = j["status"]
    notes = []
    if j["workload"] == "batch":
        notes.append("%.0f tx/s" % j["tx_per_s"])
    if st["402"]:
        notes.append("402 %d" % st["402"])
    odd = {k: v for k, v in j["by_status"].items() if not (k.startswith("2") or k == "402")}
    if odd:
        notes.append("other " + ", ".join("%s×%d" % kv for kv in sorted(odd.items())))
    if st["socket_errors"]:
        notes.append("socket errors %d" % st["socket_errors"])
    if j["mode"] == "open":
        notes.append("offered %.0f/s, late %d (of which client-side %d), dropped %d, p99.9 %.1f ms, max %.1f ms"
                     % (j["rate"], j["late"], j["late_client"], j["dropped"], j["latency_ms"]["p999"],
                        j["latency_ms"]["max"]))
    if j["unfinished"]:
        notes.append("unanswered %d" % j["unfinished"])
    if j["fatal"]:
        notes.append("FATAL " + j["fatal"][:80])
    rps = j["requests_per_s"]
    return {"rps": rps, "p50": j["latency_ms"]["p50"] if j["latency_ms"]["count"] else None,
            "p99": j["latency_ms"]["p99"] if j["latency_ms"]["count"] else None, "notes": notes}


def parse_pgbench(path):
    # path is "SUMMARY_FILE|LOG_PREFIX": tps from the summary, percentiles from the per-transaction logs
    summary, prefix = path.split("|")
    text = open(summary).read() if os.path.exists(summary) else ""
    r = {"rps": None, "p50": None, "p99": None, "notes": []}
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"number of failed transactions: (\d+)", text)
    if m and int(m.group(1)):
        r["notes"].append("failed %s" % m.group(1))
    lat = []
    d, base = os.path.dirname(prefix), os.path.basename(prefix)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if f.startswith(base):
            for line in open(os.path.join(d, f)):
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000.0)
    if lat:
        lat.sort()
        r["p50"] = lat[int(0.5 * (len(lat) - 1))]
        r["p99"] = lat[int(0.99 * (len(lat) - 1))]
    if r["rps"] is None:
        r["notes"].append("no result: " + " ".join(text.split())[-120:])
    return r


def fmt(v, digits=2):
    return "—" if v is None else ("%.*f" % (digits, v))


def main():
    rows = []
    for line in open(sys.argv[1]):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        name, tool, kind, path = parts[:4]
        r = {"wrk": parse_wrk, "lg": parse_lg, "pgbench": parse_pgbench}[kind](path)
        if len(parts) > 4 and parts[4]:
            r["notes"].insert(0, parts[4])
        rows.append((name, tool, r))
    base = {}
    for name, tool, r in rows:
        if name in ("canned nginx", "canned Pistache") and r["rps"]:
            base[(name, tool)] = r["rps"]
    print("| measurement | tool | req/s | p50 ms | p99 ms | vs Pistache canned | vs nginx | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for name, tool, r in rows:
        # ratios against the same tool's canned figures; pgbench (no HTTP) against wrk's
        ref_tool = tool if tool in ("wrk", "tally-loadgen") else "wrk"
        ratios = []
        for ref in ("canned Pistache", "canned nginx"):
            b = base.get((ref, ref_tool))
            ratios.append("%.2f×" % (r["rps"] / b) if (b and r["rps"]) else "—")
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, tool, fmt(r["rps"], 0), fmt(r["p50"]), fmt(r["p99"]), ratios[0], ratios[1],
            "; ".join(r["notes"])))


if __name__ == "__main__":
    main()
