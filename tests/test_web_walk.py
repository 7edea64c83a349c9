"""Every page, walked: an admin logs in and checks the shipped sample ledger, then every
same-site link reachable from ``/`` is followed with a plain HTTP client (no JavaScript), in zh
and again in en. Each page answers 200 and its ``<main>`` reads without JavaScript; in zh no
page shows a raw code or an English field name (any field name of the subject models).

What counts as visible text: the page's text less ``<script>``/``<style>``, what is code on
purpose (a pack author's YAML in ``<code>``/``<pre>``/``<textarea>``) and what is marked
``lang="en"`` (the switch to English). A pack's id (``lanzhou_2022``) is shown only in
``<code>``, where the id is the thing shown (what ``-p`` takes on the command line). The
uploaded file's own name is the user's, not a code. Then each page is opened once in the
browser, and a 1280×800 screenshot kept of each kind of page not screenshotted by the other
tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from pydantic import BaseModel

from policyengine.models.introspect import field_type_info
from policyengine.plugins import default_subjects
from test_service import Server
from web_support import RAW_CODE, SCREENSHOTS, new_page, screenshot, web_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "examples" / "ledgers" / "county_stations.xlsx"
MAPPING = ROOT / "examples" / "ledgers" / "mapping.yaml"
#: links not followed: logging out, the language switch, files, the API, downloads
SKIP = re.compile(r"^/(logout|lang/|static/|api/)|/files/|/reports[/.]|\.(pdf|zip|xlsx|docx|csv|jsonl)$")
#: no more pages than this (the walk must end even if a page links to endless variants)
MAX_PAGES = 300
#: the kinds of page other tests keep a screenshot of, and its name
SHOTS = {
    "ledgers": "ledgers",
    "jobs/…": "job-results",
    "stations/…/…": "station",
    "stations/…": "station-history",
    "rectification": "rectification",
    "packs": "packs",
    "packs/…": "pack-sichuan",
    "matrix": "matrix",
    "try": "try-pass",
    "draft": "draft",
    "login": "login",
}
#: elements whose text is not read as the page's words (see the module's docstring)
HIDDEN = {"script", "style", "code", "pre", "textarea"}
#: elements with no end tag
VOID = {"br", "input", "img", "meta", "link", "hr", "wbr", "col", "source"}
#: a word of Latin letters, digits, dots and underscores, as a field name or a code is written
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def field_names() -> set[str]:
    """Every field name of every subject model, nested models and list items included."""
    names: set[str] = set()
    todo: list[type[BaseModel]] = list(default_subjects().values())
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            kind = field_type_info(info.annotation)
            while kind.kind == "list" and kind.item is not None:
                kind = kind.item
            if kind.kind == "model" and kind.model is not None:
                todo.append(kind.model)
    return names


class Page(HTMLParser):
    """A page's links, its visible text and its ``<main>``'s text (all of it but scripts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.main: list[str] = []
        self.hidden: list[str] = []  # open elements whose text is not read as words
        self.in_main = 0
        self.in_script = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "a" and attr.get("href"):
            self.links.append(str(attr["href"]))
        self.in_main += tag == "main"
        self.in_script += tag in ("script", "style")
        in_body = tag != "html"  # an English page is lang="en" as a whole: its words are read
        opens = tag in HIDDEN or (in_body and attr.get("lang") == "en") or bool(self.hidden)
        if opens and tag not in VOID:
            self.hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.in_main -= tag == "main"
        self.in_script -= tag in ("script", "style")
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.in_script:
            self.main.append(data)
        if not self.hidden:
            self.text.append(data)


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def log_in(server: Server, lang: str) -> httpx.Client:
    """An admin's client (its own cookies) with the language chosen."""
    client = httpx.Client(base_url=server.base, timeout=120)
    client.cookies.set("pe_lang", lang)
    login = client.get("/login")
    done = client.post(
        "/login", data={"csrf": csrf(login.text), "token": server.tokens["admin"], "next": "/"}
    )
    assert done.status_code == 303, done.text
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = web_server(tmp_path_factory.mktemp("web-walk"), packs=("sichuan", "haining", "hunan"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def checked(server: Server) -> str:
    """The sample ledger checked (as an admin, through the form); the results page's path."""
    with closing(log_in(server, "zh")) as client:
        form = client.get("/ledgers")
        data: dict[str, Any] = {"csrf": csrf(form.text), "packs": "sichuan", "kind": "station"}
        data.update(
            as_of="2023-06-30", issuer="眉山市民政局", formats=["xlsx", "pdf"], station_reports="true"
        )
        files = {
            "ledger": (LEDGER.name, LEDGER.read_bytes()),
            "mapping": (MAPPING.name, MAPPING.read_bytes()),
        }
        sent = client.post("/ledgers", data=data, files=files)
        assert sent.status_code == 303, sent.text
        path = sent.headers["location"]
        deadline = time.monotonic() + 180
        while 'class="tally"' not in client.get(path).text:
            assert time.monotonic() < deadline, "the check did not finish"
            time.sleep(0.5)
    return path


def walk(client: httpx.Client) -> dict[str, httpx.Response]:
    """Every same-site HTML page reachable from ``/``, by path and query."""
    pages: dict[str, httpx.Response] = {}
    site = urlsplit(str(client.base_url)).netloc
    todo, seen = ["/"], {"/"}
    while todo:
        assert len(pages) < MAX_PAGES, "the walk does not end"
        path = todo.pop(0)
        response = client.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages[path] = response
        for href in read(response.text).links:
            split = urlsplit(urljoin(f"{client.base_url}{path}", href))
            if split.netloc != site:
                continue
            target = split.path + (f"?{split.query}" if split.query else "")
            if target not in seen and not SKIP.search(split.path):
                seen.add(target)
                todo.append(target)
    return pages


def kind_of(path: str) -> str:
    """A page's kind: its first path segment, then ``/…`` for each further one."""
    first, *rest = urlsplit(path).path.strip("/").split("/")
    return (first or "home") + "/…" * len(rest)


def problems_of(path: str, response: httpx.Response, lang: str, fields: set[str]) -> list[str]:
    out = []
    if response.status_code != 200:
        out.append(f"{path}: status {response.status_code}")
    page = read(response.text)
    if len("".join(page.main).split()) < 2:  # a heading and a line at least
        out.append(f"{path}: nothing in <main> without JavaScript")
    if lang == "zh":
        text = "".join(page.text).replace(LEDGER.name, "")
        raw = RAW_CODE.findall(text)
        named = sorted({w for w in WORD.findall(text) if w in fields})
        if raw or named:
            out.append(f"{path}: raw code {raw[:5]}, field names {named[:5]}")
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_reads_without_javascript_and_in_chinese_shows_no_code(
    server: Server, checked: str, lang: str
) -> None:
    fields = field_names()
    with closing(log_in(server, lang)) as client:
        pages = walk(client)
    kinds = {kind_of(p) for p in pages}
    assert checked in pages and any(p.startswith("/stations/") for p in pages), sorted(pages)
    assert {"home", "ledgers", "jobs/…", "stations/…/…", "rectification", "packs/…", "try"} <= kinds, kinds
    problems = [p for path, r in pages.items() for p in problems_of(path, r, lang, fields)]
    assert not problems, "\n".join(problems)


def test_the_walker_sees_a_field_name_and_a_raw_code() -> None:
    """The checks above can fail: a field name or a code left on a page is found."""
    fields = field_names()
    assert {"area_m2", "full_time", "professional"} <= fields
    bad = httpx.Response(200, text="<main>面积 area_m2 为 12,结论 non_compliant</main>")
    found = problems_of("/x", bad, "zh", fields)
    assert found and "area_m2" in found[0] and "non_compliant" in found[0]
    shown = httpx.Response(200, text="<main>政策包 <code>lanzhou_2022</code> 的页面</main>")
    assert problems_of("/x", shown, "zh", fields) == []
    empty = httpx.Response(200, text="<main><div id='app'></div></main>")
    assert problems_of("/x", empty, "zh", fields) == ["/x: nothing in <main> without JavaScript"]


def test_each_kind_of_page_has_a_screenshot(server: Server, checked: str, browser: Any) -> None:
    """Each page opened once in the browser (it answers 200 there too); a kind of page no
    other test screenshots (:data:`SHOTS`) is kept as ``walk-<kind>.png``."""
    with closing(log_in(server, "zh")) as client:
        pages = walk(client)
        cookies = [{"name": k, "value": v, "url": server.base} for k, v in client.cookies.items()]
    page = new_page(browser)
    page.context.add_cookies(cookies)
    shot: set[str] = set()
    for path in pages:
        assert page.goto(f"{server.base}{path}").status == 200, path
        kind = kind_of(path)
        if kind not in SHOTS and kind not in shot:
            screenshot(page, "walk-" + re.sub(r"[^a-z]+", "-", kind).strip("-"), full_page=False)
            shot.add(kind)
    page.context.close()
    assert "home" in shot and (SCREENSHOTS / "walk-home.png").exists()
