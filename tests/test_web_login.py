"""Logging in and out of the web pages, in a real browser; the pages' security headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from test_service import Server
from web_support import log_in, new_page, screenshot, web_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-login"))
    yield running
    running.stop()


def test_log_in_see_who_log_out_and_be_refused(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/rectification")
    assert "/login" in page.url  # a page that needs a login sends you to it
    screenshot(page, "login")
    page.fill("#token", "pe_not-a-token")
    page.click("form[action='/login'] button[type=submit]")
    assert "令牌无效或已被撤销" in page.inner_text("main")
    log_in(page, server, "haining")
    assert "haining" in page.inner_text("header") and "海宁市" in page.inner_text("header")
    page.click("header form[action='/logout'] button")
    page.wait_for_load_state()
    assert "登录" in page.inner_text("header")
    page.goto(f"{server.base}/rectification")
    assert "/login" in page.url
    page.context.close()


def test_a_form_without_this_browsers_token_is_refused(server: Server) -> None:
    with httpx.Client(base_url=server.base) as client:
        client.get("/login")
        refused = client.post("/login", data={"token": server.tokens["admin"], "csrf": "x" * 32})
        assert refused.status_code == 403 and "表单已过期" in refused.text
        cookie = client.cookies["pe_csrf"]
        accepted = client.post("/login", data={"token": server.tokens["admin"], "csrf": cookie})
        assert accepted.status_code == 303 and accepted.headers["location"] == "/"


def test_pages_allow_nothing_from_elsewhere_and_the_api_keeps_its_problems(server: Server) -> None:
    page = httpx.get(f"{server.base}/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    missing = httpx.get(f"{server.base}/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    page_missing = httpx.get(f"{server.base}/no-such-page")
    assert page_missing.status_code == 404 and "没有找到" in page_missing.text


def test_login_goes_back_only_to_this_site(server: Server) -> None:
    with httpx.Client(base_url=server.base) as client:
        client.get("/login")
        cookie = client.cookies["pe_csrf"]
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            answer = client.post(
                "/login", data={"token": server.tokens["admin"], "csrf": cookie, "next": target}
            )
            assert answer.headers["location"] == "/", target


def test_the_language_switch_keeps_the_page_and_its_query_and_goes_nowhere_else(server: Server) -> None:
    """Switching on ``/try?pack=…`` comes back to the same choices (less a ``lang=``); a
    ``next`` that is not a local path goes home."""
    import re
    from urllib.parse import unquote

    page = httpx.get(f"{server.base}/packs?pack=haining&lang=zh&x=%E5%9B%9B")
    switch = re.search(r'href="(/lang/en\?next=[^"]+)"', page.text)
    assert switch, "no language switch"
    target = unquote(switch.group(1).replace("&amp;", "&").split("next=", 1)[1])
    assert target == "/packs?pack=haining&x=%E5%9B%9B"  # the query kept, its lang= left out
    answer = httpx.get(f"{server.base}{switch.group(1).replace('&amp;', '&')}")
    assert answer.status_code == 303 and answer.headers["location"] == target
    assert answer.cookies.get("pe_lang") == "en"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "evil"):
        answer = httpx.get(f"{server.base}/lang/en", params={"next": bad})
        assert answer.headers["location"] == "/", bad
