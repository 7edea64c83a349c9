"""A county token sees only its county in the web app, in a real browser: its own checks, its
county's stations and rectification items; another county's station answers 404 (as if it
were not there), also when it was in the county's own upload. A viewer token of another county
sees that county's items and cannot upload."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_service import STATION, Server
from web_support import log_in, new_page, screenshot, web_server

pytestmark = pytest.mark.slow

AS_OF = "2023-06-30"


def station(sid: str, name: str, county: str) -> dict[str, Any]:
    """A Haining-pack station failing its volunteers rule, in ``county`` of 嘉兴市."""
    record = copy.deepcopy(STATION)
    record.update(id=sid, name=name, volunteers={"registered": 5, "regular": 2})
    record["region"] = {"province": "浙江省", "city": "嘉兴市", "county": county, "township": "示例街道"}
    return record


def ledger(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A service whose history holds a failing station in 海宁市 and one in 桐乡市 (an
    unscoped admin's check, judged by the Haining pack whatever the county)."""
    tmp = tmp_path_factory.mktemp("web-scope")
    running = web_server(tmp)
    both = ledger(
        tmp / "both.jsonl", [station("HN-A", "海宁甲站", "海宁市"), station("TX-A", "桐乡甲站", "桐乡市")]
    )
    with running.client("admin") as client, both.open("rb") as fh:
        job = client.post(
            "/api/v1/jobs",
            data={"packs": ["haining"], "formats": ["csv"], "as_of": AS_OF, "ignore_scope": "true"},
            files={"ledger": ("两县.jsonl", fh, "application/octet-stream")},
        ).json()
        deadline = time.monotonic() + 180
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.get(f"/api/v1/jobs/{job['id']}").json()
        assert job["status"] == "succeeded" and job["history"]["recorded"] == 2, job
    running.admin_job = job["id"]  # type: ignore[attr-defined]
    yield running
    running.stop()


def test_a_county_token_sees_only_its_countys_items_and_stations(server: Server, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, server, "haining")
    page.goto(f"{server.base}/rectification")
    items = page.inner_text("main")
    assert "海宁甲站" in items and "桐乡甲站" not in items and "TX-A" not in items
    screenshot(page, "rectification-county")
    assert page.goto(f"{server.base}/stations/HN-A").status == 200
    missing = page.goto(f"{server.base}/stations/TX-A")
    assert missing.status == 404 and "没有找到" in page.inner_text("main")
    other_job = page.goto(f"{server.base}/jobs/{server.admin_job}")  # type: ignore[attr-defined]
    assert other_job.status == 404
    assert page.goto(f"{server.base}/stations/{server.admin_job}/TX-A").status == 404  # type: ignore[attr-defined]
    page.goto(f"{server.base}/ledgers")
    assert "两县.jsonl" not in page.inner_text("main")  # the admin's check is not this token's
    page.context.close()


def test_another_countys_row_in_a_county_upload_is_not_shown_as_a_station(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    page = new_page(browser)
    log_in(page, server, "haining")
    page.goto(f"{server.base}/ledgers")
    assert page.is_checked("#pack-haining") and not page.is_checked("#pack-hunan")  # its region's pack
    upload = ledger(
        tmp_path / "海宁上报.jsonl",
        [station("HN-B", "海宁乙站", "海宁市"), station("TX-B", "桐乡乙站", "桐乡市")],
    )
    page.set_input_files("#ledger", str(upload))
    page.fill("#as_of", AS_OF)
    page.click("form.ledger-form button[type=submit]")
    page.wait_for_selector("ul.tally", timeout=180_000)
    job_url = page.url
    table = page.inner_text("#station-table")
    assert "海宁乙站" in table and "桐乡乙站" in table and "不在本令牌地区范围内" in table
    assert page.query_selector("#station-table a:text('海宁乙站')") is not None
    assert page.query_selector("#station-table a:text('桐乡乙站')") is None
    screenshot(page, "job-results-county")
    job_id = job_url.rsplit("/", 1)[-1]
    assert page.goto(f"{server.base}/stations/{job_id}/TX-B").status == 404
    assert page.goto(f"{server.base}/stations/{job_id}/HN-B").status == 200
    assert "海宁乙站" in page.inner_text("h1")
    page.goto(f"{server.base}/ledgers")
    assert "海宁上报.jsonl" in page.inner_text("main")
    page.context.close()


def test_a_viewer_of_another_county_sees_that_countys_items_only(server: Server, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, server, "tongxiang")
    page.goto(f"{server.base}/rectification")
    items = page.inner_text("main")
    assert "桐乡甲站" in items and "海宁" not in items.replace("浙江省嘉兴市桐乡市", "")
    assert page.goto(f"{server.base}/stations/HN-A").status == 404
    page.goto(f"{server.base}/ledgers")
    assert page.is_disabled("#ledger")
    page.context.close()
