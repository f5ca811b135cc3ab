"""k8s/monitoring/: the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`), the
Grafana dashboard is valid JSON with a query in every panel, and every metric name the dashboard and the rules
use is one a real tallyd exposes (scraped after traffic and a restart, so the snapshot figures exist too)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tallylib import REPO_ROOT

MONITORING = REPO_ROOT / "k8s" / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
_NAME = re.compile(r"\btally_[a-z0-9_]+\b")
_TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)$", re.M)


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (Debian package prometheus; scripts/install-deps.sh --test)")
    return path


def run_promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120, cwd=MONITORING)


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = []
    for panel in dashboard["panels"]:
        targets = panel.get("targets", [])
        assert targets, f"panel {panel.get('title')!r} has no query"
        queries += [target["expr"] for target in targets]
    return queries


def alert_expressions() -> list[str]:
    # The rules file is YAML; each expr is a plain or block scalar after "expr:" (no YAML module needed).
    text = ALERTS.read_text()
    return re.findall(r"expr: \|?\n?((?:.*\n)(?:\s{10,}.*\n)*)", text)


def exposed_names(scrape: str) -> set[str]:
    names = set()
    for family, kind in _TYPE_LINE.findall(scrape):
        names.add(family)
        if kind == "histogram":
            names |= {family + "_bucket", family + "_sum", family + "_count"}
    return names


def test_alert_rules_pass_promtool():
    checked = run_promtool("check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_alert_rules_fire_as_their_unit_tests_expect():
    tested = run_promtool("test", "rules", "alerts_test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_dashboard_and_rules_use_only_metrics_tallyd_exposes(make_server):
    srv = make_server()
    c = srv.client()
    u = c.create_user()["id"]
    c.deposit(u, "5")
    srv.restart()  # the final snapshot at stop makes the snapshot age appear
    r = srv.client().get("/metrics")
    assert r.status_code == 200
    exposed = exposed_names(r.text)
    assert "tally_snapshot_age_seconds" in exposed, "restart should have restored a snapshot"

    dashboard_names = {name for query in dashboard_queries() for name in _NAME.findall(query)}
    rule_names = {name for expr in alert_expressions() for name in _NAME.findall(expr)}
    assert len(dashboard_names) >= 10 and len(rule_names) >= 5, (dashboard_names, rule_names)
    assert dashboard_names - exposed == set(), "the dashboard queries metrics tallyd does not expose"
    assert rule_names - exposed == set(), "the alert rules use metrics tallyd does not expose"
