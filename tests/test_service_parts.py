"""The service's parts without a server: tokens (stored hashed, roles, revoking), the problem
documents' positions, the request-size guard, upload type checks, strict request dates, the
pack catalog's all-or-nothing reload, and ``serve token`` on the command line."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi import UploadFile
from pydantic import ValidationError
from sqlalchemy import select

from policyengine.cli import main
from policyengine.errors import PackError, PolicyEngineError
from policyengine.history.regions import Region, Scope
from policyengine.history.store import History
from policyengine.history.tables import ApiToken
from policyengine.service.catalog import CatalogHolder
from policyengine.service.limits import LEDGER_SUFFIXES, BodyLimit, save_upload
from policyengine.service.problems import ProblemError, line_and_column, pointer
from policyengine.service.schemas import EvaluateRequest, ItemPatch
from policyengine.service.tokens import authenticate, create_token, list_tokens, revoke_token
from test_history_databases import new_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def history(tmp_path: Path) -> Any:
    h = History(new_database("sqlite", tmp_path))
    yield h
    h.close()


def test_tokens_are_stored_hashed_and_carry_role_and_scope(history: History) -> None:
    token, info = create_token(history, "海宁市民政局", "assessor", "浙江省/嘉兴市/海宁市")
    assert token.startswith("pe_") and len(token) >= 40
    with history.reading() as session:
        [row] = session.scalars(select(ApiToken)).all()
        assert token not in json.dumps([row.token_hash, row.name, row.scope], ensure_ascii=False)
        assert len(row.token_hash) == 64
    who = authenticate(history, token)
    assert who is not None and (who.role, who.scope and who.scope.text) == (
        "assessor",
        "浙江省/嘉兴市/海宁市",
    )
    assert who.can("viewer") and who.can("assessor") and not who.can("admin")
    assert authenticate(history, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert authenticate(history, "no prefix") is None
    assert revoke_token(history, info.id) is not None and authenticate(history, token) is None
    assert [t.revoked_at is not None for t in list_tokens(history)] == [True]


def test_a_token_needs_a_known_role_and_a_well_formed_region(history: History) -> None:
    with pytest.raises(PolicyEngineError):
        create_token(history, "x", "superuser")
    with pytest.raises(PolicyEngineError):
        create_token(history, "x", "viewer", "浙江省//海宁市")
    with pytest.raises(PolicyEngineError):
        create_token(history, " ", "viewer")


def test_scope_covers_as_documented() -> None:
    county = Scope.parse("浙江省 / 嘉兴市 / 海宁市")
    assert county.text == "浙江省/嘉兴市/海宁市"
    assert county.covers(Region.of({"province": "浙江", "city": "嘉兴", "county": "海宁"}))
    assert county.covers(Region.of({"county": "海宁市", "township": "斜桥镇"}))
    assert not county.covers(Region.of({"province": "江苏省", "county": "海宁市"}))
    assert not county.covers(Region.of({"province": "浙江省", "city": "嘉兴市"}))  # no county stated
    assert not county.covers(Region())


def test_command_line_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = new_database("sqlite", tmp_path)
    assert main(["serve", "token", "create", "--name", "评估中心", "--role", "viewer", "--db", url]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith("pe_") and "只显示这一次" in out.err
    assert main(["serve", "token", "list", "--db", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "评估中心" and token not in json.dumps(listed)
    assert main(["serve", "token", "revoke", str(listed[0]["id"]), "--db", url]) == 0
    assert main(["serve", "token", "revoke", "99", "--db", url]) == 2
    assert (
        main(["serve", "token", "create", "--name", "x", "--role", "viewer", "--region", "a//b", "--db", url])
        == 2
    )


def test_positions_in_problem_documents() -> None:
    assert line_and_column('{"a": 1,\n  "b": ,}', 15) == (2, 7)
    assert line_and_column("x", 0) == (1, 1)
    assert pointer("staff[0].joined", "/record") == "/record/staff/0/joined"
    assert pointer("a/b~c", "") == "/a~1b~0c"
    assert pointer(None) is None


def test_request_dates_are_strict_and_booleans_are_booleans() -> None:
    ok = EvaluateRequest.model_validate_json('{"record": {}, "packs": ["p"], "as_of": "2023-06-30"}')
    assert str(ok.as_of) == "2023-06-30"
    for bad in ('"as_of": 0', '"as_of": "2023-6-30"', '"as_of": "2023-06-30T00:00:00"', '"trace": 1'):
        with pytest.raises(ValidationError):
            EvaluateRequest.model_validate_json('{"record": {}, "packs": ["p"], ' + bad + "}")
    assert ItemPatch.model_validate_json('{"deadline": null}').model_fields_set == {"deadline"}


def _upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), filename=name)


def test_uploads_are_judged_by_name_and_first_bytes(tmp_path: Path) -> None:
    path, name = save_upload(
        _upload("../../台账 2023.csv", b"id,name\n1,a\n"), tmp_path / "input", LEDGER_SUFFIXES, "x"
    )
    assert (
        path == tmp_path / "input.csv" and name == "台账_2023.csv" and path.read_bytes() == b"id,name\n1,a\n"
    )
    cases = [("a.xlsx", b"id,name\n"), ("a.xls", b"PK\x03\x04"), ("a.csv", b"id\x00name"), ("a.exe", b"MZ")]
    for filename, data in cases:
        with pytest.raises(ProblemError) as caught:
            save_upload(_upload(filename, data), tmp_path / "other", LEDGER_SUFFIXES, "the ledger")
        assert caught.value.status == 415
    assert not (tmp_path / "other.xlsx").exists()


def _run_asgi(
    limit: BodyLimit,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    method: str | None = None,
    path: str = "/api/v1/evaluate",
) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "headers": headers, "method": method}
    # in a thread of its own: the browser tests' Playwright keeps an event loop in this one
    runner = threading.Thread(target=lambda: asyncio.run(limit(scope, receive, send)))  # type: ignore[arg-type]
    runner.start()
    runner.join()
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_body_limit_refuses_early_with_a_problem_document() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limit = BodyLimit(app, max_json_bytes=5000, max_upload_bytes=10_000)
    assert _run_asgi(limit, b"x" * 4000, []) == (200, b"ok")
    status, body = _run_asgi(limit, b"x" * 6000, [])  # no Content-Length: counted as it comes
    assert status == 413 and json.loads(body)["type"].endswith("/too-large")
    status, body = _run_asgi(limit, b"", [(b"content-length", b"999999")])
    assert status == 413 and "MiB" in json.loads(body)["problems"][0]["message"]


def test_a_write_without_a_token_is_refused_before_its_body_is_read() -> None:
    read: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        read.append(len((await receive())["body"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limit = BodyLimit(app, max_json_bytes=5000, max_upload_bytes=10_000)
    status, body = _run_asgi(limit, b"{not json", [], method="POST")
    assert status == 401 and json.loads(body)["type"].endswith("/unauthorized") and read == []
    status, _ = _run_asgi(limit, b"{}", [(b"authorization", b"Basic abc")], method="POST")
    assert status == 401 and read == []
    # a bearer token gets the body to the route, which decides whether the token is known
    assert _run_asgi(limit, b"{}", [(b"authorization", b"Bearer pe_x")], method="POST") == (200, b"ok")
    assert _run_asgi(limit, b"", [], method="GET") == (200, b"ok")  # reads decide per route
    assert read == [2, 0]


def test_the_upload_page_without_a_login_is_sent_to_log_in_before_its_body_is_read() -> None:
    read: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        total, more = 0, True
        while more:
            message = await receive()
            total += len(message.get("body", b""))
            more = message.get("more_body", False)
        read.append(total)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limit = BodyLimit(app, max_json_bytes=5000, max_upload_bytes=10_000)
    assert _run_asgi(limit, b"x" * 4000, [], method="POST", path="/ledgers")[0] == 303 and read == []
    session = [(b"cookie", b"pe_csrf=abc; pe_session=xyz.sig")]
    assert _run_asgi(limit, b"x" * 4000, session, method="POST", path="/ledgers") == (200, b"ok")
    assert read == [4000]  # the route reads it (and decides whether the session is valid)
    # the upload limit is for exactly the upload paths, not every path starting like one
    assert _run_asgi(limit, b"x" * 6000, session, method="POST", path="/ledgers")[0] == 200
    assert _run_asgi(limit, b"x" * 6000, session, method="POST", path="/ledgersx")[0] == 413


def test_a_reload_that_cannot_compile_changes_nothing(tmp_path: Path) -> None:
    pack = tmp_path / "haining"
    shutil.copytree(ROOT / "packs" / "haining", pack)
    holder = CatalogHolder([str(pack)])
    first = holder.current
    engine = first.engine(["haining"])
    assert first.engine(["haining"]) is engine  # built once per generation
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    (pack / "pack.yaml").write_text(text.replace("rules:", "rules: [", 1), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        holder.reload()
    assert caught.value.problems[0].location is not None and caught.value.problems[0].location.line
    assert holder.current is first
    (pack / "pack.yaml").write_text(text.replace("version: 1.2.0", "version: 9.9.9", 1), encoding="utf-8")
    old, new = holder.reload()
    assert old is first and holder.current is new and new.generation == 2
    assert new.pack("haining").version == "9.9.9" and first.pack("haining").version == "1.2.0"
    with pytest.raises(ProblemError) as missing:
        new.pack("hainin")
    assert missing.value.problems[0].hint == "did you mean `haining`?"


@pytest.mark.slow  # compiles a pack
@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")
def test_a_history_that_cannot_be_used_answers_503_with_a_problem_document(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from policyengine.service.app import create_app
    from policyengine.service.config import ServiceConfig

    url = new_database("sqlite", tmp_path)
    app = create_app(ServiceConfig(db_url=url, packs=("haining",), data_dir=tmp_path / "data"))
    token, _ = create_token(app.state.service.history, "t", "viewer")
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/rectification", headers=headers).status_code == 200
        app.state.service.history.engine.dispose()
        (tmp_path / "history.sqlite3").rename(tmp_path / "moved.sqlite3")  # a new empty file appears
        answer = client.get("/api/v1/rectification", headers=headers)
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/history") and "Traceback" not in answer.text


@pytest.mark.slow  # compiles a pack
def test_a_job_refuses_packs_that_changed_since_the_service_loaded_them(tmp_path: Path) -> None:
    from policyengine.service.job_worker import run_job

    ledger = tmp_path / "input.jsonl"
    ledger.write_text('{"kind": "station", "id": "S1"}\n', encoding="utf-8")
    spec = {
        "id": "0" * 16,
        "dir": str(tmp_path),
        "input": str(ledger),
        "pack_dirs": [str(ROOT / "packs" / "haining")],
        "content_hashes": ["sha256:" + "0" * 64],  # not what the files hash to now
        "formats": ["csv"],
        "as_of": "2023-06-30",
        "db_url": new_database("sqlite", tmp_path),
    }
    run_job(spec)
    outcome = json.loads((tmp_path / "outcome.json").read_text(encoding="utf-8"))
    assert "changed since the service loaded them" in outcome["problems"][0]["message"]
    assert "reload" in outcome["problems"][0]["hint"] and not (tmp_path / "result.csv").exists()


def test_a_job_directory_is_private_and_its_spec_holds_no_database_url(tmp_path: Path) -> None:
    from datetime import date

    from policyengine.service.jobs import Job, JobManager

    manager = JobManager(tmp_path, workers=0, db_url="postgresql://pe:s3cret@db/pe", keep_inputs=False)
    job_id, directory = manager.new_directory()
    assert (directory.stat().st_mode & 0o777) == 0o700 and (
        (tmp_path / "jobs").stat().st_mode & 0o777
    ) == 0o700
    job = Job(job_id, 1, "t", None, "in.csv", ["haining"], date(2023, 6, 30), ["csv"], directory)
    manager.submit(job, {"packs": ["haining"], "as_of": "2023-06-30"})
    assert "s3cret" not in (directory / "spec.json").read_text(encoding="utf-8")
