"""Checking a ledger in the web app, in a real browser against the real server: upload the
shipped messy sample ledger, follow the check, compare its counts with the command line's on
the same file, open a failing station and read its clause and the values that decided it,
download the XLSX and a station's PDF, see the rectification ledger; a viewer cannot upload;
no page shows a raw code in zh. Screenshots of each page are kept (``web_support.SCREENSHOTS``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyengine.outcomes import ROW_STATUSES
from test_service import Server
from web_support import RAW_CODE, log_in, new_page, print_preview, screenshot, web_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "examples" / "ledgers" / "county_stations.xlsx"
MAPPING = ROOT / "examples" / "ledgers" / "mapping.yaml"
AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-ledgers"), packs=("sichuan", "haining", "hunan"))
    yield running
    running.stop()


def upload_sample(page: Any, server: Server) -> str:
    """Fill the ledger form with the sample and its mapping; the results page's URL."""
    page.goto(f"{server.base}/ledgers")
    page.set_input_files("#ledger", str(LEDGER))
    page.set_input_files("#mapping", str(MAPPING))
    page.check("#pack-sichuan")
    page.select_option("#kind", "station")
    page.fill("#as_of", AS_OF)
    page.fill("#issuer", "眉山市民政局")
    page.click("form.ledger-form button[type=submit]")
    page.wait_for_url("**/jobs/*")
    if page.query_selector("#job-progress") is not None:  # still running (it takes a few seconds)
        screenshot(page, "job-progress")
    page.wait_for_selector("ul.tally", timeout=180_000)  # the progress page reloads itself
    url: str = page.url
    return url


@pytest.fixture(scope="module")
def results(server: Server, browser: Any) -> Iterator[tuple[Any, str]]:
    """An assessor's page on the sample ledger's results (the check run once for the module)."""
    page = new_page(browser)
    log_in(page, server, "assessor")
    page.goto(f"{server.base}/ledgers")
    screenshot(page, "ledgers")
    url = upload_sample(page, server)
    yield page, url
    page.context.close()


def cli_rows(tmp: Path) -> list[dict[str, Any]]:
    """``policyengine assess`` on the same ledger: its JSON Lines rows."""
    out = tmp / "cli.jsonl"
    command = [sys.executable, "-m", "policyengine.cli", "assess", "-p", "sichuan", str(LEDGER)]
    command += ["--kind", "station", "--mapping", str(MAPPING), "--as-of", AS_OF, "-o", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_sample_ledgers_counts_are_the_command_lines(results: tuple[Any, str], tmp_path: Path) -> None:
    page, _ = results
    rows = cli_rows(tmp_path)
    verdicts = Counter(r["verdict"] for r in rows)
    tally = {
        li.inner_text().split("\n")[-1].strip(): int(li.query_selector(".n").inner_text())
        for li in page.query_selector_all("ul.tally li")
    }
    assert tally == {s.label_zh: verdicts.get(s.value, 0) for s in ROW_STATUSES}
    assert tally["合规"] == 6 and tally["不合规"] == 2  # as docs/ledgers.md prints it
    by_area: dict[str, Counter[str]] = {}
    for r in rows:
        by_area.setdefault(r["row"]["area"] or "(未填地区)", Counter())[r["verdict"]] += 1
    for tr in page.query_selector_all("table.areas tbody tr"):
        cells = [c.inner_text().strip() for c in tr.query_selector_all("th, td")]
        expected = by_area[cells[0]]
        assert [int(c) for c in cells[1:-1]] == [expected.get(s.value, 0) for s in ROW_STATUSES]
    clauses = page.inner_text("table.clauses")
    assert "每站配备2名以上专业社工" in clauses and "三" in clauses
    assert len(page.query_selector_all("#station-table tbody tr")) == len(rows) == 10
    screenshot(page, "job-results")
    print_preview(page, "job-results-print")


def test_the_station_table_filters_and_sorts_on_the_server(results: tuple[Any, str]) -> None:
    page, url = results
    page.goto(f"{url}?verdict=non_compliant")
    names = [r.inner_text() for r in page.query_selector_all("#station-table tbody tr td:nth-child(4)")]
    assert len(names) == 2 and any("仁美镇社工站" in n for n in names)
    page.goto(f"{url}?sort=failed")
    first = page.query_selector("#station-table tbody tr td:nth-child(4)").inner_text()
    assert first.strip() in ("仁美镇社工站", "张场镇社工站", "花溪镇社工站")
    page.goto(url)


def test_a_failing_station_shows_its_clause_and_the_values_that_decided_it(
    results: tuple[Any, str],
) -> None:
    page, url = results
    page.goto(url)
    page.click("#station-table a:text('仁美镇社工站')")
    page.wait_for_selector("article.finding")
    main = page.inner_text("main")
    assert "不合规" in main and "每站配备2名以上专业社工" in main
    assert "提供专业化服务,每站配备2名以上专业社工" in main  # the clause's quote
    assert "社工站专业社工 1 人,少于 2 人" in main
    trace = page.inner_text("article.finding.o-fail .trace")
    # the values that decided it, in the words the pack page uses for the rule
    assert "工作人员中专业社工为“是”的数量为 1,应不少于 每站最少专业社工人数(2人):不满足" in trace
    assert "严重程度:不合规" in main and "错误" not in main  # the signed reports' words
    assert "未整改" in page.inner_text("#items ~ table")  # the item the check opened
    assert "台账检查" in page.inner_text("table.history")
    screenshot(page, "station")


def test_download_the_xlsx_and_a_stations_pdf(results: tuple[Any, str], tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    page, url = results
    page.goto(url)
    with page.expect_download() as info:
        page.click("ul.downloads a[href$='/files/xlsx']")
    saved = tmp_path / "result.xlsx"
    info.value.save_as(saved)
    book = load_workbook(saved, read_only=True)
    cells = [
        [str(c) for c in row if c is not None]
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    assert any("DL03" in row and "不合规" in row for row in cells), cells[:5]
    link = page.get_attribute("#station-table tr:has-text('仁美镇社工站') a[href$='.pdf']", "href")
    assert link is not None
    pdf = page.context.request.get(f"{url.split('/jobs/')[0]}{link}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf.body())).pages
    text = "".join(p.extract_text() for p in pages).replace("\n", "")  # table cells wrap
    assert "仁美镇社工站" in text and "每站配备2名以上专业社工" in text
    archive = page.context.request.get(f"{url}/reports.zip")
    names = zipfile.ZipFile(io.BytesIO(archive.body())).namelist()
    assert len(names) == 9 and all(n.endswith(".pdf") for n in names)  # the unreadable row has no id


def test_the_rectification_ledger_lists_the_items_the_check_opened(
    results: tuple[Any, str], server: Server
) -> None:
    page, _ = results
    page.goto(f"{server.base}/rectification")
    table = page.inner_text("#open-items")
    assert "仁美镇社工站" in table and "花溪镇社工站" in table and "每站配备2名以上专业社工" in table
    screenshot(page, "rectification")
    page.goto(f"{server.base}/rectification?status=closed")
    assert "没有已整改的事项" in page.inner_text("main") and "未整改事项" not in page.inner_text("main")
    page.goto(f"{server.base}/rectification?status=open")
    page.click("#open-items a:text('仁美镇社工站')")
    assert "评估记录" in page.inner_text("main") and "每站配备2名以上专业社工" in page.inner_text("main")
    screenshot(page, "station-history")


def test_no_page_shows_a_raw_code_in_zh(results: tuple[Any, str], server: Server) -> None:
    page, url = results
    page.goto(url)
    station = page.get_attribute("#station-table a:text('中保镇社工站')", "href")
    pages = ["/ledgers", url.split(server.base)[1], station, "/rectification", "/stations/HY05"]
    for path in pages:
        page.goto(f"{server.base}{path}")
        text = page.inner_text("body").replace(LEDGER.name, "")  # the file's own name is the user's
        assert not RAW_CODE.findall(text), (path, RAW_CODE.findall(text))
    page.goto(f"{server.base}{station}")
    screenshot(page, "station-incomplete")
    for path in pages:  # the English pages render too
        assert page.goto(f"{server.base}{path}?lang=en").status == 200, path
    screenshot(page, "station-history-en")


def test_a_viewer_sees_the_form_disabled_and_cannot_post(server: Server, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, server, "viewer")
    page.goto(f"{server.base}/ledgers")
    assert "不能上传台账" in page.inner_text("main")
    assert page.is_disabled("#ledger") and page.is_disabled("form.ledger-form button[type=submit]")
    screenshot(page, "ledgers-viewer")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "pe_csrf")
    answer = page.context.request.post(
        f"{server.base}/ledgers",
        multipart={
            "csrf": csrf,
            "packs": "sichuan",
            "as_of": AS_OF,
            "ledger": {"name": "a.csv", "mimeType": "text/csv", "buffer": b"id\nX1\n"},
        },
    )
    assert answer.status == 403 and "权限不足" in answer.text()
    page.context.close()


def test_a_form_with_problems_says_what_to_fix(server: Server, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, server, "assessor")
    page.goto(f"{server.base}/ledgers")
    page.set_input_files("#ledger", str(LEDGER))
    page.check("#pack-sichuan")
    page.check("#pack-hunan")
    page.select_option("#kind", "")
    page.click("form.ledger-form button[type=submit]")
    assert "请选择台账中记录的类型" in page.inner_text(".error")
    page.context.close()


def test_a_ledger_that_cannot_be_read_says_why_in_chinese(server: Server, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, server, "assessor")
    page.goto(f"{server.base}/ledgers")
    page.set_input_files("#ledger", str(LEDGER))  # without its mapping: 社工姓名 is no field's title
    page.check("#pack-sichuan")
    page.fill("#as_of", AS_OF)
    page.click("form.ledger-form button[type=submit]")
    page.wait_for_selector("h1:text('台账未能完成检查')", timeout=180_000)
    main = page.inner_text("main")
    assert "工作人员 第1行第2列" in main and "第 2 列“社工姓名”不对应任何字段" in main
    assert "是否应为“姓名”" in main and not RAW_CODE.findall(main.replace(LEDGER.name, ""))
    screenshot(page, "job-failed")
    page.context.close()
