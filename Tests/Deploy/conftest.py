"""Fixtures for the deployment checks: the repository's files, and a live ticketd on a private Redis.

The live fixtures start their own redis-server and ticketd on free ports in a temporary directory and stop them
afterwards. Nothing waits a fixed time: every wait polls for a condition until a deadline.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "deploy-check-admin-token"
SEEDED_EVENTS = 3
TICKETS_PER_EVENT = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what: str, timeout: float = 30.0, interval: float = 0.05):
    """Polls `condition` until it returns something truthy (returned) or `timeout` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (OSError, ValueError, KeyError) as error:  # not up yet, or an answer we cannot read yet
            last_error = error
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last error: {last_error})")


@dataclass
class HTTPAnswer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 10.0) -> HTTPAnswer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HTTPAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return HTTPAnswer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def stop(process: subprocess.Popen, timeout: float = 15.0):
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds; only this process, by its pid."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_yaml(relative: str):
    return yaml.safe_load((ROOT / relative).read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / "env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def ticketd_binary() -> Path:
    """The ticketd that `swift build` made (`make test` builds it before this group runs), or $TICKETD_BIN."""
    if "TICKETD_BIN" in os.environ:
        binary = Path(os.environ["TICKETD_BIN"])
    else:
        bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True)
        binary = Path(bin_path.stdout.strip()) / "ticketd"
    assert binary.is_file(), f"{binary} does not exist: run `swift build` first"
    return binary


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers_ping():
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    try:
        wait_until(answers_ping, f"redis-server on port {port}", timeout=10)
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(process)


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen


@pytest.fixture(scope="session")
def live_server(ticketd_binary, redis_url, tmp_path_factory):
    """`ticketd serve` on a free port, with an admin token, over events 1-3 seeded by `ticketd seed`."""
    directory = tmp_path_factory.mktemp("ticketd")  # its working directory: no .env of the repository is read
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "warning",
        "LOG_FILE": "",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "PDF_OUTPUT_DIR": str(directory / "tickets"),
        "PDF_WORKERS": "0",
        "TICKET_SIGNING_KEY": "deploy-check-signing-key-0123456789",
    }
    subprocess.run(
        [str(ticketd_binary), "seed", str(SEEDED_EVENTS), str(TICKETS_PER_EVENT), "--reset"],
        cwd=directory,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = open(directory / "ticketd.log", "wb")
    process = subprocess.Popen([str(ticketd_binary), "serve"], cwd=directory, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is None and http("GET", url + "/health", timeout=2).status == 200, "ticketd /health", timeout=60)
        yield LiveServer(url=url, port=port, process=process)
    finally:
        stop(process)
        log.close()
        assert process.returncode == 0, f"ticketd exited with {process.returncode}: see {directory / 'ticketd.log'}"


def buy(server: LiveServer, event: str) -> HTTPAnswer:
    answer = http("POST", f"{server.url}/buy/{event}")
    assert answer.status == 201, f"POST /buy/{event}: {answer.status} {answer.body!r}"
    return answer
