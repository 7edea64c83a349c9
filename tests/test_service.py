"""The HTTP service, driven over real HTTP: ``policyengine serve`` (uvicorn) in a subprocess on
a free loopback port, its history on SQLite and on a real PostgreSQL server (each test here
runs against both). Other modules import :func:`start_server`."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from policyengine.history.store import History
from policyengine.service.tokens import create_token
from test_history_databases import DATABASES, free_port, new_database

pytestmark = pytest.mark.slow  # each module starts servers (packs compiled in a subprocess)

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "packs"
STATION = yaml.safe_load((PACKS / "haining" / "examples" / "station.yaml").read_text(encoding="utf-8"))
HAINING = "浙江省/嘉兴市/海宁市"


@dataclass
class Server:
    base: str
    db_url: str
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = "admin", timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[token]}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


TOKENS = {
    "admin": ("admin", None),
    "assessor": ("assessor", None),
    "viewer": ("viewer", None),
    "haining": ("assessor", HAINING),
    "tongxiang": ("viewer", "浙江省/嘉兴市/桐乡市"),
}


def start_server(
    db_url: str, data_dir: Path, packs: Sequence[str] = ("haining", "hunan"), *args: str
) -> Server:
    """``policyengine serve`` on a free port, with a token of each kind in :data:`TOKENS`."""
    history = History(db_url)
    tokens = {name: create_token(history, name, role, scope)[0] for name, (role, scope) in TOKENS.items()}
    history.close()
    port = free_port()
    command = [sys.executable, "-m", "policyengine.cli", "serve", "--db", db_url, "--port", str(port)]
    command += [a for p in packs for a in ("-p", p)] + ["--data-dir", str(data_dir), *args]
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    server = Server(f"http://127.0.0.1:{port}", db_url, process, tokens)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError((data_dir / "server.log").read_text(encoding="utf-8", errors="replace"))
        try:
            if httpx.get(f"{server.base}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError("the server did not start")


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"serve-{request.param}")
    running = start_server(new_database(request.param, tmp), tmp, ("haining", "hunan"), "--keep-inputs")
    yield running
    running.stop()


def failing() -> dict[str, Any]:
    record = copy.deepcopy(STATION)
    record["volunteers"] = {"registered": 5, "regular": 2}
    return record


def evaluate(
    client: httpx.Client, record: dict[str, Any], as_of: str, packs: Sequence[str] = ("haining",)
) -> httpx.Response:
    return client.post("/api/v1/evaluate", json={"record": record, "packs": list(packs), "as_of": as_of})


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["status"] == status and doc["type"].startswith("tag:policyengine,2026:problem/")
    return doc


def test_a_station_failing_then_fixed_opens_and_closes_one_item(server: Server) -> None:
    record = failing()
    record["id"] = "FIX-1"
    with server.client("assessor") as client:
        first = evaluate(client, record, "2023-03-31")
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["report"]["verdict"] == "non_compliant" and body["verdict_label"] == "不合规"
        [opened] = body["rectification"]["opened"]
        fixed = evaluate(client, {**copy.deepcopy(STATION), "id": "FIX-1"}, "2023-06-30").json()
        assert fixed["rectification"]["closed"] == [opened] and fixed["report"]["verdict"] == "compliant"
        [item] = client.get("/api/v1/rectification", params={"subject": "FIX-1"}).json()
        assert item["status"] == "closed" and item["rounds"] == 1
        assert (item["opened_evaluation_id"], item["closed_evaluation_id"]) == (
            body["evaluation_id"],
            fixed["evaluation_id"],
        )
        assert client.get("/api/v1/rectification", params={"subject": "FIX-1", "open": "true"}).json() == []
        history = client.get("/api/v1/subjects/FIX-1/evaluations").json()
        assert [(h["as_of"], h["verdict"]) for h in history] == [
            ("2023-03-31", "non_compliant"),
            ("2023-06-30", "compliant"),
        ]
        assert history[0]["packs"][0]["content_hash"] == body["report"]["packs"][0]["content_hash"]
    command = ["rectification", "--subject", "FIX-1", "--db", server.db_url]
    shown = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *command], capture_output=True, text=True, check=True
    )
    assert "FIX-1" in shown.stdout and "整改完成" in shown.stdout


def test_evaluate_a_record_with_its_events(server: Server) -> None:
    record = yaml.safe_load((PACKS / "hunan" / "examples" / "project.yaml").read_text(encoding="utf-8"))
    lines = (PACKS / "hunan" / "examples" / "oversight-2022.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    body = {
        "record": json.loads(json.dumps(record, default=str)),
        "packs": ["hunan"],
        "as_of": "2022-12-31",
        "events": events,
    }
    with server.client("assessor") as client:
        answer = client.post("/api/v1/evaluate/events", json=body)
        assert answer.status_code == 200, answer.text
        report = answer.json()["report"]
        assert report["monitoring"]["events"] == len(events)
        assert any(f["origin"] == "monitor" for f in report["findings"])
        events[1]["date"] = "not a date"
        bad = problem(client.post("/api/v1/evaluate/events", json=body), 422)
        assert bad["problems"][0]["pointer"] == "/events/1/date" and bad["problems"][0]["line"] == 2


def test_a_batch_job_runs_to_completion_with_progress_and_downloads(server: Server, tmp_path: Path) -> None:
    rows = []
    for i in range(120):
        record = failing() if i % 4 == 0 else copy.deepcopy(STATION)
        record["id"] = f"JOB-{i:03d}"
        rows.append(json.dumps(record, ensure_ascii=False))
    rows.append('{"kind": "station", "name": "没有编号的站"}')
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text("\n".join(rows) + "\n", encoding="utf-8")
    formats = ["xlsx", "csv", "jsonl", "html", "xml", "docx"]
    with server.client("assessor") as client:
        with ledger.open("rb") as fh:
            answer = client.post(
                "/api/v1/jobs",
                data={"packs": ["haining"], "formats": formats, "as_of": "2023-06-30"},
                files={"ledger": ("台账.jsonl", fh, "application/octet-stream")},
            )
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert (
            job["status"] in ("queued", "running")
            and answer.headers["location"] == f"/api/v1/jobs/{job['id']}"
        )
        seen = [job["progress"]["done"]]
        deadline = time.monotonic() + 180
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            job = client.get(f"/api/v1/jobs/{job['id']}").json()
            seen.append(job["progress"]["done"] if job["progress"]["phase"] != "recording" else 0)
        assert job["status"] == "succeeded", job
        assert job["progress"] == {"phase": "done", "done": 121, "total": 121}
        assert job["summary"]["rows"] == 121 and job["summary"]["verdicts"]["non_compliant"] == 30
        assert job["history"] == {"recorded": 120, "not_recorded": {"no_id": 1}}
        assert [r["format"] for r in job["results"]] == formats
        for result in job["results"]:
            download = client.get(result["url"])
            assert download.status_code == 200 and len(download.content) == result["bytes"] > 0
        assert b"JOB-004" in client.get(f"/api/v1/jobs/{job['id']}/results/csv").content
        assert client.get(f"/api/v1/jobs/{job['id']}/results/pdf").status_code == 404
        assert len(client.get("/api/v1/subjects/JOB-004/evaluations").json()) == 1
        assert (
            len(client.get("/api/v1/rectification", params={"subject": "JOB-004", "open": "true"}).json())
            == 1
        )
    with server.client("viewer") as other:  # another token does not see the job
        assert other.get(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_monitor_over_an_uploaded_log(server: Server) -> None:
    log = (PACKS / "haining" / "examples" / "events-2023.jsonl").read_bytes()
    with server.client("viewer") as client:
        answer = client.post(
            "/api/v1/monitor",
            data={"packs": ["haining"], "until": "2023-12-31", "all": "true"},
            files={"events": ("events.jsonl", log)},
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["counts"]["fail"] >= 1 and result["events"] == len(log.splitlines())
        assert {f["outcome"] for f in result["findings"]} >= {"pass", "fail"}
        broken = log.replace(b'"date": "2023-', b'"date": "2023/13/', 1)
        doc = problem(
            client.post(
                "/api/v1/monitor", data={"packs": ["haining"]}, files={"events": ("mine.jsonl", broken)}
            ),
            422,
        )
        assert doc["problems"][0]["file"] == "mine.jsonl" and doc["problems"][0]["line"] >= 1
        assert "/tmp" not in json.dumps(doc)


def test_problem_documents_carry_positions_and_hints(server: Server) -> None:
    with server.client("assessor") as client:
        text = b'{"packs": ["haining"],\n  "record": {"id": 1,,}}'
        bad_json = client.post("/api/v1/evaluate", content=text, headers={"content-type": "application/json"})
        doc = problem(bad_json, 400)
        assert doc["problems"][0]["line"] == 2 and doc["problems"][0]["column"] == 22
        record = {**copy.deepcopy(STATION), "staff": [{"id": "A", "joined": "someday"}]}
        doc = problem(evaluate(client, record, "2023-06-30"), 422)
        assert (
            doc["problems"][0]["path"] == "staff[0].joined"
            and doc["problems"][0]["pointer"] == "/record/staff/0/joined"
        )
        doc = problem(evaluate(client, {**record, "staf": []}, "2023-06-30"), 422)
        assert any("staff" in (p["hint"] or "") for p in doc["problems"])
        doc = problem(evaluate(client, copy.deepcopy(STATION), "2023-06-30", ["hainin"]), 404)
        assert doc["problems"][0]["hint"] == "did you mean `haining`?"
        doc = problem(client.post("/api/v1/evaluate", json={"record": {}, "packs": []}), 422)
        assert doc["problems"][0]["pointer"] == "/packs"
        nested = b'{"packs": ["haining"], "record": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        problem(
            client.post("/api/v1/evaluate", content=nested, headers={"content-type": "application/json"}), 400
        )
        huge = b'{"record": {"x": "' + b"a" * (9 * 1024 * 1024) + b'"}, "packs": ["haining"]}'
        problem(
            client.post("/api/v1/evaluate", content=huge, headers={"content-type": "application/json"}), 413
        )

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit counts as the body comes
            yield b'{"record": {"x": "'
            for _ in range(9):
                yield b"a" * (1024 * 1024)
            yield b'"}, "packs": ["haining"]}'

        problem(
            client.post("/api/v1/evaluate", content=chunked(), headers={"content-type": "application/json"}),
            413,
        )
        not_a_sheet = client.post(
            "/api/v1/jobs",
            data={"packs": ["haining"], "formats": ["csv"]},
            files={"ledger": ("stations.xlsx", b"just,text\n")},
        )
        assert "扩展名不符" in problem(not_a_sheet, 415)["detail"]
        exe = client.post(
            "/api/v1/jobs",
            data={"packs": ["haining"], "formats": ["csv"]},
            files={"ledger": ("x.exe", b"MZ")},
        )
        problem(exe, 415)


def test_access_by_role_and_region(server: Server) -> None:
    record = {**copy.deepcopy(STATION), "id": "SCOPE-1"}
    with server.client(None) as anonymous:
        problem(evaluate(anonymous, record, "2023-06-30"), 401)
        problem(anonymous.get("/api/v1/rectification"), 401)
        assert anonymous.get("/api/v1/packs").status_code == 200  # the packs are public
    with server.client("viewer") as viewer:
        assert "assessor" in problem(evaluate(viewer, record, "2023-06-30"), 403)["detail"]
        problem(viewer.post("/api/v1/admin/reload"), 403)
    with server.client("haining") as county:
        done = evaluate(county, record, "2023-06-30")
        assert done.status_code == 200, done.text
        elsewhere = {
            **record,
            "id": "SCOPE-2",
            "region": {"province": "浙江省", "city": "嘉兴市", "county": "桐乡市"},
        }
        assert "out-of-scope" in problem(evaluate(county, elsewhere, "2023-06-30"), 403)["type"]
    with server.client("tongxiang") as other_county:
        assert other_county.get("/api/v1/subjects/SCOPE-1/evaluations").json() == []
        problem(other_county.get(f"/api/v1/evaluations/{done.json()['evaluation_id']}"), 404)
        assert all(
            i["region"] != "浙江省 嘉兴市 海宁市" for i in other_county.get("/api/v1/rectification").json()
        )
    with server.client("viewer") as viewer:
        assert len(viewer.get("/api/v1/subjects/SCOPE-1/evaluations").json()) == 1
        problem(viewer.get(f"/api/v1/evaluations/{done.json()['evaluation_id']}/input"), 403)
    with server.client("haining") as county:
        assert county.get("/api/v1/whoami").json() == {
            "name": "haining",
            "role": "assessor",
            "scope": HAINING,
        }


def test_stored_inputs_show_masked_id_numbers(server: Server) -> None:
    record = {**copy.deepcopy(STATION), "id": "MASK-1"}
    record["staff"][0].update(id="330481199001011234", name="王小明")
    with server.client("assessor") as client:
        done = evaluate(client, record, "2023-06-30").json()
        stored = client.get(f"/api/v1/evaluations/{done['evaluation_id']}/input").json()["input"]
    assert stored["staff"][0]["id"] == "330481********1234" and stored["staff"][0]["name"] == "王**"
    assert "199001011234" not in json.dumps(stored, ensure_ascii=False)


def test_deadline_and_note_and_the_trend(server: Server) -> None:
    record = {**failing(), "id": "NOTE-1"}
    with server.client("assessor") as client:
        [item_id] = evaluate(client, record, "2023-02-01").json()["rectification"]["opened"]
        changed = client.patch(
            f"/api/v1/rectification/{item_id}", json={"deadline": "2023-03-31", "note": "发函督办"}
        )
        assert changed.status_code == 200 and changed.json()["note"] == "发函督办"
        assert (
            client.patch(f"/api/v1/rectification/{item_id}", json={"note": None}).json()["deadline"]
            == "2023-03-31"
        )
        rows = client.get("/api/v1/rectification/trend", params={"region": HAINING}).json()
        assert any(r["quarter"] == "2023-Q1" and r["opened"] >= 1 for r in rows)
        sheet = client.get("/api/v1/rectification/trend", params={"format": "xlsx"})
        assert sheet.status_code == 200 and sheet.content.startswith(b"PK")
        assert client.get("/api/v1/rectification/trend", params={"format": "csv"}).text.startswith(
            "\ufeff季度"
        )
    with server.client("viewer") as viewer:
        problem(viewer.patch(f"/api/v1/rectification/{item_id}", json={"note": "x"}), 403)


def test_a_job_whose_ledger_cannot_be_read_fails_with_a_problem_document(server: Server) -> None:
    with server.client("assessor") as client:
        answer = client.post(
            "/api/v1/jobs",
            data={"packs": ["haining"], "formats": ["csv"], "kind": "station", "as_of": "2023-06-30"},
            files={"ledger": ("站点台账.csv", b"foo,bar\n1,2\n")},
        )
        job = answer.json()
        deadline = time.monotonic() + 120
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            job = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["status"] == "failed" and job["results"] == [] and job["summary"] is None
    doc = job["problem"]
    assert doc["type"].endswith("/invalid-input") and doc["instance"] == f"/api/v1/jobs/{job['id']}"
    first = doc["problems"][0]
    assert (first["file"], first["line"], first["column"]) == ("站点台账.csv", 1, 1) and "foo" in first[
        "message"
    ]
    assert first["hint"] and first["pointer"] is None
    assert "/jobs/" not in json.dumps(doc["problems"], ensure_ascii=False)  # no server path
