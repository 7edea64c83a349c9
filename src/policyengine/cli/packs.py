"""``policyengine packs``, ``pack show``, ``validate`` and ``test``: packs as their authors see them."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import PolicyEngineError
from ..evaluate.report import jsonable
from ..packs.runtime import Pack
from ..plugins import get_registry, load_pack
from ..testing.cases import case_files, describe_failure, load_cases, run_pack_cases
from .output import emit
from .parser import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK


def cmd_packs(args: argparse.Namespace) -> int:
    registry = get_registry()
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for pid, path in registry.directories().items():
        try:
            pack = registry.load(path)
        except PolicyEngineError as exc:
            problems.append(exc.render())
            rows.append({"id": pid, "version": "?", "rules": None, "title": "(invalid)", "path": str(path)})
            continue
        rows.append(
            {
                "id": pack.id,
                "version": pack.version,
                "rules": len(pack.rules),
                "subjects": pack.subjects(),
                "title": pack.title.zh,
                "extends": pack.chain[1:],
                "path": str(path),
            }
        )
    if args.format == "json":
        emit(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console  # terminal tables only
        from rich.table import Table

        table = Table("id", "version", "rules", "subjects", "title")
        for r in rows:
            rules = str(r["rules"] if r["rules"] is not None else "?")
            table.add_row(r["id"], r["version"], rules, ", ".join(r.get("subjects", [])), r["title"])
        Console(width=120).print(table)
    for text in problems:
        print(text, file=sys.stderr)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def pack_data(pack: Pack, when: date) -> dict[str, Any]:
    """What ``pack show --format json`` prints."""
    values, _ = pack.params_at(when)
    return {
        "id": pack.id,
        "version": pack.version,
        "title": pack.title.model_dump(),
        "content_hash": pack.content_hash,
        "extends": pack.chain[1:],
        "path": str(pack.path),
        "sources": [s.model_dump(mode="json") for s in pack.sources.values()],
        "parameters": {
            name: {
                "title": p.title.zh,
                "unit": p.unit,
                "value": jsonable(values.get(name)),
                "cite": (c.model_dump() if (c := pack.param_cite(name, when)) else None),
            }
            for name, p in pack.parameters.items()
        },
        "rules": [
            {
                "id": r.id,
                "subject": r.subject,
                "severity": r.severity,
                "title": r.rule.title.zh,
                "clause": r.rule.cite.clause,
                "when": r.rule.when,
                "require": r.rule.require,
            }
            for r in pack.rules
        ],
        "not_checked": [n.model_dump() for n in pack.not_checked],
    }


def cmd_pack(args: argparse.Namespace) -> int:
    if args.pack_command != "show":
        print("usage: policyengine pack show ID", file=sys.stderr)
        return EXIT_BAD_INPUT
    pack = get_registry().load(args.pack)
    when = args.as_of or date.today()
    data = pack_data(pack, when)
    if args.format == "json":
        emit(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    from rich.console import Console  # terminal tables only
    from rich.table import Table

    _, absent = pack.params_at(when)
    console = Console(width=140)
    console.print(f"[bold]{pack.title.zh}[/bold]  {pack.id} {pack.version}  {pack.content_hash[:19]}")
    for s in pack.sources.values():
        console.print(f"  source {s.id}: {s.title.zh} ({s.published or ''})")
    params = Table("parameter", "value", "unit", "clause", title=f"parameters on {when}")
    for name, info in data["parameters"].items():
        cite = info["cite"] or {}
        shown = "—" if name in absent else str(info["value"])
        params.add_row(name, shown, info["unit"] or "", cite.get("clause", ""))
    console.print(params)
    rules = Table("rule", "subject", "severity", "clause", "title")
    for r in pack.rules:
        rules.add_row(r.id, r.subject, r.severity, r.rule.cite.clause, r.rule.title.zh)
    console.print(rules)
    if pack.not_checked:
        console.print(f"not checked: {len(pack.not_checked)} clause(s) — see the pack's README")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for raw in args.paths:
        path = Path(raw)
        try:
            pack = load_pack(path)
            n_cases = sum(len(load_cases(f, pack)) for f in case_files(pack))
        except PolicyEngineError as exc:
            failed += 1
            print(exc.render(), file=sys.stderr)
            print(f"✗ {raw}: {len(exc.problems)} problem(s)", file=sys.stderr)
            continue
        print(
            f"✓ {pack.id} {pack.version}: {len(pack.rules)} rules, "
            f"{len(pack.parameters)} parameters, {n_cases} test cases"
        )
    return EXIT_BAD_INPUT if failed else EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    registry = get_registry()
    targets = args.packs or registry.ids()
    passed = failed = 0
    for target in targets:
        pack = registry.load(target)
        for result in run_pack_cases(pack):
            if result.ok:
                passed += 1
                if args.verbose:
                    print(f"  ✓ {pack.id}: {result.case.name}")
            else:
                failed += 1
                print(f"  ✗ {pack.id}: {result.case.name}")
                print(describe_failure(result))
    print(f"{passed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else EXIT_OK
