"""docker-compose.yml, the Dockerfile, Prometheus, Grafana and nginx files: parsed and checked against each other and
against env.example (there is no Docker engine here, so this is what can be checked without one). Nothing here needs
a ticketd; the cluster profile's create script runs against private redis-servers."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, env_example, free_port, load_yaml, stop, wait_until

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


# The `cluster` profile: the same thing as `make cluster-demo` (bench/cluster/demo.sh), for Docker.


def published_port(service) -> tuple[str, str]:
    [mapping] = service["ports"]
    host, _, container = str(mapping).rpartition(":")
    return host, container


def cluster_nodes(environment) -> list[tuple[str, str]]:
    assert "REDIS_URL" not in environment, "REDIS_CLUSTER_NODES replaces REDIS_URL"
    nodes = [entry.strip().rpartition(":") for entry in str(environment["REDIS_CLUSTER_NODES"]).split(",")]
    return [(host, port) for host, _, port in nodes]


def redis_port(service) -> str:
    command = service["command"]
    return str(command[command.index("--port") + 1]) if "--port" in command else "6379"


def nginx_config() -> str:
    return (ROOT / "deploy/cluster/nginx.conf").read_text()


def test_the_header_names_the_cluster_profile():
    header = (ROOT / "docker-compose.yml").read_text().split("\nx-", 1)[0]
    assert "docker-compose --profile cluster up -d" in header


def test_cluster_redis_nodes_are_cluster_enabled_and_durable(compose):
    services, volumes = compose["services"], set(compose["volumes"])
    data_volumes = []
    for name in CLUSTER_REDIS:
        node = services[name]
        command = node["command"]
        assert node["image"] == services["redis"]["image"]
        assert command[0] == "redis-server"
        assert command[command.index("--cluster-enabled") + 1] == "yes"
        # A primary lost leaves its own slots down, not the whole cluster: the other shards sell on.
        assert command[command.index("--cluster-require-full-coverage") + 1] == "no"
        # AOF like the `redis` service: an acknowledged sale survives a node's crash.
        for option in ("--appendonly", "--appendfsync", "--save"):
            assert command[command.index(option) + 1] == services["redis"]["command"][services["redis"]["command"].index(option) + 1]
        # Clients are sent to the node by its service name, which stays right when a recreated container's IP changes.
        assert command[command.index("--cluster-announce-hostname") + 1] == name
        assert command[command.index("--cluster-preferred-endpoint-type") + 1] == "hostname"
        [data] = [volume.split(":")[0] for volume in node["volumes"] if volume.endswith(":/data")]
        assert data in volumes
        data_volumes.append(data)
        assert node["healthcheck"] == services["redis"]["healthcheck"]
    assert len(set(data_volumes)) == len(CLUSTER_REDIS), "each node needs a volume of its own"
    assert services["redis"]["volumes"][0].split(":")[0] not in data_volumes


def test_cluster_create_is_an_idempotent_one_shot_over_the_nodes(compose):
    create = compose["services"]["cluster-create"]
    assert create["restart"] == "no"
    assert create["image"] == compose["services"]["redis"]["image"], "the image with redis-cli"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in create["volumes"]}
    command = create["command"]
    assert command[0] == "sh" and command[1] in mounts
    script = ROOT / mounts[command[1]]
    assert script.relative_to(ROOT) == Path("deploy/cluster/create-cluster.sh") and script.is_file()
    text = script.read_text()
    assert "--cluster create" in text and "--cluster-replicas 0" in text and "--cluster-yes" in text
    assert [tuple(node.rpartition(":")[::2]) for node in command[2:]] == [
        (name, redis_port(compose["services"][name])) for name in CLUSTER_REDIS
    ]
    subprocess.run(["sh", "-n", str(script)], check=True)


def test_every_cluster_node_list_names_the_cluster_redis_services(compose):
    services = compose["services"]
    expected = [(name, redis_port(services[name])) for name in CLUSTER_REDIS]
    for name in ["cluster-seed", *CLUSTER_APPS]:
        nodes = cluster_nodes(services[name]["environment"])
        for host, port in nodes:
            assert host in CLUSTER_REDIS, f"{name}: {host} is not a cluster redis service"
            assert port == redis_port(services[host]), f"{name}: {host} listens on {redis_port(services[host])}, not {port}"
        assert sorted(nodes) == sorted(expected), f"{name} must list all three nodes"


def test_cluster_seed_seeds_what_the_demo_seeds(compose):
    seed, app = compose["services"]["cluster-seed"], compose["services"]["app"]
    assert seed["image"] == app["image"] and seed["build"] == app["build"]
    assert seed["restart"] == "no"
    demo = (ROOT / "bench/cluster/demo.sh").read_text()
    events = re.search(r"^events=\$\{SEED_EVENTS:-(\d+)\}$", demo, re.MULTILINE).group(1)
    tickets = re.search(r"^tickets=\$\{SEED_TICKETS:-(\d+)\}$", demo, re.MULTILINE).group(1)
    [seed_line] = [line for line in demo.splitlines() if '"$bin" seed ' in line]
    expected = ["seed", events, tickets]
    if "--stripes" in seed_line:
        stripes = re.search(r"^stripes=\$\{SEED_STRIPES:-(\d+)\}$", demo, re.MULTILINE).group(1)
        expected += ["--stripes", stripes]
    assert [str(argument) for argument in seed["command"]] == expected


def test_cluster_instances_are_the_app_on_the_cluster(compose):
    services = compose["services"]
    app = services["app"]
    expected = {key: value for key, value in app_environment(compose).items() if key not in ("REDIS_URL", "INSTANCE_ID")}
    instance_ids, fallback_volumes, ticket_volumes = [], [], []
    for name in CLUSTER_APPS:
        instance = services[name]
        environment = {key: interpolate(value) for key, value in instance["environment"].items()}
        instance_ids.append(environment.pop("INSTANCE_ID"))
        environment.pop("REDIS_CLUSTER_NODES")
        assert environment == expected, f"{name}: the environment of `app` with REDIS_CLUSTER_NODES for REDIS_URL"
        for key in ("image", "build", "healthcheck", "ulimits", "sysctls", "stop_grace_period"):
            assert instance[key] == app[key], f"{name}: {key} differs from app's"
        assert "ports" not in instance, f"{name} is reached through nginx"
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in instance["volumes"]}
        fallback_volumes.append(mounts[expected["FALLBACK_DIR"]])
        ticket_volumes.append(mounts[expected["PDF_OUTPUT_DIR"]])
        assert set(mounts.values()) <= set(compose["volumes"])
    assert all(instance_ids) and len(set(instance_ids)) == len(CLUSTER_APPS), f"INSTANCE_IDs: {instance_ids}"
    # Each instance's id, escrow mirror and journal; two running instances must never share one.
    assert len(set(fallback_volumes)) == len(CLUSTER_APPS), f"fallback volumes: {fallback_volumes}"
    assert "fallback-data" not in fallback_volumes, "the single-instance app's fallback volume"
    assert len(set(ticket_volumes)) == len(CLUSTER_APPS), f"ticket volumes: {ticket_volumes}"


def test_cluster_start_order(compose):
    services = compose["services"]

    def waits_for(name, other, condition):
        assert services[name]["depends_on"][other]["condition"] == condition, f"{name} must wait for {other}: {condition}"

    for node in CLUSTER_REDIS:
        waits_for("cluster-create", node, "service_healthy")
    waits_for("cluster-seed", "cluster-create", "service_completed_successfully")
    for instance in CLUSTER_APPS:
        waits_for(instance, "cluster-create", "service_completed_successfully")
        waits_for(instance, "cluster-seed", "service_completed_successfully")
        waits_for("cluster-nginx", instance, "service_healthy")
    # `--profile cluster up -d cluster-nginx` starts the cluster alone: nothing of it waits for a service without it.
    for name in CLUSTER_SERVICES:
        assert set(services[name].get("depends_on", {})) <= CLUSTER_SERVICES, name


def test_nginx_balances_over_the_three_instances(compose):
    nginx = compose["services"]["cluster-nginx"]
    assert "./deploy/cluster/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    host_port, container_port = published_port(nginx)
    assert host_port == "3050" and host_port != published_port(compose["services"]["app"])[0]
    text = re.sub(r"#.*", "", nginx_config())
    upstream, block = re.search(r"\bupstream\s+(\w+)\s*\{([^}]*)\}", text).groups()
    servers = re.findall(r"^\s*server\s+([^;\s]+)", block, re.MULTILINE)
    port = app_environment(compose)["PORT"]
    assert servers == [f"{name}:{port}" for name in CLUSTER_APPS]
    # Kept-alive connections upstream, as in the demo: keepalive, HTTP/1.1 and no `Connection: close` passed on.
    assert re.search(r"^\s*keepalive\s+\d+;", block, re.MULTILINE) and "least_conn;" in block
    assert f"proxy_pass http://{upstream};" in text
    assert "proxy_http_version 1.1;" in text and 'proxy_set_header Connection "";' in text
    assert re.search(rf"^\s*listen\s+{container_port}\b", text, re.MULTILINE), f"nginx must listen on {container_port}"


def test_nginx_accepts_the_config(tmp_path):
    """`nginx -t` on a copy whose upstream names are 127.0.0.1 (nginx resolves them at load, and there is no Docker
    DNS here), with the pid file, logs and temporary directories under tmp_path, so it needs no root."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (`make deps` installs it)")
    text = nginx_config().replace("error_log /dev/stderr", f"error_log {tmp_path / 'error.log'}")
    for name in CLUSTER_APPS:
        text = text.replace(f"{name}:", "127.0.0.1:")
    temporary = "".join(f"\n    {kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {", "http {" + temporary, 1)
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    result = subprocess.run(
        [nginx, "-t", "-q", "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-g", f"pid {tmp_path / 'nginx.pid'};"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0 and "Permission denied" in result.stderr:
        pytest.skip(f"nginx -t needs rights this user lacks: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_create_cluster_script_forms_a_cluster_once(tmp_path):
    """deploy/cluster/create-cluster.sh against three private cluster-enabled redis-servers: the first run creates the
    cluster, the second finds it and changes nothing. No Docker and no ticketd."""
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("redis-server and redis-cli are not installed (`make deps` installs them)")
    processes, nodes = [], []
    try:
        for index in range(3):
            port, bus_port = free_port(), free_port()
            directory = tmp_path / f"node-{index}"
            directory.mkdir()
            processes.append(
                subprocess.Popen(
                    ["redis-server", "--port", str(port), "--cluster-port", str(bus_port), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-node-timeout", "2000", "--dir", str(directory),
                     "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            nodes.append(f"127.0.0.1:{port}")
        for node in nodes:
            host, _, port = node.rpartition(":")
            wait_until(lambda: subprocess.run(["redis-cli", "-h", host, "-p", port, "ping"], capture_output=True, text=True).stdout.strip() == "PONG", f"redis-server on {node}", timeout=10)
        script = ROOT / "deploy/cluster/create-cluster.sh"
        first = subprocess.run(["sh", str(script), *nodes], capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "exists already" not in first.stdout
        ids = set()
        for node in nodes:
            host, _, port = node.rpartition(":")
            info = subprocess.run(["redis-cli", "-h", host, "-p", port, "cluster", "info"], capture_output=True, text=True).stdout
            assert "cluster_state:ok" in info and "cluster_known_nodes:3" in info and "cluster_size:3" in info, info
            ids.add(subprocess.run(["redis-cli", "-h", host, "-p", port, "cluster", "myid"], capture_output=True, text=True).stdout.strip())
        again = subprocess.run(["sh", str(script), *nodes], capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "exists already" in again.stdout
        host, _, port = nodes[0].rpartition(":")
        cluster = subprocess.run(["redis-cli", "-h", host, "-p", port, "cluster", "nodes"], capture_output=True, text=True).stdout
        assert {line.split()[0] for line in cluster.splitlines()} == ids, "the second run must not change the cluster"
    finally:
        for process in processes:
            stop(process)
