"""The quarterly trend written out in the formats the batch writes, chosen by file suffix:
``.xlsx`` (text cells only, never a formula), ``.csv`` (UTF-8 with BOM, a text that a
spreadsheet would take for a formula is written with a leading ``'``), ``.jsonl``, ``.json``
and ``.html`` (one self-contained page). Headers are Chinese, or English with ``lang="en"``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._text import XML_ILLEGAL, json_utf8
from ..errors import Location, PolicyEngineError, Problem
from .trend import COLUMNS, QuarterRow

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _headers(lang: str) -> list[str]:
    return [en if lang == "en" else zh for _, zh, en in COLUMNS]


def _cells(row: QuarterRow) -> list[Any]:
    d = row.to_dict()
    return [d[key] for key, _, _ in COLUMNS]


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def trend_csv(rows: Sequence[QuarterRow], lang: str = "zh") -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(_headers(lang))
    for row in rows:
        out.writerow([_csv_cell(c) for c in _cells(row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8", "replace")


def trend_jsonl(rows: Sequence[QuarterRow], lang: str = "zh") -> bytes:
    return b"".join(json_utf8(json.dumps(r.to_dict(), ensure_ascii=False) + "\n") for r in rows)


def trend_json(rows: Sequence[QuarterRow], lang: str = "zh") -> bytes:
    return json_utf8(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2) + "\n")


def trend_html(rows: Sequence[QuarterRow], lang: str = "zh") -> bytes:
    def cell(value: Any) -> str:
        return html.escape(XML_ILLEGAL.sub("\ufffd", "—" if value is None else str(value)))

    title = "Quarterly rectification trend" if lang == "en" else "整改情况季度趋势"
    head = "".join(f"<th>{cell(h)}</th>" for h in _headers(lang))
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in _cells(r)) + "</tr>\n" for r in rows)
    page = (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}"
        "td,th{border:1px solid #999;padding:2px 6px}td{text-align:right}</style></head>"
        f"<body><h1>{title}</h1><table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"
        "</body></html>\n"
    )
    return page.encode("utf-8")


def trend_xlsx(rows: Sequence[QuarterRow], lang: str = "zh") -> bytes:
    try:
        import xlsxwriter  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the assess extra installs it
        raise PolicyEngineError(
            [Problem("writing .xlsx needs XlsxWriter", None, "pip install 'policyengine[assess]'", "usage")]
        ) from None
    buf = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    book = xlsxwriter.Workbook(buf, options)
    sheet = book.add_worksheet("季度趋势" if lang != "en" else "trend")
    bold = book.add_format({"bold": True})
    for c, h in enumerate(_headers(lang)):
        sheet.write_string(0, c, h, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(_cells(row)):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, XML_ILLEGAL.sub("\ufffd", "" if value is None else str(value)))
    sheet.set_column(0, 2, 16)
    book.close()
    return buf.getvalue()


TREND_FORMATS: dict[str, Callable[[Sequence[QuarterRow], str], bytes]] = {
    ".xlsx": trend_xlsx,
    ".csv": trend_csv,
    ".jsonl": trend_jsonl,
    ".json": trend_json,
    ".html": trend_html,
}
#: media types of each format (the service's downloads)
MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".jsonl": "application/jsonl; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}


def render_trend(rows: Sequence[QuarterRow], suffix: str, lang: str = "zh") -> bytes:
    writer = TREND_FORMATS.get(suffix.lower())
    if writer is None:
        raise PolicyEngineError(
            [
                Problem(
                    f"cannot write the trend as {suffix or 'this kind of'} file",
                    None,
                    f"give a name ending in one of {', '.join(TREND_FORMATS)}",
                    "usage",
                )
            ]
        )
    return writer(rows, lang)


def write_trend(rows: Sequence[QuarterRow], path: Path, lang: str = "zh") -> None:
    data = render_trend(rows, path.suffix, lang)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise PolicyEngineError(
            [Problem(f"cannot write: {exc.strerror}", Location(str(path)), None, "usage")]
        ) from None
