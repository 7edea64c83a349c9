"""Try a rule, in a real browser against the real server: the form generated from the subject
model, filled through its labels and posted without JavaScript — Sichuan's 3% ceiling on the
social-assistance special funds passes at exactly 3% (156,300 of 5,210,000 yuan) and fails at
one yuan more; with JavaScript the result follows the typing; a list of staff grows a row; a
bad amount is named by its field's title; no raw code in zh. Screenshots are kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from test_service import Server
from test_web_packs import zh_text
from web_support import RAW_CODE, VIEWPORT, new_page, screenshot, web_server

pytestmark = pytest.mark.slow

SPECIAL_FUNDS = "5210000"  # 521万
EXACTLY_3_PERCENT = "156300"  # 15.63万: 3% of 521万
ONE_YUAN_MORE = "156301"
RULE = "article[data-rule='funding.assistance_share']"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-try"), packs=("sichuan", "haining", "hunan"))
    yield running
    running.stop()


def plain_page(browser: Any) -> Any:
    """A page with JavaScript off: the form must work as a plain form."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=False)
    return context.new_page()


def choose_sichuan_funding(page: Any, server: Server) -> None:
    page.goto(f"{server.base}/try")
    page.get_by_label("四川省社会工作服务体系建设").check()
    page.click("form.chooser button[type=submit]")
    page.wait_for_load_state()
    page.select_option("#kind", label="资金使用")
    page.click("form.chooser button[type=submit]")
    page.wait_for_load_state()


def submit(page: Any, spent: str) -> None:
    page.get_by_label("社会救助专项资金(元)", exact=True).fill(SPECIAL_FUNDS)
    page.get_by_label("其中:社会救助专项资金列支(元)", exact=True).fill(spent)
    page.fill("#as_of", "2022-12-31")
    page.click("#try-form button[name=evaluate]")
    page.wait_for_load_state()


def test_exactly_three_percent_passes_and_one_yuan_more_fails(server: Server, browser: Any) -> None:
    page = plain_page(browser)
    choose_sichuan_funding(page, server)
    assert "第二步:填写资金使用记录" in page.inner_text("#try-form")
    submit(page, EXACTLY_3_PERCENT)
    assert page.inner_text(".verdict-label") == "合规"
    finding = page.locator(RULE)
    assert finding.get_attribute("data-outcome") == "pass"
    assert "社工服务支出不超过社会救助专项资金的3%" in finding.inner_text()
    assert (
        "均明确各地可使用社会救助专项资金的3%开展社会救助社工服务"
        in finding.locator("blockquote").inner_text()
    )
    decision = finding.locator(".trace").inner_text()  # the decision, in words, with its values
    assert "为 15.63万元,应不超过 社会救助专项资金用于社工服务的最高比例(3%)" in decision
    assert "即 15.63万元:满足" in decision and "不合规" not in decision
    assert page.get_by_label("社会救助专项资金(元)", exact=True).input_value() == SPECIAL_FUNDS  # kept
    screenshot(page, "try-pass")

    submit(page, ONE_YUAN_MORE)
    assert page.inner_text(".verdict-label") == "不合规"
    finding = page.locator(RULE)
    assert finding.get_attribute("data-outcome") == "fail"
    assert "15.6301万元" in finding.inner_text() and "上限 15.63万元" in finding.inner_text()
    assert "为 15.6301万元,应不超过" in finding.inner_text() and "即 15.63万元:不满足" in finding.inner_text()
    assert "不满足时:不合规" in finding.inner_text()  # the severity, in the signed reports' words
    assert not RAW_CODE.findall(zh_text(page)), RAW_CODE.findall(zh_text(page))
    screenshot(page, "try-fail")
    page.context.close()


def test_with_javascript_the_result_follows_the_typing(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/try?pack=sichuan&kind=funding&as_of=2022-12-31")
    page.get_by_label("社会救助专项资金(元)", exact=True).fill("521万")
    page.get_by_label("其中:社会救助专项资金列支(元)", exact=True).fill("15.63万")
    page.wait_for_selector(f"{RULE}[data-outcome='pass']", timeout=20_000)  # no button pressed
    page.get_by_label("其中:社会救助专项资金列支(元)", exact=True).fill("15.6301万")
    page.wait_for_selector(f"{RULE}[data-outcome='fail']", timeout=20_000)
    assert page.inner_text(".verdict-label") == "不合规"
    page.context.close()


def test_a_list_of_staff_grows_a_row_and_is_counted(server: Server, browser: Any) -> None:
    page = plain_page(browser)
    page.goto(f"{server.base}/try?pack=sichuan&kind=station")
    assert page.locator("fieldset.item").count() >= 2  # staff members (and services) as rows
    page.click("button[name=add_row][value=staff]")
    page.wait_for_load_state()
    assert page.locator("#f-staff-2-professional").count() == 1  # a third staff member
    page.select_option("#f-level", label="乡镇(街道)社工站")
    page.select_option("#f-staff-0-professional", label="是")
    page.fill("#as_of", "2022-10-01")
    page.click("#try-form button[name=evaluate]")
    page.wait_for_load_state()
    one = page.locator("article[data-rule='station.social_workers']")
    assert one.get_attribute("data-outcome") == "fail" and "社工站专业社工 1 人,少于 2 人" in one.inner_text()
    page.select_option("#f-staff-2-professional", label="是")
    page.click("#try-form button[name=evaluate]")
    page.wait_for_load_state()
    assert page.locator("article[data-rule='station.social_workers']").get_attribute("data-outcome") == "pass"
    assert not RAW_CODE.findall(zh_text(page)), RAW_CODE.findall(zh_text(page))
    screenshot(page, "try-station")
    page.context.close()


def test_a_bad_amount_is_named_by_its_field_title(server: Server) -> None:
    with httpx.Client(base_url=server.base) as client:
        client.get("/try?pack=sichuan&kind=funding")
        csrf = client.cookies["pe_csrf"]
        form = {"csrf": csrf, "pack": "sichuan", "kind": "funding", "as_of": "2022-12-31"}
        answer = client.post("/try", data={**form, "r.funds.social_assistance": "五百万"})
        assert answer.status_code == 200
        assert "资金/社会救助专项资金(元)" in answer.text and "金额应写作" in answer.text
        assert "is not an amount" not in answer.text  # the zh half only
        refused = client.post("/try", data={**form, "csrf": "x" * 32})
        assert refused.status_code == 403


def test_an_example_record_fills_the_form(server: Server) -> None:
    page = httpx.get(f"{server.base}/try?pack=sichuan&kind=funding&example=sichuan/funding.yaml")
    assert 'value="521万"' in page.text and 'value="15.63万"' in page.text  # as the example writes them
    assert 'value="仁寿县"' in page.text


def _nested_list(record: Any) -> bool:
    """Whether a list's items hold a list of items (budget lines with sub-lines): the form's
    rows take plain fields only."""
    if isinstance(record, dict):
        return any(_nested_list(v) for v in record.values())
    if isinstance(record, list):
        return any(
            (
                isinstance(i, dict)
                and any(isinstance(v, list) and v and isinstance(v[0], dict) for v in i.values())
            )
            or _nested_list(i)
            for i in record
        )
    return False


def test_every_shipped_example_reads_back_from_the_form_as_it_was() -> None:
    """Each pack's example record, put into the form (as ``?example=`` does) and read back from
    what the browser would post, gets the verdict the record itself gets."""
    from datetime import date

    from policyengine._yaml import load_yaml_file, strip_positions
    from policyengine.evaluate.engine import Engine
    from policyengine.plugins import default_subjects, get_registry
    from policyengine.web.try_form import (
        EMPTY,
        build_tree,
        example_paths,
        fill,
        flatten,
        inputs,
        record_from,
        rows_in,
        wanted_paths,
    )

    registry = get_registry()
    checked = 0
    for pack_id in registry.ids():
        pack = registry.load(pack_id)
        examples = pack.path / "examples"
        for path in sorted(examples.glob("*.yaml")) if examples.is_dir() else []:
            record = strip_positions(load_yaml_file(path))
            kind = record.get("kind")
            if kind not in pack.subjects() or _nested_list(record):
                continue
            values = flatten({k: v for k, v in record.items() if k != "kind"})
            tree = build_tree(
                default_subjects()[kind], wanted_paths([pack], kind) | example_paths(values), "zh"
            )
            fill(tree, values, {name: n for name, n in rows_in(values).items()})
            posted: dict[str, list[str]] = {}
            for field in inputs(tree):  # what the browser posts: text, ticks, lines joined
                if field.widget == "choices":
                    posted[field.name] = list(field.value)
                elif field.widget == "lines" and field.value:
                    posted[field.name] = ["\n".join(field.value)]
                elif field.value:
                    posted[field.name] = [field.value]
            empty = [k.removeprefix(EMPTY) for k in values if k.startswith(EMPTY)]
            read_back = record_from(kind, posted, tree, empty)
            engine = Engine([pack])
            as_of = date(2023, 6, 30)
            want = engine.evaluate(record, as_of=as_of).verdict
            got = engine.evaluate(read_back, as_of=as_of).verdict
            assert got == want, (pack_id, path.name)
            checked += 1
    assert checked >= 20
