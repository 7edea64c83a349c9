"""The public pack pages and the policy matrix, in a real browser against the real server: a
rule beside its clause and quote, parameters with their dated values, the clauses left
unchecked, the coverage table; the matrix's funding-share row and its filter; an unknown pack
answered with "did you mean"; no raw code or English field name in zh. Screenshots are kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from test_service import Server
from web_support import RAW_CODE, new_page, screenshot, web_server

pytestmark = pytest.mark.slow
__all__ = ["zh_text"]

PACKS = ("sichuan", "haining", "hunan")
SHARE_QUOTE = "均明确各地可使用社会救助专项资金的3%开展社会救助社工服务"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-packs"), packs=PACKS)
    yield running
    running.stop()


def zh_text(page: Any) -> str:
    """What a reader sees in the page's main part, without what is code on purpose (a pack
    author's YAML in ``<code>``/``<pre>``/``<textarea>``)."""
    text: str = page.evaluate(
        """() => {
            const main = document.querySelector('main').cloneNode(true);
            main.querySelectorAll('code, pre, textarea, [lang=en]').forEach(e => e.remove());
            return main.textContent;
        }"""
    )
    return text


def test_a_pack_page_puts_each_rule_beside_its_clause_and_quote(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/packs")
    assert "四川省" in page.inner_text("table.packs")
    screenshot(page, "packs")
    page.click("text=四川省社会工作服务体系建设")
    page.wait_for_url("**/packs/sichuan")
    rule = page.locator("tr[id='rule-funding.assistance_share']")
    assert "社工服务支出不超过社会救助专项资金的3%" in rule.inner_text()
    cite = rule.locator("td.cite")
    assert "条款 一" in cite.inner_text() and SHARE_QUOTE in cite.locator("blockquote").inner_text()
    # what it requires, in words: the field titles, the parameter with its value
    assert (
        "其中:社会救助专项资金列支(元) 不超过 社会救助专项资金用于社工服务的最高比例(3%)" in rule.inner_text()
    )
    assert "不满足时:不合规" in rule.inner_text()
    when = page.locator("tr[id='rule-station.social_workers']").inner_text()
    assert "适用于:层级为“乡镇(街道)社工站”" in when
    params = page.inner_text("table.params")
    assert "2021-01-01" in params and "3%" in params and "20万元" in params
    assert "全省试点县数量是省级汇总数字" in page.inner_text("table.not-checked")
    assert "部分编码" in page.inner_text("table.coverage")  # 一: the 3% rule, and a part not checked
    assert page.get_attribute("a[href='/matrix?pack=sichuan']", "href")
    assert not RAW_CODE.findall(zh_text(page)), RAW_CODE.findall(zh_text(page))
    screenshot(page, "pack-sichuan")
    page.context.close()


def test_every_pack_page_reads_in_chinese(server: Server, browser: Any) -> None:
    page = new_page(browser)
    for path in ["/packs", *(f"/packs/{p}" for p in PACKS), "/matrix"]:
        page.goto(f"{server.base}{path}")
        found = RAW_CODE.findall(zh_text(page))
        assert not found, (path, found)
    page.context.close()


def test_the_matrix_shows_the_funding_share_row_and_filters_by_pack(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/matrix")
    row = page.locator("section[data-row='funding_share']")
    assert "社会救助资金用于社工服务的比例" in row.locator("h2").inner_text()
    sichuan = row.locator("tr", has_text="四川省社会工作服务体系建设")
    cells = sichuan.inner_text()
    assert "3%" in cells and "社会救助专项资金" in cells and "上限:不超过" in cells and SHARE_QUOTE in cells
    assert row.locator("tr", has_text="湖南").count() >= 1
    screenshot(page, "matrix")
    page.check("input[name=pack][value=haining]")
    page.click("form.filter button[type=submit]")
    page.wait_for_url("**/matrix?pack=haining")
    assert "四川省社会工作服务体系建设" not in page.inner_text("main section.matrix-row >> nth=0")
    assert page.locator("section[data-row='funding_share']").count() == 0  # haining states no share
    page.context.close()


def test_an_unknown_pack_is_answered_with_did_you_mean(server: Server) -> None:
    answer = httpx.get(f"{server.base}/packs/sichaun")
    assert answer.status_code == 404
    assert "您要找的是不是" in answer.text and 'href="/packs/sichuan"' in answer.text


def test_the_english_page_shows_the_rule_as_written(server: Server) -> None:
    answer = httpx.get(f"{server.base}/packs/sichuan?lang=en")
    assert answer.status_code == 200
    assert "Social-work services take at most 3% of special funds" in answer.text
    assert (
        "funds.purchase_from_special &lt;= param.max_assistance_share * funds.social_assistance"
        in answer.text
    )
    matrix = httpx.get(f"{server.base}/matrix?lang=en")
    assert "Share of social-assistance funds for social-work services" in matrix.text
