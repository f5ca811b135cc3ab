"""The report of bench/auth_cost.py (API keys' cost, issue 12): which loads are compared and how, and the tables:
per comparison, the median of the per-round ratios of instructions (callgrind) and of CPU time per request, with
their min..max and the per-request delta; per load, the figures themselves; where the keyed server's extra
instructions go. Pure functions of the measured figures; what the run saw besides them comes in a RunFacts."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

# The loads compared: (server, with the Authorization line?). One server per load, so every server has answered as
# many PUTs as the others at every moment: a server with twice the transactions spends ~1.5 % more instructions on
# a PUT (bigger indexes and feed), which a shared server showed as a false A/A difference.
LOADS = {"A": ("open-plain", False), "A+h": ("open", True), "B+h": ("open2", True), "K+h": ("keyed", True)}
COMPARISONS = [("A/A: open2 / open, same bytes", "B+h", "A+h"),
               ("(a) check: keyed / open, same bytes", "K+h", "A+h"),
               ("(b) whole: keyed / open without the line", "K+h", "A")]


LABEL = {"get": "GET /v1/user/{id}", "put": "PUT /v1/transaction"}  # the workloads, in the tables' order


@dataclass
class RunFacts:
    """What the run saw besides the figures: shown in the table's header."""
    load_avg: tuple[float, float]  # at start, at end
    users: int
    callgrind_get_rate: int  # GET/s under callgrind
    dropped: int = 0  # open-loop requests due but not sent (every connection busy)
    rerun: int = 0  # loads run again because a request was left unanswered
    user_ticks: dict[str, list[int]] = field(default_factory=dict)  # workload -> [user, user + system] ticks


def ratios(results: dict, workload: str, numerator: str, denominator: str) -> tuple[list[float], list[float]]:
    """Per-round ratios and differences (the same round's two loads)."""
    top, bottom = results[(workload, numerator)], results[(workload, denominator)]
    return [t / b for t, b in zip(top, bottom)], [t - b for t, b in zip(top, bottom)]


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}..{max(values):{fmt}})"


def print_header(args, cpu_rates: dict | None, facts: RunFacts, shares: dict[str, float]) -> None:
    print(f"# API key cost (bench/auth_cost.sh), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
          f"average {facts.load_avg[0]:.1f} at start, {facts.load_avg[1]:.1f} at end; tallyd --threads 2, "
          f"{facts.users} users.")
    if not args.no_callgrind:
        print(f"# instructions: callgrind, {args.callgrind_rounds} round(s) x {args.callgrind_duration:g} s per load, "
              f"GET {facts.callgrind_get_rate}/s open loop, PUT one at a time; tallyd's user space only.")
    if cpu_rates:
        print(f"# CPU: tallyd on-CPU ns per request (all threads), {args.rounds} round(s) x {args.duration:g} s per "
              f"load, open loop at {args.load_share:.0%} of closed loop: {cpu_rates['get']:.0f} GET/s, "
              f"{cpu_rates['put']:.0f} PUT/s.")
    if facts.dropped:
        print(f"# {facts.dropped} open-loop request(s) due but not sent (every connection busy): the machine was "
              "saturated at moments; a lower --load-share avoids it.")
    if facts.rerun:
        print(f"# {facts.rerun} load(s) run again: a request was left unanswered after the 5 s grace.")
    if shares:
        print("# user share of tallyd CPU (utime / utime+stime over the CPU loads): " +
              ", ".join(f"{LABEL[w]} {share:.0%}" for w, share in shares.items()) +
              ". Estimate = instruction excess x that share (the extra instructions at the average user-space pace).")
    print("# Each cell: median of the per-round ratios (min..max); delta = per request, median.")


def print_comparisons(cg: dict | None, cpu: dict | None, shares: dict[str, float]) -> None:
    print("| workload | comparison | instructions/req ratio | delta instr | estimate, % of tallyd CPU "
          "| CPU/req ratio | delta CPU ns |")
    print("|---|---|---|---|---|---|---|")
    for workload in LABEL:
        for title, top, bottom in COMPARISONS:
            cells = ["not run", "", ""]
            if cg:
                r, d = ratios(cg, workload, top, bottom)
                share = shares.get(workload)
                cells = [spread(r, ".4f"), f"{statistics.median(d):+.0f}",
                         f"{(statistics.median(r) - 1) * share:+.2%}" if share else "n/a"]
            cells += ["not run", ""]
            if cpu:
                r, d = ratios(cpu, workload, top, bottom)
                cells[3:] = [spread(r, ".3f"), f"{statistics.median(d):+.0f}"]
            print(f"| {LABEL[workload]} | {title} | " + " | ".join(cells) + " |")


def print_loads(cg: dict | None, cpu: dict | None, where: dict | None) -> None:
    print("| workload | load | instructions/req | CPU ns/req |")
    print("|---|---|---|---|")
    for workload in LABEL:
        for load, (name, header) in LOADS.items():
            cells = [spread(results[(workload, load)], ".0f") if results else "not run" for results in (cg, cpu)]
            print(f"| {LABEL[workload]} | {name}{', with Authorization' if header else ''} | {cells[0]} | {cells[1]} |")
    if where:
        print()
        print("Where the keyed server's extra instructions go, same bytes (last round's dumps, per request):")
        for workload, deltas in where.items():
            print(f"- {LABEL[workload]}: " + "; ".join(f"{fn.split('(')[0][:60]} {d:+.0f}" for fn, d in deltas))


def print_report(args, cg: dict | None, where: dict | None, cpu: dict | None, cpu_rates: dict | None,
                 facts: RunFacts) -> None:
    shares = {w: t[0] / t[1] for w, t in facts.user_ticks.items() if t[1] > 0}
    print_header(args, cpu_rates, facts, shares)
    print()
    print_comparisons(cg, cpu, shares)
    print()
    print_loads(cg, cpu, where)
