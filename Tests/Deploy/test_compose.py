"""docker-compose.yml, the Dockerfile, Prometheus and Grafana files: parsed and checked against each other and
against env.example (there is no Docker engine here, so this is what can be checked without one)."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, env_example, load_yaml

# The app's environment in docker-compose.yml equals env.example's, except for these, which a container must set
# differently (each with its reason).
COMPOSE_OVERRIDES = {
    "REDIS_URL": "redis://redis:6379",  # the redis service, not localhost
    "APP_ENV": "production",
    "LOG_FILE": "",  # JSON lines on stdout only: `docker-compose logs -f app`
    "PDF_OUTPUT_DIR": "/app/tickets",  # the `tickets` volume
    "FALLBACK_DIR": "/app/data",  # the `fallback-data` volume
}
# Keys of env.example that are not the server's: the load tester's target.
NOT_THE_SERVERS = {"TEST_URL"}
# The `cluster` profile (`make cluster-demo` in containers): Redis Cluster nodes, the one-shots, instances, nginx.
CLUSTER_REDIS = ["cluster-redis-1", "cluster-redis-2", "cluster-redis-3"]
CLUSTER_APPS = ["cluster-app-1", "cluster-app-2", "cluster-app-3"]
CLUSTER_SERVICES = {*CLUSTER_REDIS, "cluster-create", "cluster-seed", *CLUSTER_APPS, "cluster-nginx"}


def interpolate(value) -> str:
    """Compose's `${NAME:-default}` and `${NAME}` as an empty environment resolves them."""
    text = str(value)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", text)
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "", text)


@pytest.fixture(scope="module")
def compose():
    return load_yaml("docker-compose.yml")


def app_environment(compose) -> dict[str, str]:
    return {key: interpolate(value) for key, value in compose["services"]["app"]["environment"].items()}


def test_docker_compose_accepts_the_file():
    """Compose's own validation (`docker-compose config` needs no Docker engine), with and without the profile."""
    for profile in (None, "monitoring", "tracing", "cluster"):
        arguments = ["config", "-q"] if profile is None else ["--profile", profile, "config", "-q"]
        result = subprocess.run(["docker-compose", *arguments], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_services_and_profiles(compose):
    services = compose["services"]
    assert set(services) == {"redis", "seed", "app", "prometheus", "grafana", "jaeger"} | CLUSTER_SERVICES
    for name in ("redis", "seed", "app"):
        assert "profiles" not in services[name], f"{name} must start with a plain `docker-compose up -d`"
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    assert services["jaeger"]["profiles"] == ["tracing"]
    for name in CLUSTER_SERVICES:
        assert services[name]["profiles"] == ["cluster"], f"{name} must start only with `--profile cluster`"
    assert "4318:4318" in services["jaeger"]["ports"], "the app's spans reach Jaeger over OTLP/HTTP on 4318"


def test_app_environment_agrees_with_env_example(compose):
    example = env_example()
    environment = app_environment(compose)
    assert set(environment) - set(example) == set(), "keys in docker-compose.yml that env.example does not list"
    assert set(example) - NOT_THE_SERVERS - set(environment) == set(), "keys of env.example missing from the app service"
    for key, value in environment.items():
        expected = COMPOSE_OVERRIDES.get(key, example[key])
        assert value == expected, f"{key}: docker-compose.yml has {value!r}, expected {expected!r}"


def test_app_port_healthcheck_and_limits(compose):
    app = compose["services"]["app"]
    port = env_example()["PORT"]
    assert app_environment(compose)["PORT"] == port == "3049"
    assert app["ports"] == [f"{port}:{port}"]
    assert f"127.0.0.1:{port}/health" in " ".join(app["healthcheck"]["test"])
    assert app["ulimits"]["nofile"] == {"soft": 65536, "hard": 65536}
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert app["depends_on"]["seed"]["condition"] == "service_completed_successfully"
    assert "tickets:/app/tickets" in app["volumes"]
    assert "fallback-data:/app/data" in app["volumes"]


def test_redis_is_durable_and_checked(compose):
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert "redis-cli" in redis["healthcheck"]["test"]
    redis_url = app_environment(compose)["REDIS_URL"]
    assert redis_url == "redis://redis:6379"


def test_seed_is_a_one_shot_of_the_same_image(compose):
    seed, app = compose["services"]["seed"], compose["services"]["app"]
    assert seed["image"] == app["image"] and seed["build"] == app["build"]
    assert seed["command"][0] == "seed"
    assert seed["restart"] == "no"
    assert seed["environment"]["REDIS_URL"] == app_environment(compose)["REDIS_URL"]
    assert seed["depends_on"]["redis"]["condition"] == "service_healthy"


def test_prometheus_scrapes_every_app_instance(compose):
    prometheus = compose["services"]["prometheus"]
    assert "./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    config = load_yaml("monitoring/prometheus.yml")
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "ticketd")
    assert job["metrics_path"] == "/metrics"
    [discovery] = job["dns_sd_configs"]
    assert discovery["names"] == ["app"] and discovery["type"] == "A"
    assert str(discovery["port"]) == env_example()["PORT"]


def test_promtool_accepts_the_prometheus_config():
    result = subprocess.run(["promtool", "check", "config", "monitoring/prometheus.yml"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_is_provisioned(compose):
    grafana = compose["services"]["grafana"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_USER"] == "admin"
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "admin"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"] if volume.startswith("./")}
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    [datasource] = load_yaml(provisioning.relative_to(ROOT) / "datasources/prometheus.yml")["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "9090:9090" in compose["services"]["prometheus"]["ports"]
    [provider] = load_yaml(provisioning.relative_to(ROOT) / "dashboards/ticketd.yml")["providers"]
    dashboards = ROOT / mounts[provider["options"]["path"]]
    dashboard = json.loads((dashboards / "ticketd.json").read_text())
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == provider["options"]["path"] + "/ticketd.json"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"] and all(target["expr"] for target in panel["targets"]), panel["title"]


def test_dockerfile_shape():
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 2 and froms[0].startswith("FROM swift:") and " AS build" in froms[0]
    # The apt-cache check below is exact only when this machine runs the Debian release the image is built on.
    codename = re.search(r"^ARG DEBIAN_CODENAME=(\w+)$", text, re.MULTILINE).group(1)
    here = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    assert here.get("VERSION_CODENAME") == codename, f"the image is Debian {codename}, this machine {here.get('VERSION_CODENAME')}"
    runtime = text[text.rindex("\nFROM ") :]
    assert "swift build -c release --product ticketd" in text
    for package in ("libhpdf", "libqrencode", "fonts-dejavu-core", "curl"):
        assert package in runtime, f"the runtime stage does not install {package}"
    users = [line.split()[1] for line in runtime.splitlines() if line.startswith("USER ")]
    assert users and not users[-1].startswith(("root", "0")), "the runtime must not run as root"
    assert "HEALTHCHECK" in runtime and "/health" in runtime
    assert f"EXPOSE {env_example()['PORT']}" in runtime
    assert '*.resources' in text, "the Lua scripts' resource bundle must be copied beside the binary"
    for stage in (text[: text.rindex("\nFROM ")], runtime):
        packages = re.search(r"apt-get install -y -q --no-install-recommends ([^&\n]+)", stage).group(1).split()
        known = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages], capture_output=True, text=True)
        assert known.returncode == 0, f"not Debian packages of this release: {packages}: {known.stderr}"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".build", ".env", "tickets", "logs"):
        assert entry in ignored


def test_every_route_is_in_the_openapi_document():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    document, _ = read_from_filename(str(ROOT / "openapi.yaml"))
    validate(document)
    assert (ROOT / "openapi.yaml").resolve() == ROOT / "Sources/TicketHTTP/Resources/openapi.yaml"
    source = (ROOT / "Sources/TicketHTTP/Application/Application+build.swift").read_text()
    routes = set()
    for table, method, path in re.findall(r'(\w+)\.add\(\.(\w+), "([^"]+)"', source):
        prefix = "/admin" if table == "adminRoutes" else ""
        routes.add((method, re.sub(r":(\w+)", r"{\1}", prefix + path)))
    documented = {(method, path) for path, item in document["paths"].items() for method in item if method != "parameters"}
    assert routes, "no routes found in Application+build.swift"
    assert routes == documented
