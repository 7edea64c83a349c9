"""``policyengine pack coverage ID``: each clause the pack cites, what encodes it or why not, and
the figures of its section of the sources that no quote covers; ``policyengine matrix``: the
packs' comparable parameters side by side."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..packs.coverage import README_BEGIN, README_END, coverage, embed, render_markdown, summary
from ..packs.matrix import build as build_matrix
from ..packs.matrix import render_markdown as render_matrix
from ..packs.matrix_tag import MATRIX_MARKERS
from ..packs.numbers import SectionNumbers, uncited_numbers
from ..packs.quotes import SOURCES_ENV, SourceTexts
from ..plugins import get_registry
from .output import emit
from .parser import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the coverage (markdown or JSON) or, with ``--readme``, write it into the README.
    Exit 1 when a section holds a figure no quote covers."""
    registry = get_registry()
    pack = registry.load(args.pack)
    rows = coverage(pack)
    sources = args.sources or os.environ.get(SOURCES_ENV) or None
    numbers: list[SectionNumbers] | None = None
    if sources:
        if not Path(sources).is_dir():
            origin = "--sources" if args.sources else f"${SOURCES_ENV}"
            print(f"{origin} {sources}: no such directory", file=sys.stderr)
            return EXIT_BAD_INPUT
        numbers = uncited_numbers(pack.path, registry.resolver(), SourceTexts(Path(sources)))
    if args.readme:
        return _write_between_markers(pack.path / "README.md", render_markdown(pack, rows, numbers))
    if args.format == "json":
        data: dict[str, Any] = {"pack": pack.id, "version": pack.version, "summary": summary(rows)}
        data["clauses"] = [r.to_dict() for r in rows]
        if numbers is not None:
            data["numbers"] = [n.to_dict() for n in numbers]
        emit(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        emit(render_markdown(pack, rows, numbers))
    uncited = numbers is not None and any(n.uncited for n in numbers)
    return EXIT_FINDINGS if uncited else EXIT_OK


def _write_between_markers(
    path: Path, table: str, markers: tuple[str, str] = (README_BEGIN, README_END)
) -> int:
    """Replace what is between the file's two marker lines with ``table``, atomically."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{path}: cannot read it ({exc.strerror}) / 无法读取该文件", file=sys.stderr)
        return EXIT_BAD_INPUT
    updated = embed(text, table, markers)
    if updated is None:
        print(
            f"{path}: no markers; put the two lines\n  {markers[0]}\n  {markers[1]}\n"
            "where the table goes (文件中缺少表格标记,请在表格位置加入上面两行)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if updated != text:
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        partial.write_text(updated, encoding="utf-8")
        os.replace(partial, path)  # readers see the old README or the new one, never half
    print(f"{path}: table {'updated' if updated != text else 'already current'}")
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    """``matrix [--pack ID]… [--as-of DATE]``: funding shares and their bases, staffing
    minimums, standards, monitoring cycles … of the packs, each cell with its clause."""
    registry = get_registry()
    packs = [registry.load(pid) for pid in (args.pack or sorted(registry.ids()))]
    rows = build_matrix(packs, args.as_of)
    if args.write:
        return _write_between_markers(Path(args.write), render_matrix(rows, args.as_of), MATRIX_MARKERS)
    if args.format == "json":
        data = {
            "as_of": args.as_of.isoformat() if args.as_of else None,
            "packs": [p.id for p in packs],
            "rows": {row: [c.to_dict() for c in cells] for row, cells in rows.items() if cells},
        }
        emit(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        emit(render_matrix(rows, args.as_of))
    return EXIT_OK
