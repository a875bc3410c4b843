"""openapi.yaml as the service serves it, and schemathesis fuzzing the live service from it."""

import subprocess
import sys
from pathlib import Path

from conftest import ADMIN_TOKEN, ROOT, http


def test_the_service_serves_the_document(live_server):
    answer = http("GET", live_server.url + "/openapi.yaml")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/yaml"
    assert answer.body == (ROOT / "openapi.yaml").read_bytes()


def test_schemathesis_finds_no_server_error_and_no_nonconforming_response(live_server, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            live_server.url,
            "--header",
            f"Authorization: Bearer {ADMIN_TOKEN}",
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "20261126",
            "--generation-database",
            "none",
            # One worker: Python 3.11 before 3.11.8 can fail `ast.parse` in concurrent threads (CPython gh-106905),
            # which hypothesis calls to describe its strategies.
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--report-dir",
            str(tmp_path / "report"),
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"{result.stdout[-6000:]}{result.stderr[-2000:]}\nwhole output: {tmp_path / 'schemathesis.txt'}"
