"""Reloading the packs while requests are in flight: none fails, each is answered whole by one
generation of packs, and a reload that cannot compile changes nothing."""

from __future__ import annotations

import copy
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_history_databases import new_database
from test_service import PACKS, STATION, Server, problem, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("reload")
    pack = tmp / "haining"
    shutil.copytree(PACKS / "haining", pack)
    server = start_server(new_database("sqlite", tmp), tmp, (str(pack),))
    yield server, pack
    server.stop()


def test_reload_while_requests_are_in_flight(served: tuple[Server, Path]) -> None:
    server, pack = served
    stop = threading.Event()
    answers: list[tuple[int, str | None, str | None, str | None]] = []
    lock = threading.Lock()
    warmed = threading.Semaphore(0)

    def ask(client: Any, n: int) -> None:
        record = {**copy.deepcopy(STATION), "id": f"RL-{n}"}
        r = client.post(
            "/api/v1/evaluate", json={"record": record, "packs": ["haining"], "as_of": "2023-06-30"}
        )
        report = r.json().get("report", {}) if r.status_code == 200 else {}
        version = report.get("packs", [{}])[0].get("version")
        with lock:
            answers.append(
                (r.status_code, r.headers.get("x-pack-generation"), version, report.get("verdict"))
            )

    def hammer(n: int) -> None:
        with server.client("assessor") as client:
            ask(client, n)  # one before any reload
            warmed.release()
            while not stop.is_set():
                ask(client, n)
            ask(client, n)  # one after the last reload

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for _ in threads:
        warmed.acquire()
    reloads = []
    try:
        with server.client("admin") as admin:
            reloads.append(admin.post("/api/v1/admin/reload").json())
            text = (pack / "pack.yaml").read_text(encoding="utf-8")
            (pack / "pack.yaml").write_text(
                text.replace("version: 1.2.0", "version: 1.2.1", 1), encoding="utf-8"
            )
            reloads.append(admin.post("/api/v1/admin/reload").json())
            (pack / "pack.yaml").write_text(text.replace("rules:", "rules: [", 1), encoding="utf-8")  # broken
            broken = problem(admin.post("/api/v1/admin/reload"), 422)
            (pack / "pack.yaml").write_text(
                text.replace("version: 1.2.0", "version: 1.2.1", 1), encoding="utf-8"
            )
            reloads.append(admin.post("/api/v1/admin/reload").json())
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert [r["generation"] for r in reloads] == [2, 3, 4]
    assert (
        reloads[0]["changed"] == [] and reloads[1]["changed"] == ["haining"] and reloads[2]["changed"] == []
    )
    assert "invalid-pack" in broken["type"] and broken["problems"][0]["file"].endswith("pack.yaml")
    assert broken["problems"][0]["line"] is not None
    statuses = Counter(a[0] for a in answers)
    assert statuses == {200: len(answers)} and len(answers) >= 12  # two a thread at least
    assert {a[3] for a in answers} == {"compliant"}  # every generation judges alike
    versions = {(gen, version) for _, gen, version, _ in answers}
    assert {("1", "1.2.0"), ("4", "1.2.1")} <= versions  # served before the first and after the last
    assert all(version == ("1.2.0" if gen in ("1", "2") else "1.2.1") for gen, version in versions)
    with server.client(None) as anyone:
        assert anyone.get("/api/v1/health").json()["generation"] == 4
        assert anyone.get("/api/v1/packs/haining").json()["version"] == "1.2.1"
        spec = anyone.get("/api/v1/openapi.json").json()
        assert spec["components"]["schemas"]["EvaluateRequest"]["properties"]["packs"]["items"]["enum"] == [
            "haining"
        ]
