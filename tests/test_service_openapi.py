"""The published OpenAPI document: it validates, it describes the report field by field, the
report the live server returns for every shipped example matches it (checked by a JSON Schema
validator), and schemathesis finds no server error (nor any other failure) against it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from policyengine.evaluate.document import report_json_schema
from policyengine.io import read_records
from test_history_databases import new_database
from test_service import PACKS, Server, start_server

pytestmark = pytest.mark.slow

EXAMPLES = sorted(p for p in PACKS.glob("*/examples/*") if p.suffix in (".yaml", ".yml", ".json"))
LOGS = sorted(PACKS.glob("*/examples/*.jsonl"))
DATES = ("2022-10-01", "2023-06-30", "2024-03-01")


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with every shipped pack."""
    tmp = tmp_path_factory.mktemp("openapi")
    server = start_server(new_database("sqlite", tmp), tmp, ())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def spec(everything: Server) -> dict[str, Any]:
    with everything.client(None) as client:
        return dict(client.get("/api/v1/openapi.json").json())


def validator(spec: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    """A validator of one component schema of the OpenAPI document (3.1: JSON Schema 2020-12)."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_the_openapi_document_validates_and_types_the_report(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]
    result = schemas["EvaluationResult"]["properties"]
    assert result["report"] == {"$ref": "#/components/schemas/ReportDocument"}
    report = schemas["ReportDocument"]
    assert report["additionalProperties"] is False
    assert set(report["properties"]) == set(report_json_schema()["properties"])
    finding = schemas["FindingDoc"]["properties"]
    assert finding["outcome"] == {"$ref": "#/components/schemas/Outcome"}
    assert schemas["Verdict"]["enum"] == ["compliant", "non_compliant", "incomplete", "not_assessed"]
    problem = spec["paths"]["/api/v1/evaluate"]["post"]["responses"]["422"]["content"]
    assert problem == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}
    }
    ids = schemas["EvaluateRequest"]["properties"]["packs"]["items"]["enum"]
    assert {"haining", "lanzhou_2022", "sichuan"} <= set(ids)


def test_every_shipped_example_report_matches_the_published_schema(
    everything: Server, spec: dict[str, Any]
) -> None:
    check = validator(spec, "EvaluationResult")
    seen: set[str] = set()
    with everything.client("assessor") as client:
        for path in EXAMPLES:
            pack = path.parent.parent.name
            for n, (_, record) in enumerate(read_records(path)):
                record = json.loads(json.dumps(record, default=_text))
                record["id"] = record.get("id") or f"{pack}-{path.stem}-{n}"
                for as_of in DATES:
                    for trace in (True, False):
                        body = {"record": record, "packs": [pack], "as_of": as_of, "trace": trace}
                        answer = client.post("/api/v1/evaluate", json=body)
                        assert answer.status_code == 200, (path, answer.text)
                        errors = [e.message for e in check.iter_errors(answer.json())]
                        assert errors == [], (path, as_of, errors[:3])
                        seen.add(answer.json()["report"]["verdict"])
    assert len(EXAMPLES) >= 20 and seen >= {"compliant", "non_compliant"}


def test_every_shipped_event_log_with_its_records_matches_too(
    everything: Server, spec: dict[str, Any]
) -> None:
    check = validator(spec, "EvaluationResult")
    judged = 0
    with everything.client("assessor") as client:
        for log in LOGS:
            pack = log.parent.parent.name
            events = [
                json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
            for path in sorted(log.parent.glob("*.yaml")):
                for _, record in read_records(path):
                    record = json.loads(json.dumps(record, default=_text))
                    body = {"record": record, "packs": [pack], "as_of": "2023-12-31", "events": events}
                    answer = client.post("/api/v1/evaluate/events", json=body)
                    if answer.status_code != 200:  # a kind events cannot name (a county centre …)
                        assert answer.headers["content-type"] == "application/problem+json"
                        continue
                    assert [e.message for e in check.iter_errors(answer.json())] == []
                    judged += answer.json()["report"]["monitoring"] is not None
    assert judged >= 3


def test_the_check_is_a_real_one(everything: Server, spec: dict[str, Any]) -> None:
    """The same validator refuses a report that strays from the schema."""
    check = validator(spec, "EvaluationResult")
    record = json.loads(
        json.dumps(
            next(iter(read_records(PACKS / "lanzhou_2022" / "examples" / "project.yaml")))[1], default=_text
        )
    )
    with everything.client("assessor") as client:
        good = client.post(
            "/api/v1/evaluate", json={"record": record, "packs": ["lanzhou_2022"], "as_of": "2023-09-28"}
        ).json()
    assert list(check.iter_errors(good)) == []
    for spoil in (
        lambda r: r["report"].update(verdict="maybe"),
        lambda r: r["report"]["findings"][0].update(outcome="passed"),
        lambda r: r["report"]["packs"][0].update(content_hash="md5:00"),
        lambda r: r["report"].update(extra=1),
        lambda r: r["report"].update(as_of="28/09/2023"),
    ):
        bad = json.loads(json.dumps(good))
        spoil(bad)
        assert list(check.iter_errors(bad)) != []


def test_schemathesis_finds_no_failure_against_the_live_server(everything: Server, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{everything.base}/api/v1/openapi.json",
        "-H", f"Authorization: Bearer {everything.tokens['admin']}",
        "--checks", "all",
        # a record's fields are checked against the model of its kind (`policyengine schema
        # KIND`), which an object in the API's schema cannot say: schema-valid but wrong
        # records are refused, with problem documents, as they must be
        "--exclude-checks", "positive_data_acceptance",
        "--max-examples", "15", "--seed", "20261202", "--workers", "1",
        "--generation-database", "none", "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    # in tmp_path: schemathesis keeps a cache in the directory it runs in
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Server error" not in run.stdout
    report = next(tmp_path.glob("*.xml")).read_text(encoding="utf-8")
    assert 'failures="0"' in report and 'errors="0"' in report


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
