"""The dashboard's metrics against a live scrape of the real service, and a real Prometheus scraping it."""

import json
import re
import subprocess
import time
import urllib.parse

import pytest
import yaml

from conftest import ROOT, TICKETS_PER_EVENT, buy, free_port, http, stop, wait_until

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan"}


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (not its functions, labels, durations or numbers)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        name = match.group(0)
        rest = text[match.end() :].lstrip()
        if name.lower() in PROMQL_WORDS or rest.startswith("("):
            continue
        names.add(name)
    return names


def dashboard_queries() -> list[str]:
    dashboard = json.loads((ROOT / "monitoring/grafana/dashboards/ticketd.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def scraped_sample_names(server) -> set[str]:
    answer = http("GET", server.url + "/metrics")
    assert answer.status == 200
    names = set()
    for line in answer.body.decode().splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return names


def test_metric_name_extraction():
    assert metric_names('histogram_quantile(0.99, sum by (le) (rate(a_bucket{route="/buy/{eventId}"}[1m])))') == {"a_bucket"}
    assert metric_names("1 - min(b) + max by (event) (deriv(c[1m]))") == {"b", "c"}


def test_every_dashboard_metric_is_in_a_live_scrape(live_server):
    buy(live_server, "1")  # creates the per-command Redis and per-route HTTP series
    queried = set().union(*(metric_names(expression) for expression in dashboard_queries()))
    assert "ticketd_event_tickets_sold" in queried and "redis_commands_total" in queried
    # The escrow's series appear with the first escrow top-up after start, which a busy machine may not have run yet.
    missing = queried
    deadline = time.monotonic() + 30
    while missing and time.monotonic() < deadline:
        missing = queried - scraped_sample_names(live_server)
        if missing:
            time.sleep(0.1)
    assert missing == set(), f"the dashboard queries metrics the service does not export: {sorted(missing)}"


def test_the_version_and_counters_not_counted_yet_are_scraped(live_server):
    """APP_VERSION is a label of ticketd_build_info (it was only in /health and the JSON form), and the NOSCRIPT
    counter is scraped at 0 before any NOSCRIPT (it was missing, so a dashboard or alert on it saw no data)."""
    lines = http("GET", live_server.url + "/metrics").body.decode().splitlines()
    assert any(re.fullmatch(r'ticketd_build_info\{version="[^"]+"\} 1', line) for line in lines), lines
    assert "redis_script_noscript_total" in scraped_sample_names(live_server)


@pytest.fixture(scope="module")
def prometheus(live_server, tmp_path_factory):
    """Debian's Prometheus on a free port, with monitoring/prometheus.yml's ticketd job aimed at the live server."""
    tmp_path = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load((ROOT / "monitoring/prometheus.yml").read_text())
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "ticketd")
    del job["dns_sd_configs"]  # Docker's DNS is not here: the same job, with the live server as its one target
    job["static_configs"] = [{"targets": [f"127.0.0.1:{live_server.port}"]}]
    job["scrape_interval"] = "1s"
    config["scrape_configs"] = [job]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is None and http("GET", url + "/-/ready", timeout=2).status == 200, "Prometheus ready")
        yield url
    finally:
        stop(process)
        log.close()


def query(prometheus_url: str, expression: str) -> dict[str, float]:
    answer = http("GET", prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["status"] == "success"
    return {sample["metric"].get("event"): float(sample["value"][1]) for sample in body["data"]["result"]}


def test_prometheus_reads_sold_and_available_per_event(live_server, prometheus):
    purchases = {"2": 7, "3": 3}
    before = {event: http("GET", f"{live_server.url}/events/{event}").json()["sold"] for event in purchases}
    for event, count in purchases.items():
        for _ in range(count):
            buy(live_server, event)
    expected_sold = {event: float(before[event] + count) for event, count in purchases.items()}
    expected_available = {event: TICKETS_PER_EVENT - sold for event, sold in expected_sold.items()}

    def series_match():
        sold = query(prometheus, 'ticketd_event_tickets_sold{job="ticketd"}')
        available = query(prometheus, 'ticketd_event_tickets_available{job="ticketd"}')
        return all(sold.get(e) == expected_sold[e] and available.get(e) == expected_available[e] for e in purchases)

    wait_until(series_match, "Prometheus to scrape the sold and available counts after the purchases", timeout=30)
    targets = http("GET", prometheus + "/api/v1/targets").json()["data"]["activeTargets"]
    assert [(target["labels"]["job"], target["health"]) for target in targets] == [("ticketd", "up")]


def test_prometheus_evaluates_every_dashboard_query(prometheus):
    for expression in dashboard_queries():
        answer = http("GET", prometheus + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        assert answer.status == 200 and answer.json()["status"] == "success", f"{expression}: {answer.body!r}"
