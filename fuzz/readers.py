"""Mutational fuzzing of every input reader, through every batch writer (``fuzz.py --target``).

Targets: ``csv``, ``jsonl`` and ``xlsx`` (ledgers for ``assess``: each input goes through
``run_assessment`` into .csv .jsonl .xlsx .html .xml outputs at once), ``records`` (YAML, JSON
and JSON Lines records for ``evaluate``: ``read_records`` then ``Engine.evaluate``) and
``events`` (.jsonl and .csv event logs: ``read_events`` then a plain-backend ``Monitor``).

Seeds are the shipped examples (packs/*/examples), as records, JSON, JSON Lines, CSV ledgers
(UTF-8 with and without BOM, GB18030, CRLF; Chinese and dotted headers; second sheets) and
workbooks built from them. CSV, JSONL, record and event inputs are mutated as bytes, with
hostile fragments (formula starters, C0/C1/ESC, lone surrogates, invalid UTF-8, GB18030 bytes,
unterminated quotes, long cells, deep nesting, huge integers, duplicate keys, BOMs, CR/CRLF,
NUL); workbooks by their cell values and sheets, and sometimes by their zip bytes.

A crash is an exception other than PolicyEngineError, a run that takes longer than
:data:`HANG_SECONDS`, or a broken invariant (:func:`check_ledger_outputs`). Each crash is
saved as a directory under fuzz/crashes/ (or $PE_FUZZ_CRASHES): the input files and
``case.json`` (packs, kind, traceback), which ``python fuzz/fuzz.py --replay DIR`` runs again.
The first :data:`SAVE_PER_KIND` crashes of each kind are saved, the others counted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from policyengine import PolicyEngineError

ROOT = Path(__file__).resolve().parent.parent
#: where crashes are saved (PE_FUZZ_CRASHES overrides it, e.g. for a test run)
CRASHES = Path(__file__).resolve().parent / "crashes"
AS_OF = date(2023, 12, 31)
OUT_SUFFIXES = (".csv", ".jsonl", ".xlsx", ".html", ".xml")
#: an input that keeps the library busy this long is a crash (a hang)
HANG_SECONDS = 20
#: crashes saved per kind of crash (signature) and run; the others are only counted
SAVE_PER_KIND = 3
#: at most this many rows (or events) per seed
SEED_ROWS = 8
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOUNDARY = re.compile(rb"[:,\[{=\n] ?")
#: a JSON string, or a bare word, number or cell
VALUE = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[^,:\s{}\[\]"]+')

FRAGMENTS: list[bytes] = [
    *(s.encode() for s in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")')),
    b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b[2J", b"\x1b]8;;http://x\x1b\\", b"\x7f",
    "\x85".encode(), "\x9b31m".encode(), b"\x85", b"\x9b",  # C1: as UTF-8, and as bare bytes
    b"\xed\xa0\x80", b'"\\ud800"', b"\\udfff", b"_x001B_",  # lone surrogates, Excel's escape
    b"\xff", b"\xfe", b"\xc3\x28", b"\x80", b"\xf8\x88\x80\x80\x80", b"\xe4\xb8",  # invalid UTF-8
    "社工站".encode("gb18030"), "编号".encode("gb18030"), b"\x81\x30\x81\x30", b"\x81",  # GB18030
    b'"', b'"abc\n', b'""', b"'", b'\\"', b",", b",,,", b";", b"\t",
    b"x" * 33_000, "长".encode() * 12_000, b"9" * 5000, b"1" + b"0" * 40, b"-0", b"1e999999",
    b"1E+30", b"NaN", b"Infinity", b"-1", b"0.000001", b"30\xe4\xb8\x87",  # 30万
    b"[" * 3000, b"{" * 1500, b'{"a":' * 1200 + b"1" + b"}" * 1200, b"]", b"}", b"{", b":", b"null",
    b"true", b'"id": "X", "id": "Y", ', b'"kind": "station", ', b'"kind": "project", ', b'"kind": 7, ',
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\r\n", b"\r", b"\n", b"\n\n",
    "\u2028".encode(), "\ufffe".encode(), "\ufeff".encode(), "\U0001f600".encode(),
    b"2023-02-30", b"9999-12-31", b"0001-01-01", b"20230101", b"1677628800", b"2023-W01-1",
    b"- ", b": ", b"&a ", b"*a", b"!!python/name:os.system ", b"? ", b"|\n", b"---\n", b"%YAML 1.1\n",
]  # fmt: skip
CELL_VALUES: list[Any] = [
    None, "", " ", "=1+1", "=", "@SUM(A1)", "-", "无", "是", "也许", "_x0000_", "_x001B_[2J",
    "x\ud800y", "长" * 40_000, 10**40, -1, 0, 1.5, 1e308, float("inf"), float("nan"), True, False,
    datetime(9999, 12, 31), datetime(1900, 1, 1), date(2023, 2, 28), "2023-02-30", "20230101",
    1677628800, 45000, "30万", "约一百", "\U0001f600", "\ufffe",
]  # fmt: skip
HOSTILE_TEXT = [f.decode("utf-8", "surrogateescape") for f in FRAGMENTS if len(f) < 200]
VALUE_TEXTS = HOSTILE_TEXT + [str(v) for v in CELL_VALUES if v is not None]


class InvariantError(AssertionError):
    """An output that breaks one of the invariants: counted as a crash."""


class Hang(Exception):
    """The input kept the library busy for :data:`HANG_SECONDS`."""


def check(ok: bool, what: str) -> None:
    if not ok:
        raise InvariantError(what)


@dataclass
class Case:
    """One input: files by name (``main`` is read, ``sheets`` maps a field to a second CSV),
    the packs, the kind of record, and for event logs the day the log runs through."""

    target: str
    files: dict[str, bytes]
    main: str
    packs: list[str]
    kind: str | None = None
    sheets: dict[str, str] = field(default_factory=dict)
    until: str | None = None


# -- seeds ---------------------------------------------------------------------------------


def _examples() -> list[tuple[str, Path, dict[str, Any]]]:
    """(pack id, file, record) for every shipped example record."""
    from policyengine._yaml import load_yaml_file, strip_positions

    out = []
    for path in sorted((ROOT / "packs").glob("*/examples/*.yaml")):
        data = strip_positions(load_yaml_file(path))
        for rec in data if isinstance(data, list) else [data]:
            out.append((path.parent.parent.name, path, rec))
    return out


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _copy(rec: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {**rec, "id": f"{rec.get('id', 'R')}{suffix}"}


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _headers(model: Any) -> tuple[dict[tuple[str, ...], tuple[str, str]], dict[str, tuple[str, Any]]]:
    """Field path → (Chinese header, dotted header); second sheets: field → (title, model)."""
    from policyengine.batch.tabular import build_header_map

    hm = build_header_map(model)
    by_path: dict[tuple[str, ...], list[str]] = {}
    for header, col in hm.by_header.items():
        by_path.setdefault(col.path, []).append(header)
    names = {}
    for path, headers in by_path.items():
        dotted = ".".join(path)
        names[path] = (min((h for h in headers if h != dotted), key=len, default=dotted), dotted)
    sheets = {f: (title, m) for title, (f, m) in hm.sheets.items() if title != f}
    return names, sheets


def _flatten(
    rec: dict[str, Any], names: dict[Any, Any], prefix: tuple[str, ...] = ()
) -> tuple[dict[Any, str], dict[str, Any]]:
    cells: dict[tuple[str, ...], str] = {}
    children: dict[str, list[dict[str, Any]]] = {}
    for k, v in rec.items():
        p = (*prefix, k)
        if isinstance(v, dict):
            cells.update(_flatten(v, names, p)[0])
        elif isinstance(v, list) and v and all(isinstance(i, dict) for i in v):
            if not prefix:
                children[k] = v
        elif p in names:
            cells[p] = _cell(v)
    return cells, children


def _table(recs: list[dict[str, Any]], model: Any, zh: bool, key: str | None = None) -> list[list[str]]:
    """Rows (header first) for ``recs``; ``key`` adds a first 所属编号 column (second sheets)."""
    names, _ = _headers(model)
    flat = [_flatten(r, names)[0] for r in recs]
    paths = list(dict.fromkeys(p for f in flat for p in f))
    head = [names[p][0 if zh else 1] for p in paths]
    rows = [[f.get(p, "") for p in paths] for f in flat]
    if key is not None:
        head = ["所属编号", *head]
        rows = [[r.get("_parent", ""), *row] for r, row in zip(recs, rows, strict=True)]
    return [head, *rows]


def ledger_groups() -> list[tuple[str, str, list[dict[str, Any]], Any]]:
    """(pack, kind, records, model) for each example: the record and a copy with another id."""
    from policyengine.evaluate.engine import Engine

    out = []
    for pack, _, rec in _examples():
        kind = str(rec.get("kind"))
        model = Engine.from_packs([pack]).subjects[kind]
        out.append((pack, kind, [rec, _copy(rec, "-B")], model))
    return out


def _sheets(recs: list[dict[str, Any]], model: Any, zh: bool) -> dict[str, list[list[str]]]:
    """Second sheets, by field: the list items of every record, keyed by the record's id."""
    _, sheets = _headers(model)
    out = {}
    for fname, (_, item_model) in sheets.items():
        items = [{**i, "_parent": r.get("id", "")} for r in recs for i in r.get(fname) or []]
        if items:
            out[fname] = _table(items, item_model, zh, key="所属编号")
    return out


def _csv_bytes(rows: list[list[str]], encoding: str = "utf-8", eol: str = "\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerows(rows)
    return buf.getvalue().encode(encoding)


def csv_seeds() -> list[Case]:
    out = []
    for pack, kind, recs, model in ledger_groups():
        main = _table(recs, model, zh=True)
        sheets = _sheets(recs, model, zh=True)
        files = {"ledger.csv": b"\xef\xbb\xbf" + _csv_bytes(main)}
        files.update({f"{f}.csv": _csv_bytes(rows) for f, rows in sheets.items()})
        out.append(Case("csv", files, "ledger.csv", [pack], kind, {f: f"{f}.csv" for f in sheets}))
        out.append(
            Case("csv", {"ledger.csv": _csv_bytes(_table(recs, model, zh=False))}, "ledger.csv", [pack], kind)
        )
        out.append(
            Case("csv", {"ledger.csv": _csv_bytes(main, "gb18030", "\r\n")}, "ledger.csv", [pack], kind)
        )
    return out


def jsonl_seeds() -> list[Case]:
    by_pack: dict[str, list[dict[str, Any]]] = {}
    for pack, _, rec in _examples():
        by_pack.setdefault(pack, []).append(rec)
    out = []
    for pack, recs in by_pack.items():
        lines = [_json(r) for r in recs] + [_json(_copy(recs[0], "-B"))]
        out.append(Case("jsonl", {"ledger.jsonl": "\n".join(lines).encode() + b"\n"}, "ledger.jsonl", [pack]))
    return out


def xlsx_seeds() -> list[tuple[Case, list[tuple[str, list[list[Any]]]]]]:
    """Workbooks as (case, sheets as rows of values): mutated as values, then written."""
    out = []
    for pack, kind, recs, model in ledger_groups():
        _, titles = _headers(model)
        book = [("台账", _table(recs, model, zh=True))]
        book += [(titles[f][0], rows) for f, rows in _sheets(recs, model, zh=True).items()]
        out.append((Case("xlsx", {}, "ledger.xlsx", [pack], kind), book))
    return out


def records_seeds() -> list[Case]:
    out = []
    for pack, path, rec in _examples():
        two = [rec, _copy(rec, "-B")]
        out.append(Case("records", {"record.yaml": path.read_bytes()}, "record.yaml", [pack]))
        out.append(Case("records", {"record.json": _json(two).encode()}, "record.json", [pack]))
        lines = "".join(_json(r) + "\n" for r in two).encode()
        out.append(Case("records", {"record.jsonl": lines}, "record.jsonl", [pack]))
    return out


def events_seeds() -> list[Case]:
    from policyengine.models.events import Event

    titles = {name: fi.title or name for name, fi in Event.model_fields.items()}
    out = []
    for path in sorted((ROOT / "packs").glob("*/examples/*.jsonl")):
        pack = path.parent.parent.name
        lines = path.read_bytes().splitlines(keepends=True)
        for i in range(0, len(lines), SEED_ROWS):
            chunk = lines[i : i + SEED_ROWS]
            out.append(Case("events", {"log.jsonl": b"".join(chunk)}, "log.jsonl", [pack]))
            events = [json.loads(line) for line in chunk]
            keys = list(dict.fromkeys(k for e in events for k in e))
            head = [titles.get(k, k) for k in keys] if i % 2 else keys
            rows = [head] + [[str(e.get(k, "")) for k in keys] for e in events]
            out.append(Case("events", {"log.csv": _csv_bytes(rows)}, "log.csv", [pack], until="2023-12-31"))
    return out


# -- mutation ------------------------------------------------------------------------------


def _value(rng: random.Random) -> bytes:
    """A value to put in place of another: a fragment or a cell value, as it is or as a JSON
    string (with or without \\u escapes)."""
    text = rng.choice(VALUE_TEXTS)
    if rng.random() < 0.5:
        text = json.dumps(text, ensure_ascii=rng.random() < 0.5)
    try:  # a fragment's own bytes; a lone surrogate as the three bytes UTF-8 refuses
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    s = data
    for _ in range(min(6, 1 + int(rng.expovariate(0.7)))):  # mostly one or two changes
        op = rng.random()
        i = rng.randint(0, len(s)) if s else 0
        if op < 0.15:
            s = s[:i] + rng.choice(FRAGMENTS) + s[i:]
        elif op < 0.25:  # where a value, a key or a cell starts: after : , [ { = or a new line
            k = rng.choice([0] + [m.end() for m in BOUNDARY.finditer(s)])
            s = s[:k] + rng.choice(FRAGMENTS) + s[k:]
        elif op < 0.45:  # a whole value, key or cell replaced
            spans = [m.span() for m in VALUE.finditer(s)]
            if spans:
                a, b = rng.choice(spans)
                s = s[:a] + _value(rng) + s[b:]
        elif op < 0.55 and s:
            s = s[:i] + s[min(len(s), i + rng.randint(1, 30)) :]
        elif op < 0.62 and s:
            j = min(len(s), i + rng.randint(1, 80))
            s = s[:i] + s[i:j] * rng.randint(2, 4) + s[j:]
        elif op < 0.72 and s:  # a whole line again (duplicate rows, keys and headers)
            lines = s.split(b"\n")
            k = rng.randrange(len(lines))
            lines.insert(rng.randint(0, len(lines)), lines[k])
            s = b"\n".join(lines)
        elif op < 0.8 and s:
            k = min(i, len(s) - 1)
            s = s[:k] + bytes([rng.randrange(256)]) + s[k + 1 :]
        elif op < 0.85:
            s = s.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\n"]))
        elif op < 0.9:
            s = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b""]) + s
        elif op < 0.95 and s:
            s = s[:i]
        else:
            s = s[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + s[i:]
    return s


def mutate_case(rng: random.Random, seed: Case) -> Case:
    """One of the seed's files mutated (mostly the main one), mostly below its first line so
    that more inputs get past the header."""
    names = list(seed.files)
    name = seed.main if len(names) == 1 or rng.random() < 0.75 else rng.choice(names)
    data = seed.files[name]
    keep = data.find(b"\n") + 1 if rng.random() < 0.6 else 0
    return replace(seed, files={**seed.files, name: data[:keep] + mutate_bytes(rng, data[keep:])})


def _mutate_text(rng: random.Random, text: str) -> str:
    i = rng.randint(0, len(text))
    return text[:i] + rng.choice(HOSTILE_TEXT) + text[i + rng.randint(0, 3) :]


def mutate_book(
    rng: random.Random, book: list[tuple[str, list[list[Any]]]]
) -> list[tuple[str, list[list[Any]]]]:
    book = [(title, [list(r) for r in rows]) for title, rows in book]
    for _ in range(rng.randint(1, 5)):
        i = 0 if rng.random() < 0.7 else rng.randrange(len(book))
        title, rows = book[i]
        if not rows:
            rows.append([])
        op = rng.random()
        r = rng.randrange(len(rows))
        c = rng.randrange(max(1, len(rows[r])))
        if op < 0.35 and rows[r]:
            rows[r][c] = rng.choice(CELL_VALUES)
        elif op < 0.55 and rows[r]:
            rows[r][c] = _mutate_text(rng, str(rows[r][c] if rows[r][c] is not None else ""))
        elif op < 0.65:
            rows.insert(rng.randint(1, len(rows)), list(rows[r]))  # a row twice
        elif op < 0.7 and len(rows) > 1:
            del rows[rng.randint(1, len(rows) - 1)]
        elif op < 0.8:  # a column twice (a duplicate header), or gone
            twice = rng.random() < 0.7
            for row in rows:
                if c < len(row) and twice:
                    row.insert(c, row[c])
                elif c < len(row):
                    del row[c]
        elif op < 0.85:  # a row far down
            rows.extend([] for _ in range(rng.randint(1, 300)))
            rows.append([rng.choice(HOSTILE_TEXT)])
        elif op < 0.9:  # a cell far right
            rows[r] = rows[r] + [None] * rng.randint(1, 1100) + ["x"]
        elif op < 0.95:  # sheet names: renamed, a second sheet's name, duplicated
            new = rng.choice(["工作人员", "staff", "服务", "Sheet", title + "1", _mutate_text(rng, title)])
            book[i] = (new, rows)
        elif rng.random() < 0.5:
            book.insert(0, ("空", []))  # an empty sheet first
        else:
            book.insert(0, book.pop())  # the last sheet first
    return book


def write_book(book: list[tuple[str, list[list[Any]]]]) -> bytes:
    """The workbook as openpyxl writes it; a value openpyxl refuses is written without the
    characters it refuses, and sheet titles are made unique and legal."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for title, rows in book:
        clean = (
            _writable("".join(ch for ch in title if ch not in "[]:*?/\\" and ch.isprintable()))[:28] or "S"
        )
        while clean.lower() in used:
            clean += "_"
        used.add(clean.lower())
        ws = wb.create_sheet(clean)
        for row in rows:
            ws.append([_writable(ILLEGAL_CHARACTERS_RE.sub("", v)) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue())


def _writable(text: str) -> str:
    """Only characters an XML file can hold (no lone surrogates, no U+FFFE): openpyxl refuses
    the others when lxml is installed, and writes a file nothing can read when it is not."""
    return "".join(ch for ch in text if _xml_char(ord(ch)))


def _xml_char(c: int) -> bool:
    """XML 1.0's Char: tab, new lines, and the rest but surrogates and U+FFFE/U+FFFF."""
    return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000


def _fixed_times(data: bytes) -> bytes:
    """The zip with every date in it 2023-01-01 (openpyxl writes the time of saving): the
    same bytes on every run."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "docProps/core.xml":
                part = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2023-01-01T00:00:00Z", part)
            fixed = zipfile.ZipInfo(info.filename, (2023, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, part)
    return out.getvalue()


def make_xlsx_case(rng: random.Random, seed: tuple[Case, list[tuple[str, list[list[Any]]]]]) -> Case:
    case, book = seed
    data = write_book(mutate_book(rng, book))
    if rng.random() < 0.15:  # damage the zip itself
        data = mutate_bytes(rng, data)
    return replace(case, files={case.main: data})


# -- running one input ---------------------------------------------------------------------


def _prepare(case: Case, work: Path) -> Path:
    for old in work.iterdir():
        old.unlink()
    for name, data in case.files.items():
        (work / name).write_bytes(data)
    return work / case.main


def run_ledger(case: Case, work: Path) -> str:
    from policyengine.batch import run_assessment

    main = _prepare(case, work)
    outs = [work / f"out{s}" for s in OUT_SUFFIXES]
    sheets = [f"{f}={work / n}" for f, n in case.sheets.items()]
    try:
        summary = run_assessment(case.packs, main, outs, as_of=AS_OF, kind=case.kind, sheets=sheets)
    except PolicyEngineError:
        left = [p.name for p in work.iterdir() if p.name not in case.files]
        check(not left, f"a refused run left files behind: {left}")
        return "refused"
    stray = [p.name for p in work.iterdir() if p.name not in case.files and p not in outs]
    check(not stray, f"a run left files beside its outputs (partial or temporary files?): {stray}")
    json.dumps(summary.to_dict(), ensure_ascii=False)
    summary.console_lines(outs)
    check_ledger_outputs(case, summary, outs)
    return "assessed, with input errors" if summary.error_count else "assessed"


def _lines_seen(case: Case) -> tuple[int, int]:
    """Bounds on the data rows the reader must see: (at least, at most)."""
    data = case.files[case.main]
    if case.target == "jsonl":  # every non-blank line is a row, read or not
        lines = data.split(b"\n")
        if lines and lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = lines[0][3:]
        n = sum(1 for line in lines if line.strip())
        return n, n
    if case.target == "csv":  # each row starts on its own line, after the header's; a
        # second table's rows that no record takes are rows of the outputs too
        seconds = sum(max(0, len(case.files[f].split(b"\n")) - 1) for f in case.sheets.values())
        return 0, max(0, len(data.split(b"\n")) - 1) + seconds
    return 0, 10**9


def check_ledger_outputs(case: Case, summary: Any, outs: list[Path]) -> None:
    missing = [o.name for o in outs if not o.is_file()]
    check(not missing, f"a successful run did not write {missing}")
    out = {o.suffix: o for o in outs}
    lo, hi = _lines_seen(case)
    check(lo <= summary.rows <= hi, f"the summary counts {summary.rows} rows, the input has {lo}..{hi}")
    lines = out[".jsonl"].read_bytes().split(b"\n")
    check(lines[-1] == b"", "the JSONL output does not end with a new line")
    check(
        len(lines) - 1 == summary.rows, f"the JSONL output has {len(lines) - 1} lines for {summary.rows} rows"
    )
    for line in lines[:-1]:
        check(isinstance(json.loads(line.decode("utf-8")), dict), "a JSONL output line is not an object")
    with out[".csv"].open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh, strict=True))
    check(len(table) == summary.rows + 1, f"the CSV output has {len(table)} records for {summary.rows} rows")
    from policyengine.batch.writers.csv_writer import PLAIN_NUMBER

    for cell in (c for row in table for c in row):
        if cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell):
            raise InvariantError(f"CSV output cell {cell[:40]!r} starts like a formula")
    import openpyxl

    wb = openpyxl.load_workbook(out[".xlsx"])
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                check(
                    c.data_type not in ("f", "e"), f"XLSX output {ws.title}!{c.coordinate} is a formula/error"
                )
    wb.close()
    ET.parse(out[".xml"])
    out[".html"].read_bytes().decode("utf-8")


_ENGINES: dict[tuple[str, ...], Any] = {}


def run_records(case: Case, work: Path) -> str:
    from policyengine.evaluate.engine import Engine
    from policyengine.io import read_records

    path = _prepare(case, work)
    key = tuple(case.packs)
    engine = _ENGINES.get(key) or _ENGINES.setdefault(key, Engine.from_packs(case.packs))
    try:
        records = list(read_records(path))
    except PolicyEngineError:
        return "refused"
    judged = 0
    for label, rec in records:
        try:
            report = engine.evaluate(rec, as_of=AS_OF, source=label)
        except PolicyEngineError:
            continue
        json.dumps(report.to_dict(), ensure_ascii=False)
        judged += 1
    return "evaluated" if judged == len(records) else "read, a record refused"


def run_events(case: Case, work: Path) -> str:
    from policyengine.monitor import Monitor, read_events

    path = _prepare(case, work)
    try:
        events = read_events(path)
        monitor = Monitor(case.packs, backend="plain").feed(events, path.name)
        if case.until:
            monitor.advance(date.fromisoformat(case.until))
        monitor.window()
        monitor.set_aside()
        findings = monitor.findings()
    except PolicyEngineError:
        return "refused"
    json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
    return "monitored"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (nothing elsewhere)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Target:
    seeds: Callable[[], list[Any]]
    make: Callable[[random.Random, Any], Case]
    run: Callable[[Case, Path], str]  # what became of the input: "refused", "assessed", ...


TARGETS = {
    "csv": Target(csv_seeds, mutate_case, run_ledger),
    "jsonl": Target(jsonl_seeds, mutate_case, run_ledger),
    "xlsx": Target(xlsx_seeds, make_xlsx_case, run_ledger),
    "records": Target(records_seeds, mutate_case, run_records),
    "events": Target(events_seeds, mutate_case, run_events),
}


def signature(exc: BaseException) -> str:
    """What makes two crashes the same: the exception's type and the innermost line of the
    library it came from (for a broken invariant, its message without the numbers)."""
    if isinstance(exc, InvariantError):
        return f"InvariantError: {re.sub(r'[0-9]+', 'N', str(exc))[:100]}"
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "policyengine" in f.filename and "fuzz" not in f.filename]
    where = (ours or frames)[-1] if frames else None
    at = f"{Path(where.filename).name}:{where.lineno} ({where.name})" if where else "?"
    if where and "policyengine" in where.filename:
        at = where.filename[where.filename.rindex("policyengine") :] + f":{where.lineno} ({where.name})"
    return f"{type(exc).__name__} at {at}"


def save_crash(case: Case, n: int, exc: BaseException) -> Path:
    where = Path(os.environ.get("PE_FUZZ_CRASHES") or CRASHES) / f"{case.target}-{n}"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name, data in case.files.items():
        (where / name).write_bytes(data)
    meta = {k: v for k, v in asdict(case).items() if k != "files"}
    meta["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
    meta["signature"] = signature(exc)
    meta["traceback"] = traceback.format_exception(exc)
    (where / "case.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return where


def run_case(case: Case, work: Path) -> str:
    with time_limit(HANG_SECONDS):
        return TARGETS[case.target].run(case, work)


def fuzz_target(
    name: str, rng: random.Random, budget_inputs: int | None, deadline: float | None
) -> tuple[int, int]:
    target = TARGETS[name]
    seeds = target.seeds()
    work = Path(tempfile.mkdtemp(prefix=f"pe-fuzz-{name}-"))
    tried = crashes = 0
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()  # crashes by signature
    ignored: list[str] = []  # exceptions Python could not raise (in __del__, a generator's close)
    hook, sys.unraisablehook = (
        sys.unraisablehook,
        lambda u: ignored.append(f"{u.exc_type.__name__}: {u.object!r}"),
    )
    try:
        while (budget_inputs is None or tried < budget_inputs) and (
            deadline is None or time.monotonic() < deadline
        ):
            case = target.make(rng, rng.choice(seeds))
            tried += 1
            try:
                outcomes[run_case(case, work)] += 1
            except (RecursionError, MemoryError, Exception) as exc:
                crashes += 1
                sig = signature(exc)
                kinds[sig] += 1
                saved = (
                    f"saved {save_crash(case, tried, exc)}" if kinds[sig] <= SAVE_PER_KIND else "not saved"
                )
                print(f"CRASH {name} #{tried}: {sig}: {str(exc)[:200]} ({saved})", file=sys.stderr)
                if kinds[sig] == 1:
                    traceback.print_exc()
    finally:
        sys.unraisablehook = hook
        shutil.rmtree(work, ignore_errors=True)
    print(f"{name}: " + ", ".join(f"{n} {what}" for what, n in outcomes.most_common()))
    for sig, n in kinds.most_common():
        print(f"{name}: {n} crash(es) {sig}")
    if ignored:
        print(f"{name}: {len(ignored)} exception(s) ignored by Python, e.g. {ignored[0][:150]}")
    return tried, crashes


def replay(where: Path) -> int:
    """Run a saved crash again: 1 if it still crashes (the traceback is printed), else 0."""
    meta = json.loads((where / "case.json").read_text(encoding="utf-8"))
    files = {p.name: p.read_bytes() for p in where.iterdir() if p.name != "case.json"}
    fields = {k: meta[k] for k in ("target", "main", "packs", "kind", "sheets", "until")}
    work = Path(tempfile.mkdtemp(prefix="pe-fuzz-replay-"))
    try:
        outcome = run_case(Case(files=files, **fields), work)
    except (RecursionError, MemoryError, Exception):
        traceback.print_exc()
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{where}: no crash ({outcome})")
    return 0
