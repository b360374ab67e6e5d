"""infra/ monitoring files: alert rules and the Grafana dashboard read only metrics pantau/metrics.py
declares, and docker compose starts Prometheus with the rules loaded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.metrics import METRIC_NAMES

INFRA = Path(__file__).resolve().parents[3] / "infra"
RULES = INFRA / "prometheus" / "alerts.yml"
PROMETHEUS = INFRA / "prometheus" / "prometheus.yml"
DASHBOARD = INFRA / "grafana" / "pantau.json"
COMPOSE = INFRA / "docker-compose.yml"

_METRIC = re.compile(r"\bpantau_[a-z0-9_]+\b")


def _rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    return [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]


def test_the_alerts_the_issue_asks_for_are_defined_with_severity_and_summary() -> None:
    rules = {rule["alert"]: rule for rule in _rules()}
    for name in ("PantauBacklogGrowing", "PantauDeadLetterRate", "PantauAlertDeliveryFailing",
                 "PantauNoItemsDuringCampaign"):
        assert name in rules, name
    for rule in rules.values():
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_metric_an_expression_reads_is_declared_in_pantau_metrics(source: str) -> None:
    exprs = [r["expr"] for r in _rules()] if source == "rules" else _dashboard_exprs()
    used = {name for expr in exprs for name in _METRIC.findall(expr)}
    assert used, "no pantau_ metric found: the pattern or the file is wrong"
    assert used <= METRIC_NAMES, sorted(used - METRIC_NAMES)


def test_a_misspelt_metric_would_be_caught() -> None:
    assert "pantau_dead_letter_total" not in METRIC_NAMES and "pantau_dead_letters_total" in METRIC_NAMES


def test_compose_starts_prometheus_with_the_rules_and_scrapes_the_workers_metrics_port() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    prometheus = services["prometheus"]
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_path = config_flag.split("=", 1)[1]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"] if v.startswith("./")}
    assert (COMPOSE.parent / mounts[config_path]).resolve() == PROMETHEUS
    config = yaml.safe_load(PROMETHEUS.read_text())
    for rule_file in config["rule_files"]:  # relative to the config file, inside the container too
        inside = str(Path(config_path).parent / rule_file)
        assert (COMPOSE.parent / mounts[inside]).resolve() == RULES
    port = services["workers"]["environment"]["PANTAU_METRICS__PORT"]
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "pantau-workers"]
    assert str(job["dns_sd_configs"][0]["port"]) == port and job["dns_sd_configs"][0]["names"] == ["workers"]
    assert services["workers"]["environment"]["PANTAU_METRICS__ADDRESS"] == "0.0.0.0"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian: prometheus)")
def test_promtool_accepts_the_config_and_the_rules_and_their_unit_tests_pass() -> None:
    for args in (["check", "config", str(PROMETHEUS)], ["check", "rules", str(RULES)],
                 ["test", "rules", str(RULES.parent / "alerts_test.yml")]):
        done = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
