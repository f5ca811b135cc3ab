"""The table bench/feed_cost.sh prints: the feed's cost on the write path, decomposed by process, and whether the
relay keeps up with the node's write rate.

usage: feed_cost_report.py RESULTS RELAY_LAGS "EVENTS EVENTS_PER_S" DURATION ROUNDS
  RESULTS: one line per load window: label PUT/s PUTs events tallyd_ms loadgen_ms reader_ms nats_ms tallyd_switches
           feed_thread_ms
  RELAY_LAGS: one line per relay round: made acked_at_stop catch_up_s backlog_events backlog_s
"""
import statistics
import sys

LABELS = ("none", "reader", "relay-read", "relay")
DOING = {
    "none": "no feed reader",
    "reader": "long-poll reader (python, limit 10000)",
    "relay-read": "tally-relay --discard (the relay's reads, no NATS)",
    "relay": "tally-relay + nats-server (JetStream)",
}


def main() -> None:
    results, lags_path, read, duration, rounds = sys.argv[1:6]
    runs: dict[str, list[dict]] = {}
    for line in open(results):
        f = line.split()
        puts = int(f[2]) or 1
        runs.setdefault(f[0], []).append({
            "rps": int(f[1]), "events": int(f[3]), "puts": puts,
            "tallyd": float(f[4]) * 1000 / puts, "loadgen": float(f[5]) * 1000 / puts,
            "reader": float(f[6]) * 1000 / puts, "nats": float(f[7]) * 1000 / puts,
            "switches": int(f[8]) / puts, "busy": (float(f[4]) + float(f[5]) + float(f[6]) + float(f[7])) /
            (float(duration) * 1000),
            "reader_per_k": float(f[6]) * 1000 / max(int(f[3]), 1),
            "nats_per_k": float(f[7]) * 1000 / max(int(f[3]), 1),
            "feed": float(f[9]) * 1000 / puts, "feed_per_k": float(f[9]) * 1000 / max(int(f[3]), 1),
        })
    med = {label: {k: statistics.median(r[k] for r in runs[label]) for k in runs[label][0]} for label in LABELS}
    base = med["none"]
    print(f"PUT /v1/transaction, tally-loadgen 64 connections, {duration} s x {rounds} rounds (interleaved), "
          "tallyd --threads 2; CPU per PUT (utime+stime) of each process over the window, medians")
    print("| configuration | PUT/s | vs none | tallyd µs/PUT | **vs none** | of which tally-feed thread | tallyd "
          "switches/PUT | loadgen µs/PUT | reader or relay µs/PUT | nats-server µs/PUT | cores busy | tallyd µs/PUT, "
          "each run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label in LABELS:
        m = med[label]
        each = ", ".join(f"{r['tallyd']:.1f}" for r in runs[label])
        print(f"| {label}: {DOING[label]} | {m['rps']:.0f} | {m['rps'] / base['rps']:.3f} | {m['tallyd']:.1f} | "
              f"**{m['tallyd'] / base['tallyd']:.3f}** | {m['feed']:.2f} | {m['switches']:.2f} | {m['loadgen']:.1f} | "
              f"{m['reader']:.1f} | {m['nats']:.1f} | {m['busy']:.2f} | {each} |")
    own = med["relay-read"]["tallyd"] / base["tallyd"]
    shared = med["relay"]["tallyd"] / med["relay-read"]["tallyd"]
    print(f"\ntallyd CPU per PUT, relay vs none = {med['relay']['tallyd'] / base['tallyd']:.3f} = "
          f"{own:.3f} (relay-read vs none: tallyd serving the relay's reads) x {shared:.3f} (relay vs relay-read: "
          "the relay publishing and nats-server storing, on the same cores)")
    print("tallyd's feed thread (tally-feed: reads the log, renders the JSON, hands the answer over) per 1,000 "
          f"events: reader {med['reader']['feed_per_k']:.2f} ms, relay-read {med['relay-read']['feed_per_k']:.2f} ms, "
          f"relay {med['relay']['feed_per_k']:.2f} ms")
    print(f"relay CPU per 1,000 events: reading only {med['relay-read']['reader_per_k']:.1f} ms, publishing "
          f"{med['relay']['reader_per_k']:.1f} ms; nats-server {med['relay']['nats_per_k']:.1f} ms "
          f"(idle in the other rounds: {base['nats']:.2f} µs/PUT)")

    lags = [tuple(float(x) for x in line.split()) for line in open(lags_path)]
    node_rate = base["events"] / float(duration)
    relay_events = [r["events"] / float(duration) for r in runs["relay"]]
    print(f"\nrelay, at the rate the node sustains with it running ({statistics.median(relay_events):.0f} events/s "
          f"made during the load; {node_rate:.0f} events/s with no reader): when the load stopped the stream lacked "
          + ", ".join(f"{int(made - acked)} events ({s:.2f} s to catch up)" for made, acked, s, _, _ in lags))
    rates = [n / s for _, _, _, n, s in lags if s > 0]
    print("relay from a backlog (the three rounds before each relay round, no load): "
          + ", ".join(f"{int(n)} events in {s:.2f} s" for _, _, _, n, s in lags)
          + f" = median {statistics.median(rates):.0f} events/s, {statistics.median(rates) / node_rate:.2f}x the "
          f"events/s the node makes alone ({node_rate:.0f})")
    events, per_s = read.split()
    print(f"\nfeed read: {events} events in pages of 10,000 at {per_s} events/s (one python reader)")
    print("load average:", " ".join(open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    main()
