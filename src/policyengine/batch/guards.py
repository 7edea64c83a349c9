"""Guards on batch input: what a ledger file may not make the reader do (expand a zip bomb,
read a billion-character string) and JSON Lines lines read without ever raising."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import Location, Problem, RecordError

#: More columns than a ledger has; a sheet claiming more gives no row count for the progress bar.
MAX_COLUMNS = 1000
#: The largest shared-strings part an XLSX may have, uncompressed: openpyxl reads it whole.
MAX_SHARED_STRINGS = 256 * 1024 * 1024
#: A part that expands more than this many times, to more than MAX_EXPANDED bytes, is a bomb.
MAX_RATIO, MAX_EXPANDED = 200, 64 * 1024 * 1024


def check_zip(path: Path) -> None:
    """Refuse an XLSX whose parts would expand past what a ledger needs, before reading it."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except Exception:  # a damaged or unsupported zip (e.g. "zip file version 13.3")
        return  # load_workbook says the file is unreadable, with its own message
    for part in parts:
        bomb = part.file_size > MAX_EXPANDED and part.file_size > MAX_RATIO * max(1, part.compress_size)
        if (part.filename.endswith("sharedStrings.xml") and part.file_size > MAX_SHARED_STRINGS) or bomb:
            raise RecordError(
                [
                    Problem(
                        f"the workbook part {part.filename} expands to {part.file_size:,} bytes from "
                        f"{part.compress_size:,}: more than a ledger holds (工作簿内容异常庞大,拒绝读取)",
                        Location(str(path)),
                        "save the sheet again from the spreadsheet program, or split it",
                        "input",
                    )
                ]
            )


def has_formulas(path: Path) -> bool:
    """Whether any worksheet of the XLSX holds a formula (``<f>`` or ``<f ...>``), read in
    blocks without parsing."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            for part in z.infolist():
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    tail = b""
                    with z.open(part) as fh:
                        for block in iter(lambda: fh.read(1 << 20), b""):
                            text = tail + block
                            if b"<f>" in text or b"<f " in text:
                                return True
                            tail = text[-3:]
    except Exception:  # damaged: load_workbook reports it
        return False
    return False


def lost_formulas(path: Path) -> dict[str, dict[int, list[int]]]:
    """An XLSX's formulas whose result the file does not keep: sheet name → row → columns
    (1-based). Read from each sheet's XML (a ``<c>`` with ``<f>`` and no ``<v>``), only for
    a workbook that holds formulas (:func:`has_formulas`); a part that cannot be read is left
    to the reader, which reports it."""
    import xml.etree.ElementTree as ET
    import zipfile

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    out: dict[str, dict[int, list[int]]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            for name, part in _sheet_parts(z).items():
                lost: dict[int, list[int]] = {}
                with z.open(part) as fh:
                    for _, el in ET.iterparse(fh):
                        if el.tag != f"{ns}c":
                            continue
                        value = el.find(f"{ns}v")
                        if el.find(f"{ns}f") is not None and (value is None or not value.text):
                            row, col = _cell_ref(el.get("r", ""))
                            if row:
                                lost.setdefault(row, []).append(col)
                        el.clear()
                if lost:
                    out[name] = lost
    except Exception:  # damaged: the reader reports it
        return out
    return out


def _sheet_parts(z: Any) -> dict[str, str]:
    """Sheet name → its XML part in an XLSX (from workbook.xml and its relationships)."""
    import xml.etree.ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in book.iter(f"{main}sheet"):
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _cell_ref(ref: str) -> tuple[int, int]:
    """``B3`` → (3, 2); (0, 0) when it is not a reference."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not letters.isalpha() or not digits:
        return 0, 0
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(digits), col


def json_line(raw: bytes) -> tuple[Any, str | None]:
    """One JSON Lines line: the value, or why it is not one (never an exception)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            None,
            f"此行不是 UTF-8 文本(第 {exc.start + 1} 个字节) / "
            f"the line is not UTF-8 text (byte {exc.start + 1})",
        )
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicate_keys), None
    except _DuplicateKey as exc:
        return None, f"键“{exc.key}”在同一对象中出现两次 / the key `{exc.key}` appears twice in one object"
    except json.JSONDecodeError as exc:
        return (
            None,
            f"不是有效的 JSON:{exc.msg}(第 {exc.colno} 列) / not valid JSON: {exc.msg} (column {exc.colno})",
        )
    except RecursionError:
        return None, "JSON 嵌套过深 / the JSON is nested too deeply"
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, f"JSON 中的数值无法读取:{str(exc)[:200]} / a number cannot be read: {str(exc)[:200]}"


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out
