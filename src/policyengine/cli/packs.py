"""``policyengine packs``, ``pack show``, ``validate`` and ``test``: packs as their authors see them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from .._text import markup_text, terminal_text
from ..errors import PolicyEngineError
from ..evaluate.report import jsonable
from ..packs.quotes import SOURCES_ENV, SourceTexts, check_pack_quotes
from ..packs.runtime import Pack
from ..plugins import get_registry, load_pack
from ..testing.cases import case_files, describe_failure, load_cases, run_pack_cases
from ..testing.coverage import coverage
from .output import emit
from .parser import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_NO_TESTS, EXIT_OK


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
            cells = (r["id"], r["version"], rules, ", ".join(r.get("subjects", [])), r["title"])
            table.add_row(*map(markup_text, cells))
        Console(width=120, emoji=False).print(table)
    for text in problems:
        print(terminal_text(text), file=sys.stderr)
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
        "correlations": [
            {
                "id": c.id,
                "kind": c.spec.kind,
                "subject": c.subject,
                "severity": c.severity,
                "title": c.spec.title.zh,
                "clause": c.spec.cite.clause,
                "checked_by": "assess",  # across the records of one batch; `evaluate` cannot
            }
            for c in pack.correlations
        ],
        "not_checked": [n.model_dump() for n in pack.not_checked],
    }


def pack_code(pack: Pack) -> str:
    """What ``pack show --format code`` prints: the generated Python that ``Engine(...,
    codegen=True)`` runs for the pack's rules, one function per subject kind (traces off),
    and the rules left to the closures, if any."""
    from ..evaluate import Engine

    engine = Engine([pack], codegen=True)
    parts = []
    for kind in sorted({r.subject for r in pack.rules}):
        code = engine.generated(pack, kind)
        left = "".join(f"# runs on its closures: {rule} ({why})\n" for rule, why in code.fallbacks.items())
        parts.append(left + code.source)
    return "\n\n".join(parts) if parts else f"# pack {pack.id} has no rules\n"


def cmd_pack(args: argparse.Namespace) -> int:
    if args.pack_command == "coverage":
        from .coverage import cmd_coverage

        return cmd_coverage(args)
    if args.pack_command != "show":
        print("usage: policyengine pack show|coverage ID", file=sys.stderr)
        return EXIT_BAD_INPUT
    pack = get_registry().load(args.pack)
    if args.format == "code":
        emit(pack_code(pack))
        return EXIT_OK
    when = args.as_of or date.today()
    data = pack_data(pack, when)
    if args.format == "json":
        emit(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    from rich.console import Console  # terminal tables only
    from rich.table import Table

    _, absent = pack.params_at(when)
    m = markup_text  # text from the pack, shown as written (markup escaped, no control characters)
    console = Console(width=140, emoji=False)
    console.print(
        f"[bold]{m(pack.title.zh)}[/bold]  {m(pack.id)} {m(pack.version)}  {pack.content_hash[:19]}"
    )
    for s in pack.sources.values():
        console.print(terminal_text(f"  source {s.id}: {s.title.zh} ({s.published or ''})"), markup=False)
    params = Table("parameter", "value", "unit", "clause", title=f"parameters on {when}")
    for name, info in data["parameters"].items():
        cite = info["cite"] or {}
        shown = "—" if name in absent else str(info["value"])
        params.add_row(m(name), m(shown), m(info["unit"] or ""), m(cite.get("clause", "")))
    console.print(params)
    rules = Table("rule", "subject", "severity", "clause", "title")
    for r in pack.rules:
        rules.add_row(m(r.id), m(r.subject), m(r.severity), m(r.rule.cite.clause), m(r.rule.title.zh))
    console.print(rules)
    if pack.correlations:
        corr = Table(
            "correlation",
            "kind",
            "subject",
            "severity",
            "clause",
            "title",
            title="批量核查:仅 assess 跨记录比对 / batch checks: `assess` only, never `evaluate`",
        )
        for c in pack.correlations:
            cells = (c.id, c.spec.kind, c.subject, c.severity, c.spec.cite.clause, c.spec.title.zh)
            corr.add_row(*map(m, cells))
        console.print(corr)
    if pack.not_checked:
        console.print(f"not checked: {len(pack.not_checked)} clause(s) — see the pack's README")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Load each pack and read its cases; with ``--sources DIR`` (or ``$POLICYENGINE_SOURCES``)
    also look up every quote in the captured text of the source it cites."""
    sources = args.sources or os.environ.get(SOURCES_ENV) or None
    texts = SourceTexts(Path(sources)) if sources else None
    if texts is not None and not texts.directory.is_dir():
        origin = "--sources" if args.sources else f"${SOURCES_ENV}"
        print(f"{origin} {sources}: no such directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = 0
    for raw in args.paths:
        path = Path(raw)
        try:
            pack = load_pack(path)
            n_cases = sum(len(load_cases(f, pack)) for f in case_files(pack))
            check = check_pack_quotes(pack.path, get_registry().resolver(), texts) if texts else None
        except PolicyEngineError as exc:
            failed += 1
            print(terminal_text(exc.render()), file=sys.stderr)
            print(f"✗ {raw}: {len(exc.problems)} problem(s)", file=sys.stderr)
            continue
        summary = (
            f"✓ {pack.id} {pack.version}: {len(pack.rules)} rules, "
            f"{len(pack.parameters)} parameters, {n_cases} test cases"
        )
        if pack.correlations:
            summary += f", {len(pack.correlations)} batch check(s)"
        if check is not None:
            for warning in check.warnings:
                print(terminal_text(f"warning: {warning.render()}"), file=sys.stderr)
            if check.problems:
                failed += 1
                print(terminal_text("\n".join(p.render() for p in check.problems)), file=sys.stderr)
                print(f"✗ {raw}: {len(check.problems)} problem(s)", file=sys.stderr)
                continue
            summary += f", {check.checked} quotes found in their sources"
        print(terminal_text(summary))
    return EXIT_BAD_INPUT if failed else EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    """Every case of the packs; a pack without cases fails (exit 5, as pytest's "no tests
    ran"); ``--coverage`` prints rule × outcome and fails on a gap no case file explains."""
    registry = get_registry()
    targets = args.packs or registry.ids()
    passed = failed = 0
    empty: list[str] = []
    gaps: list[str] = []
    for target in targets:
        pack = registry.load(target)
        ran = 0
        for result in run_pack_cases(pack):
            ran += 1
            if result.ok:
                passed += 1
                if args.verbose:
                    print(terminal_text(f"  ✓ {pack.id}: {result.case.name}"))
            else:
                failed += 1
                print(terminal_text(f"  ✗ {pack.id}: {result.case.name}"))
                print(terminal_text(describe_failure(result)))
        if not ran and pack.rules:
            empty.append(pack.id)
        if args.coverage:
            cov = coverage(pack)
            print(cov.table())
            gaps += [f"{pack.id} {rule}: no {outcome} case" for rule, outcome in cov.gaps()]
    for pid in empty:
        print(f"  ✗ {pid}: no test cases (add packs/{pid}/tests/*.yaml)")
    for gap in gaps:
        print(f"  ✗ {gap} (add one, or say why under `unreachable:` in a case file)")
    print(f"{passed} passed, {failed} failed")
    if failed or gaps:
        return EXIT_FINDINGS
    return EXIT_NO_TESTS if empty else EXIT_OK
