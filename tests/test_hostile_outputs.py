"""Text from data stays data in every output (docs/security.md, "Outputs").

One list of hostile strings — formula starters, escape sequences, a forged OSC 8 link, rich
markup, C1 and C0 controls, NUL, U+FFFE, a lone surrogate where an input can carry one, very
long text — goes into record names, ids and free-text fields of a batch (CSV and JSONL input)
and of single records, into a pack's titles and into an event log's ids and notes. Every
command runs as a real subprocess. Then: no XLSX cell is a formula, no CSV text cell starts
with a formula character without a leading ``'``, no ESC, C1 or other control character
reaches a terminal, nothing crashes and the text is still there to read, JUnit XML and HTML
parse, JSON gives back the original strings exactly, and every change is reported.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")

LONG = "长" * 40_000  # more than an XLSX cell holds
HOSTILE = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x","y")',
    "\x1b[2J",
    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
    "[link=http://x]a[/link]",
    "[/x]",
    "[bold]",
    "\x9b31m",
    "nul\x00x",
    "c0\x01\x07\x08\x0b\x0c\x7f",
    "\ufffe",
    "#N/A",
    ":warning:",
    "<script>alert(1)</script>",
    "=" + LONG,
]
#: what must still be readable on a terminal, as written (markup not applied, not swallowed)
VISIBLE = ["[link=http://x]a[/link]", "[/x]", "[bold]", ":warning:", "=1+1", "@SUM(A1)"]
SURROGATE = "lone \ud800 surrogate"  # only JSON input carries one; the models refuse it

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what a terminal must never get: C0 but TAB and LF, DEL, C1
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, cwd=cwd, timeout=120
    )


def terminal(result: subprocess.CompletedProcess[bytes]) -> str:
    """stdout and stderr as a terminal would get them: strict UTF-8, nothing it acts on."""
    out = result.stdout.decode("utf-8") + result.stderr.decode("utf-8")
    assert "Traceback" not in out and "MarkupError" not in out, out[-3000:]
    bad = TERMINAL_UNSAFE.findall(out)
    assert not bad, f"control characters reach the terminal: {sorted(set(bad))!r}"
    return out


def squeezed(text: str) -> str:
    """``text`` without white space (where a terminal table wraps does not matter)."""
    return re.sub(r"\s+", "", text)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def project(i: int, text: str) -> dict[str, Any]:
    """A Hunan project whose id, name and county carry ``text`` (its agreement's indicators are
    coded: text cannot reach them)."""
    return {
        "kind": "project",
        "id": f"{text[:200]}#{i}",
        "name": text,
        "region": {"province": "湖南省", "county": text[:200]},
        "period": {"start": "2022-01-01", "end": "2023-12-31"},
        "contract": {"service_categories": 4, "service_items": 21, "indicators": ["content"]},
    }


def lanzhou_project(text: str) -> dict[str, Any]:
    """A Lanzhou project in a district named ``text``, which the message of
    ``area.pilot_district`` quotes."""
    return {
        "kind": "project",
        "id": "LZ-1",
        "name": text,
        "region": {"province": "甘肃省", "city": "兰州市", "county": text[:200]},
    }


def station(i: int, text: str) -> dict[str, Any]:
    return {
        "kind": "station",
        "id": f"{text[:200]}#S{i}",
        "name": text,
        "level": "township_station",
        "region": {"province": "四川省", "county": text[:200]},
    }


# ---------------------------------------------------------------- the batch outputs


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two runs, each into every output format: stations from a CSV ledger (sichuan), and
    projects and stations from JSON Lines (sichuan and hunan), where a lone surrogate can come
    in too (the models refuse it: that row is unreadable, and kept)."""
    d = tmp_path_factory.mktemp("batch")
    with (d / "stations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "名称", "层级", "省", "县(市、区)", "社工机构"])
        for i, text in enumerate(HOSTILE):
            w.writerow([f"{text[:200]}#{i}", text, "乡镇(街道)社工站", "四川省", text[:200], "是"])
    with (d / "staff.csv").open("w", encoding="utf-8", newline="") as fh:  # rows no station owns
        csv.writer(fh).writerows([["所属编号", "姓名"], *[[t, "张三"] for t in HOSTILE[7:14]]])
    rows = [project(i, t) for i, t in enumerate(HOSTILE)] + [station(i, t) for i, t in enumerate(HOSTILE)]
    rows.append({"kind": "project", "id": "=surrogate", "name": SURROGATE})
    # json.dumps writes ASCII: the surrogate goes in as the JSON escape \ud800
    (d / "mixed.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
    outs = ["-o", "r.xlsx", "-o", "r.csv", "-o", "r.jsonl", "-o", "r.html", "-o", "r.xml", "-o", "r.docx"]
    for name, args in {
        "csv": ["-p", "sichuan", "../stations.csv", "--kind", "station", "--sheet", "staff=../staff.csv"],
        "jsonl": ["-p", "sichuan", "-p", "hunan", "../mixed.jsonl"],
    }.items():
        (d / name).mkdir()
        result = run("assess", *args, "--as-of", "2022-12-31", *outs, cwd=d / name)
        assert result.returncode == 1, result.stderr.decode("utf-8", "replace")[-3000:]
        (d / name / "console.txt").write_text(terminal(result), encoding="utf-8")
    return {"csv": d / "csv", "jsonl": d / "jsonl"}


RUNS = ["csv", "jsonl"]


@pytest.mark.parametrize("run_name", RUNS)
def test_no_xlsx_cell_is_a_formula(batch: dict[str, Path], run_name: str) -> None:
    wb = openpyxl.load_workbook(batch[run_name] / "r.xlsx")
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert len(cell.value) <= 32767
                    texts.append(cell.value)
    # the text is there as written: the payloads, the error-looking value, the cut long name
    for text in ["=1+1", '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "#N/A"]:
        assert text in texts, text
    if run_name == "jsonl":  # (the CSV reader may refuse so long a cell: an input error then)
        assert any(t.startswith("=长长") and t.endswith("…") for t in texts)
    assert "本文件的改动 / changes in this file" in texts  # said on 汇总, with the counts
    assert not any(XML_ILLEGAL.search(t) for t in texts)


def test_a_text_longer_than_a_cell_is_cut_and_counted(tmp_path: Path) -> None:
    from policyengine.batch.rows import ResultRow
    from policyengine.batch.summary import Summary
    from policyengine.batch.writers.xlsx import XlsxWriter

    astral = "\U0001f600" * 20_000  # 40,000 UTF-16 units in 20,000 characters
    writer = XlsxWriter(tmp_path / "r.xlsx")
    writer.write(ResultRow(0, "s", 2, None, [], record_id="=" + LONG, record_name=astral))
    summary = Summary(as_of=date(2023, 1, 1))
    writer.close(summary)
    [row] = openpyxl.load_workbook(tmp_path / "r.xlsx")["结果"].iter_rows(min_row=2, values_only=True)
    assert row[3].startswith("=长") and row[3].endswith("…") and len(row[3]) == 32767
    assert row[4].endswith("…") and len(row[4].encode("utf-16-le")) // 2 <= 32767
    assert summary.changes[str(tmp_path / "r.xlsx")].truncated == 2


@pytest.mark.parametrize("run_name", RUNS)
def test_no_csv_text_cell_starts_a_formula(batch: dict[str, Path], run_name: str) -> None:
    with (batch[run_name] / "r.csv").open(encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    unsafe = [c for c in cells if c.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(c)]
    assert not unsafe
    assert "'=1+1" in cells and "'@SUM(A1)" in cells and '\'=HYPERLINK("http://x","y")' in cells
    assert not any(XML_ILLEGAL.search(c) for c in cells)


def test_csv_keeps_numbers_and_plain_numbers_unprefixed() -> None:
    from policyengine.batch.summary import OutputChanges
    from policyengine.batch.writers.csv_writer import csv_cell

    changes = OutputChanges()
    assert [csv_cell(v, changes) for v in [-5, 3, None, "-5", "+3.2", "-1e3", "-2+3", "-", "=A1"]] == [
        -5,
        3,
        "",
        "-5",
        "+3.2",
        "-1e3",
        "'-2+3",
        "'-",
        "'=A1",
    ]
    assert changes.prefixed == 3


@pytest.mark.parametrize("run_name", RUNS)
def test_junit_and_html_parse_and_hold_no_illegal_character(batch: dict[str, Path], run_name: str) -> None:
    tree = ET.parse(batch[run_name] / "r.xml")
    names = [tc.get("name") for tc in tree.getroot().iter("testcase")]
    assert "=1+1#0" in names
    replaced = {p.get("name"): p.get("value") for p in tree.getroot().iter("property")}
    assert int(replaced["policyengine.replaced_characters"]) > 0
    html = (batch[run_name] / "r.html").read_bytes().decode("utf-8")  # strict: no surrogate
    assert not XML_ILLEGAL.search(html)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="replaced"' in html  # the page says what it replaced


@pytest.mark.parametrize("run_name", RUNS)
def test_the_docx_report_holds_the_text_as_text(batch: dict[str, Path], run_name: str) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document(str(batch[run_name] / "r.docx"))  # python-docx refuses illegal XML
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "=1+1#0" in cells and "<script>alert(1)</script>" in cells  # as written, not run
    assert not any(XML_ILLEGAL.search(c) for c in cells)
    console = (batch[run_name] / "console.txt").read_text(encoding="utf-8")
    assert "replaced with U+FFFD" in console.split("已写入 r.docx")[1]  # said, per file


def test_jsonl_gives_back_the_exact_strings(batch: dict[str, Path]) -> None:
    raw = (batch["jsonl"] / "r.jsonl").read_bytes()
    text = raw.decode("utf-8")  # strict
    assert not TERMINAL_UNSAFE.search(text.replace("\n", ""))  # escaped, not raw
    found = {s for line in text.splitlines() for s in strings(json.loads(line))}
    for i, t in enumerate(HOSTILE):
        assert t in found, t  # each project's name, exactly
        assert f"{t[:200]}#{i}".strip() in found  # and its id (the model strips ids)


@pytest.mark.parametrize("run_name", RUNS)
def test_the_console_says_what_was_changed(batch: dict[str, Path], run_name: str) -> None:
    console = (batch[run_name] / "console.txt").read_text(encoding="utf-8")
    after_csv = console.split("已写入 r.csv")[1].split("已写入")[0]
    assert "text cell(s) starting with = + - @, TAB or CR got a leading '" in after_csv
    assert "replaced with U+FFFD" in console.split("已写入 r.xlsx")[1].split("已写入")[0]
    if run_name == "jsonl":
        assert "cell(s) longer than 32,767 characters were cut" in console
    if run_name == "csv":  # the staff rows no station owns, their ids as written
        assert "所属编号“[link=http://x]a[/link]”在主表中不存在" in console


# ---------------------------------------------------------------- the terminal


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("records")
    text = " ".join(HOSTILE[:-1])
    (d / "project.json").write_text(json.dumps(project(0, text)), encoding="utf-8")
    (d / "station.json").write_text(json.dumps(station(0, text)), encoding="utf-8")
    (d / "lanzhou.json").write_text(json.dumps(lanzhou_project(text)), encoding="utf-8")
    (d / "unknown_field.json").write_text(
        json.dumps({**station(0, "x"), "\x1b[2Jfield\x9b": 1}), encoding="utf-8"
    )
    return d


@pytest.mark.parametrize(
    "pack,record,fmt",
    [
        ("hunan", "project.json", "table"),
        ("hunan", "project.json", "markdown"),
        ("hunan", "project.json", "json"),
        ("sichuan", "station.json", "table"),
        ("lanzhou_2022", "lanzhou.json", "json"),
    ],
)
def test_evaluate_prints_data_as_text(records: Path, fmt: str, pack: str, record: str) -> None:
    result = run("evaluate", "-p", pack, record, "--as-of", "2022-12-31", "--format", fmt, cwd=records)
    assert result.returncode == 1
    out = terminal(result)
    if fmt == "json":  # the data, exactly
        report = json.loads(out)
        original = json.loads((records / record).read_text(encoding="utf-8"))
        assert report["subject"]["name"] == original["name"]
        if pack == "lanzhou_2022":  # a message quoting the record's text quotes it exactly
            [msg] = [f["message"]["zh"] for f in report["findings"] if f["rule"] == "area.pilot_district"]
            assert original["region"]["county"] in msg
    else:  # the subject's name heads the output (wrapped, perhaps)
        for text in VISIBLE:
            assert squeezed(text) in squeezed(out), text


def test_an_error_quoting_the_input_reaches_no_terminal_raw(records: Path) -> None:
    result = run("evaluate", "-p", "sichuan", "unknown_field.json", cwd=records)
    assert result.returncode == 2
    assert "[2Jfield" in terminal(result)


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_compare_prints_data_as_text(records: Path, fmt: str) -> None:
    # the Lanzhou pack's area.pilot_district message quotes the record's district, hostile text
    args = ["compare", "-p", "lanzhou_2022", "-p", "sichuan", "lanzhou.json", "--as-of", "2022-12-31"]
    result = run(*args, "--format", fmt, cwd=records)
    out = terminal(result)
    if fmt == "json":
        data = json.loads(out)
        original = json.loads((records / "lanzhou.json").read_text(encoding="utf-8"))
        assert data["subject"]["name"] == original["name"]
    else:
        assert squeezed("[link=http://x]a[/link] [/x] [bold]") in squeezed(out)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Departures never filed (haining ``staff.departure_filed`` fails, quoting the staff id
    and listing the event ids), every id and note hostile."""
    d = tmp_path_factory.mktemp("events")
    lines = [
        {"id": f"{t[:200]}#{i}", "type": "staff_left", "date": "2023-03-01", "station": "S1"}
        | {"staff": f"{t[:200]}@{i}", "note": t}
        for i, t in enumerate(HOSTILE)
    ]
    (d / "events.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return d


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_monitor_prints_data_as_text(events: Path, fmt: str) -> None:
    args = ["monitor", "-p", "haining", "events.jsonl", "--until", "2023-06-30", "--format", fmt]
    result = run(*args, cwd=events)
    assert result.returncode == 1
    out = terminal(result)
    if fmt == "json":
        found = set(strings(json.loads(out)))
        for i, t in enumerate(HOSTILE):
            assert f"{t[:200]}#{i}".strip() in found  # each event id, exactly (ids are stripped)
    else:
        assert "[/x]#10" in out and "[bold]#11" in out  # event ids, in a narrow column


TITLE = (  # YAML double-quoted escapes: ESC, C1 CSI, NUL, BEL, U+FFFE
    "\\e[2J [link=http://x]a[/link] [/x] [bold] \\x9b31m =1+1 "
    "\\e]8;;http://evil\\e\\\\link\\e]8;;\\e\\\\ :warning: \\0 \\a \\uFFFE"
)


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack whose titles, clause and message carry the hostile text (YAML escapes)."""
    d = tmp_path_factory.mktemp("pack") / "hostile"
    d.mkdir()
    (d / "pack.yaml").write_text(
        f"""\
pack:
  id: hostile
  version: 0.1.0
  title: {{zh: "{TITLE}", en: "{TITLE}"}}
sources:
  - id: doc
    title: "{TITLE}"
rules:
  - id: station.named
    title: {{zh: "{TITLE}", en: "{TITLE}"}}
    subject: station
    require: name == "x"
    cite: {{source: doc, clause: "{TITLE}", quote: "{TITLE}"}}
    message: {{zh: "{TITLE}", en: "{TITLE}"}}
""",
        encoding="utf-8",
    )
    return d


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_pack_show_prints_titles_as_text(hostile_pack: Path, fmt: str) -> None:
    result = run("pack", "show", str(hostile_pack), "--format", fmt, cwd=hostile_pack)
    assert result.returncode == 0
    out = terminal(result)
    if fmt == "json":
        title = json.loads(out)["title"]["zh"]
        assert title.startswith("\x1b[2J [link=http://x]a[/link]") and "\x9b31m" in title and "\x00" in title
    else:
        assert squeezed("[link=http://x]a[/link] [/x] [bold]") in squeezed(out) and ":warning:" in out


def test_a_hostile_pack_reaches_every_batch_output_as_text(hostile_pack: Path, tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(json.dumps(station(0, "=1+1")) + "\n", encoding="utf-8")
    outs = ["-o", "r.xlsx", "-o", "r.csv", "-o", "r.html", "-o", "r.xml", "-o", "r.jsonl"]
    result = run("assess", "-p", str(hostile_pack), "s.jsonl", "--ignore-scope", *outs, cwd=tmp_path)
    terminal(result)
    assert result.returncode == 1
    ET.parse(tmp_path / "r.xml")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    [line] = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    [finding] = json.loads(line)["report"]["findings"]
    assert finding["title"]["zh"].startswith("\x1b[2J [link=http://x]a[/link]")


def test_terminal_text_rules() -> None:
    from policyengine._text import json_safe, markup_text, terminal_text, xml_text

    assert terminal_text("a\x1b[2Jb\tc\nd\x9b\ud800\u202e") == "a\ufffd[2Jb\tc\nd\ufffd\ufffd\ufffd"
    assert markup_text("[link=http://x]a[/link]") == "\\[link=http://x]a\\[/link]"
    assert json.loads(json_safe(json.dumps("\x1b\x9b\ud800", ensure_ascii=False))) == "\x1b\x9b\ud800"
    assert xml_text("a\x00b\ufffe") == ("a\ufffdb\ufffd", 2)
