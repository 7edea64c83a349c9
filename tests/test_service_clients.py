"""The example clients in other languages (examples/clients/) against a live service: the curl
script, and the Java HttpClient program when a JDK is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_history_databases import new_database
from test_service import ROOT, Server, start_server

pytestmark = pytest.mark.slow

CLIENTS = ROOT / "examples" / "clients"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("clients")
    running = start_server(new_database("sqlite", tmp), tmp, ("haining",))
    yield running
    running.stop()


def environment(server: Server, **extra: str) -> dict[str, str]:
    return {**os.environ, "PE_URL": server.base, "PE_TOKEN": server.tokens["assessor"], **extra}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_script(server: Server, tmp_path: Path) -> None:
    run = subprocess.run(
        ["bash", str(CLIENTS / "curl.sh")], env=environment(server, PE_OUT=str(tmp_path)),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"id": "haining", "version": "1.2.0"' in run.stdout
    assert '"verdict_label": "合规"' in run.stdout
    assert '"line": 2, "column": 22' in run.stdout and "HTTP 400 application/problem+json" in run.stdout
    assert "succeeded" in run.stdout and (tmp_path / "results.xlsx").read_bytes().startswith(b"PK")
    assert "HN-ZJ-12" in run.stdout  # the one station of the ledger that fails: its item is open


@pytest.mark.skipif(
    shutil.which("java") is None, reason="no Java runtime (apt-get install openjdk-17-jdk-headless)"
)
def test_the_java_client(server: Server) -> None:
    run = subprocess.run(
        ["java", str(CLIENTS / "java" / "PolicyEngineClient.java"), str(CLIENTS / "station.json")],
        env=environment(server), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "verdict: compliant (合规)" in run.stdout and "evaluation: #" in run.stdout
    assert "problem: 请求不是有效的 JSON" in run.stdout and "at line 2, column 21" in run.stdout
    assert "open rectification item(s)" in run.stdout
