"""Draft a pack, in a real browser against the real server: a pasted pack with a typo shows the
line, the column and "did you mean"; its test cases run (and a wrong expectation is shown
against what came out); a draft reaches nothing outside itself, installs nothing and keeps
nothing; every form needs this browser's CSRF token. Screenshots are kept."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from test_service import Server
from test_web_packs import zh_text
from web_support import RAW_CODE, new_page, screenshot, web_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACK = (ROOT / "packs" / "sichuan" / "pack.yaml").read_text(encoding="utf-8")
CASES = (ROOT / "packs" / "sichuan" / "tests" / "cases.yaml").read_text(encoding="utf-8")
TYPO = PACK.replace("require: funds.purchase_from_special <=", "require: funds.purchase_from_specal <=")
TYPO_LINE = next(i for i, line in enumerate(TYPO.split("\n"), 1) if "purchase_from_specal" in line)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-draft"), packs=("sichuan", "haining"))
    yield running
    running.stop()


def test_a_typo_shows_its_line_and_did_you_mean(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/draft")
    screenshot(page, "draft")
    page.fill("#pack", TYPO)
    page.click("form.draft-form button[type=submit]")
    page.wait_for_load_state()
    problem = page.locator("li.problem").first
    assert problem.locator(".line").inner_text() == str(TYPO_LINE)
    assert problem.locator(".column").inner_text() == "20"
    assert "purchase_from_specal" in problem.locator("pre.source-line").inner_text()
    hint = problem.locator(".did-you-mean").inner_text()
    assert "是否应为" in hint and "purchase_from_special" in hint
    assert page.input_value("#pack") == TYPO  # the text stays, to be corrected
    assert not RAW_CODE.findall(zh_text(page)), RAW_CODE.findall(zh_text(page))
    screenshot(page, "draft-problems")
    page.context.close()


def test_the_cases_run_and_a_wrong_expectation_shows(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/draft?start=sichuan")  # the served pack and its cases, to edit
    assert page.input_value("#pack").startswith("# 四川省")
    page.click("form.draft-form button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.cases tr.case")
    assert rows.count() == CASES.count("  - name:") and page.locator("tr.case-fail").count() == 0
    # expect a pass where 3% + 1 yuan fails
    wrong = CASES.replace(
        "expect: {verdict: non_compliant, rules: {funding.assistance_share: fail}}",
        "expect: {verdict: compliant}",
        1,
    )
    page.fill("#cases", wrong)
    page.click("form.draft-form button[type=submit]")
    page.wait_for_load_state()
    failed = page.locator("tr.case-fail")
    assert failed.count() == 1
    assert "3.5%超过上限" in failed.inner_text() and "结论:期望 合规,实际 不合规" in failed.inner_text()
    assert "1 个未通过" in page.inner_text("#draft-result h3")
    screenshot(page, "draft-cases")
    page.context.close()


def test_a_draft_reaches_nothing_outside_itself_and_keeps_nothing(server: Server) -> None:
    before = set(Path(tempfile.gettempdir()).glob("pe-draft-*"))
    with httpx.Client(base_url=server.base, timeout=60) as client:
        client.get("/draft")
        csrf = client.cookies["pe_csrf"]
        escape = CASES.replace("../examples/funding.yaml", "../../../../../../../etc/passwd", 1)
        answer = client.post("/draft", data={"csrf": csrf, "pack": PACK, "cases": escape})
        assert "不是本草稿中的文件" in answer.text and "root:" not in answer.text
        outside = "extends: ../haining\n" + PACK  # a path, not a served pack's id
        answer = client.post("/draft", data={"csrf": csrf, "pack": outside})
        assert "不是本服务的政策包" in answer.text
        # the served packs are what they were: nothing was installed
        assert "sichuan_draft" not in client.get("/packs").text
        renamed = PACK.replace("id: sichuan", "id: sichuan_draft", 1)
        assert "格式检查通过" in client.post("/draft", data={"csrf": csrf, "pack": renamed}).text
        assert (
            "sichuan_draft" not in client.get("/packs").text
            and client.get("/packs/sichuan_draft").status_code == 404
        )
        too_big = client.post("/draft", data={"csrf": csrf, "pack": "#" * (600 * 1024)})
        assert "超过 512 KB" in too_big.text
        refused = client.post("/draft", data={"csrf": "x" * 32, "pack": PACK})
        assert refused.status_code == 403
    assert set(Path(tempfile.gettempdir()).glob("pe-draft-*")) <= before


def test_a_problems_line_link_selects_that_line(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/draft")
    page.fill("#pack", TYPO)
    page.click("form.draft-form button[type=submit]")
    page.wait_for_load_state()
    page.click("li.problem a.goto")
    selected = page.evaluate(
        "() => { const b = document.getElementById('pack');"
        " return b.value.slice(b.selectionStart, b.selectionEnd); }"
    )
    assert "funds.purchase_from_specal <=" in selected
    page.context.close()
