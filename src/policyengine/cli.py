"""The ``policyengine`` command.

Exit codes: 0 compliant (or success), 1 non-compliant or incomplete (or failing pack
tests), 2 bad input or a bad pack, with a message naming the place and the fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from . import __version__
from .errors import PolicyEngineError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

SCHEMA_TARGETS = ("pack", "report", "station", "project", "organization", "community", "funding")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _pack_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pack",
        "-p",
        action="append",
        required=True,
        metavar="ID",
        help="pack id or directory (repeat for several)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policyengine",
        description="Check social-work stations and projects against policy packs.",
        epilog="Exit codes: 0 compliant, 1 non-compliant or incomplete, 2 bad input or pack.",
    )
    p.add_argument("--version", action="version", version=f"policyengine {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    packs = sub.add_parser("packs", help="list installed packs")
    packs.add_argument("--format", choices=("table", "json"), default="table")

    pack = sub.add_parser("pack", help="show one pack")
    pack_sub = pack.add_subparsers(dest="pack_command", metavar="show")
    show = pack_sub.add_parser("show", help="parameters, rules and sources of a pack")
    show.add_argument("pack", help="pack id or directory")
    show.add_argument("--as-of", type=_date, default=None, help="parameter values on this date")
    show.add_argument("--format", choices=("table", "json"), default="table")

    val = sub.add_parser("validate", help="check pack directories (and their test cases)")
    val.add_argument("paths", nargs="+", metavar="PATH", help="pack directories or pack.yaml files")

    ev = sub.add_parser("evaluate", help="evaluate a record file against packs")
    _pack_option(ev)
    ev.add_argument("file", type=Path, metavar="FILE", help="record file: .yaml .yml .json .jsonl")
    ev.add_argument("--as-of", type=_date, default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    ev.add_argument("--format", "-f", default="table", help="table, json, markdown, or a plugin's")
    ev.add_argument("--lang", choices=("zh", "en"), default="zh")
    ev.add_argument("--kind", default=None, help="subject kind if the record has no `kind:`")
    ev.add_argument("--no-trace", action="store_true", help="leave traces out of the report")
    ev.add_argument("--out", "-o", type=Path, default=None, help="write here instead of stdout")

    asm = sub.add_parser("assess", help="assess a spreadsheet or JSON Lines file of records in batch")
    _pack_option(asm)
    asm.add_argument("input", type=Path, metavar="INPUT", help="records: .xlsx, .csv or .jsonl")
    asm.add_argument(
        "--out",
        "-o",
        type=Path,
        action="append",
        required=True,
        metavar="OUTPUT",
        help="results: .xlsx .csv .jsonl .html, or .xml for JUnit (repeat for several)",
    )
    asm.add_argument("--as-of", type=_date, default=None, help="evaluation date (default: today)")
    asm.add_argument("--kind", default=None, help="subject kind (default: the only one the packs check)")
    asm.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    asm.add_argument("--mapping", type=Path, default=None, help="YAML file: 表头: field.path")
    asm.add_argument(
        "--sheet",
        action="append",
        default=[],
        metavar="FIELD=FILE.csv",
        help="for CSV input: a second table, e.g. staff=staff.csv",
    )
    asm.add_argument("--no-progress", action="store_true", help="no progress bar")

    cmp = sub.add_parser("compare", help="one record under several packs, side by side")
    _pack_option(cmp)
    cmp.add_argument("file", type=Path, metavar="FILE")
    cmp.add_argument("--as-of", type=_date, default=None)
    cmp.add_argument("--kind", default=None)
    cmp.add_argument("--format", "-f", choices=("table", "markdown", "json"), default="table")
    cmp.add_argument("--lang", choices=("zh", "en"), default="zh")

    from .monitor.api import default_backend

    mon = sub.add_parser(
        "monitor",
        help="check an event log against packs' monitors",
        description=f"Event-time rules over an event log. Default backend here: {default_backend()} "
        "(durable-rules where it imports, otherwise plain Python; both give the same findings).",
    )
    _pack_option(mon)
    mon.add_argument("events", type=Path, metavar="EVENTS", help="events: .jsonl or .csv")
    mon.add_argument(
        "--until",
        type=_date,
        default=None,
        help="the log is complete up to this day (default: the last event's day)",
    )
    mon.add_argument("--backend", choices=("auto", "plain", "durable"), default="auto")
    mon.add_argument("--format", "-f", choices=("table", "json", "markdown"), default="table")
    mon.add_argument("--lang", choices=("zh", "en"), default="zh")
    mon.add_argument("--all", action="store_true", help="also list passing findings")
    mon.add_argument("--out", "-o", type=Path, default=None)

    test = sub.add_parser("test", help="run packs' YAML test cases")
    test.add_argument("packs", nargs="*", metavar="ID", help="pack ids or directories (default: all)")
    test.add_argument("--verbose", "-v", action="store_true", help="list every case")

    schema = sub.add_parser("schema", help="print a JSON Schema (for editors)")
    schema.add_argument("target", choices=SCHEMA_TARGETS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        handler = _HANDLERS[args.command]
        return handler(args)
    except PolicyEngineError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _out(text: str, target: Path | None = None) -> None:
    if target is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        target.write_text(text, encoding="utf-8")


def cmd_packs(args: argparse.Namespace) -> int:
    from .plugins import get_registry

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
        _out(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("id", "version", "rules", "subjects", "title")
        for r in rows:
            table.add_row(
                r["id"],
                r["version"],
                str(r["rules"] if r["rules"] is not None else "?"),
                ", ".join(r.get("subjects", [])),
                r["title"],
            )
        Console(width=120).print(table)
    for text in problems:
        print(text, file=sys.stderr)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def cmd_pack(args: argparse.Namespace) -> int:
    from .plugins import get_registry

    if args.pack_command != "show":
        print("usage: policyengine pack show ID", file=sys.stderr)
        return EXIT_BAD_INPUT
    pack = get_registry().load(args.pack)
    when = args.as_of or date.today()
    values, absent = pack.params_at(when)
    data: dict[str, Any] = {
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
                "value": _jsonable(values.get(name)),
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
    if args.format == "json":
        _out(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

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


def _jsonable(value: Any) -> Any:
    from .evaluate.report import jsonable

    return jsonable(value)


def cmd_validate(args: argparse.Namespace) -> int:
    from .packs.cases import case_files, load_cases
    from .plugins import load_pack

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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate.engine import Engine
    from .io import read_records
    from .outcomes import Verdict
    from .plugins import default_formats

    formats = default_formats()
    if args.format not in formats:
        from .errors import Problem

        raise PolicyEngineError(
            [
                Problem(
                    f"unknown format `{args.format}`",
                    None,
                    f"use one of {', '.join(sorted(formats))}",
                    "usage",
                )
            ]
        )
    engine = Engine.from_packs(args.pack)
    as_of = args.as_of or date.today()
    records = list(read_records(args.file))
    reports = [
        engine.evaluate(rec, as_of=as_of, trace=not args.no_trace, kind=args.kind, source=label)
        for label, rec in records
    ]
    render = formats[args.format]
    if args.format == "json" and len(reports) != 1:
        text = "[\n" + ",\n".join(render(r, args.lang) for r in reports) + "\n]"
    else:
        text = "\n".join(render(r, args.lang) for r in reports)
    _out(text, args.out)
    ok = all(r.verdict is Verdict.COMPLIANT for r in reports)
    return EXIT_OK if ok else EXIT_FINDINGS


def cmd_assess(args: argparse.Namespace) -> int:
    from .assess import Summary, assess
    from .errors import Problem
    from .evaluate.engine import Engine
    from .io.readers import Input
    from .io.tabular import load_mapping
    from .io.writers import open_writer

    if args.jobs < 1:
        raise PolicyEngineError([Problem("--jobs must be 1 or more", None, None, "usage")])
    engine = Engine.from_packs(args.pack)  # load and check the packs before reading anything
    kind = args.kind
    if kind is None and args.input.suffix.lower() != ".jsonl":
        kinds = engine.subject_kinds()
        if len(kinds) != 1:
            raise PolicyEngineError(
                [
                    Problem(
                        f"the packs check several kinds of record ({', '.join(kinds)})",
                        None,
                        "say which this input holds with --kind",
                        "usage",
                    )
                ]
            )
        kind = kinds[0]
    if kind is not None and kind not in engine.subjects:
        raise PolicyEngineError(
            [
                Problem(
                    f"unknown kind `{kind}`",
                    None,
                    f"use one of {', '.join(sorted(engine.subjects))}",
                    "usage",
                )
            ]
        )
    model = engine.subjects[kind] if kind else next(iter(engine.subjects.values()))
    mapping = load_mapping(args.mapping) if args.mapping else None
    sheets = {}
    for spec in args.sheet:
        name, _, file = spec.partition("=")
        if not file:
            raise PolicyEngineError(
                [
                    Problem(
                        f"--sheet {spec!r} is not FIELD=FILE", None, "e.g. --sheet staff=staff.csv", "usage"
                    )
                ]
            )
        sheets[name] = Path(file)
    source = Input(args.input, model, mapping, sheets)
    writers = [open_writer(out) for out in args.out]
    as_of = args.as_of or date.today()
    summary = Summary(as_of=as_of)
    progress = None
    if sys.stderr.isatty() and not args.no_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        task = progress.add_task("评估中", total=source.total)
        progress.start()
    try:
        rows = assess(
            [str(p) for p in args.pack], source, as_of=as_of, kind=kind, jobs=args.jobs, engine=engine
        )
        for row in rows:
            summary.add(row)
            for w in writers:
                w.write(row)
            if progress is not None:
                progress.advance(task)
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        if progress is not None:
            progress.stop()
        source.close()
    summary.add_errors(
        [
            {
                "sheet": o.location.file if o.location else "",
                "row": o.location.line if o.location else None,
                "field": None,
                "message": o.message,
                "hint": o.hint,
            }
            for o in source.orphans()
        ]
    )
    for w in writers:
        w.close(summary)
    _print_summary(summary, args.out)
    bad = summary.rows - summary.verdicts.get("compliant", 0)
    return EXIT_FINDINGS if bad or summary.error_count else EXIT_OK


def _print_summary(summary: Any, outs: list[Path]) -> None:
    from .io.writers import VERDICT_ZH

    data = summary.to_dict()
    counts = "  ".join(f"{VERDICT_ZH[v]} {data['verdicts'].get(v, 0)}" for v in VERDICT_ZH)
    print(f"{data['rows']} 条记录:{counts}")
    if summary.error_count:
        print(f"输入错误 {summary.error_count} 处(行仍保留在结果中,结论为“无法读取”):")
        for e in summary.errors[:10]:
            where = f"{e['sheet']} 第{e['row']}行" if e.get("sheet") else f"第{e['row']}行"
            field = f" {e['field']}" if e.get("field") else ""
            print(f"  {where}{field}:{e['message']}")
        if summary.error_count > 10:
            print(f"  …… 其余 {summary.error_count - 10} 处见输出文件")
    for out in outs:
        print(f"已写入 {out}")


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, render_compare
    from .io import read_records

    records = list(read_records(args.file))
    as_of = args.as_of or date.today()
    ok = True
    for label, record in records:
        result = compare(args.pack, record, as_of=as_of, kind=args.kind, source=label)
        ok = ok and all(v == "compliant" for v in result["verdicts"].values())
        _out(render_compare(result, args.format, args.lang))
    return EXIT_OK if ok else EXIT_FINDINGS


def cmd_monitor(args: argparse.Namespace) -> int:
    from .monitor.api import Monitor
    from .monitor.events import read_events

    monitor = Monitor(args.pack, backend=args.backend)
    events = read_events(args.events)
    monitor.feed(events, args.events.name)
    if args.until:
        monitor.advance(args.until)
    findings = monitor.findings()
    shown = findings if args.all else [f for f in findings if f.outcome.value != "pass"]
    until = args.until or (max(e.date for e in events) if events else None)
    zh = args.lang != "en"
    if args.format == "json":
        text = json.dumps(
            {
                "backend": monitor.backend,
                "until": until.isoformat() if until else None,
                "events": len(events),
                "findings": [f.to_dict() for f in shown],
            },
            ensure_ascii=False,
            indent=2,
        )
    elif args.format == "markdown":
        lines = [
            f"# {'监测结果' if zh else 'Monitoring'} ({monitor.backend}, {until})",
            "",
            "| monitor | outcome | message | clause | events |",
            "|---|---|---|---|---|",
        ]
        for f in shown:
            lines.append(
                f"| `{f.monitor}` | {f.outcome.label_zh if zh else f.outcome.value} | "
                f"{f.message['zh' if zh else 'en']} | {f.citation.clause} | {', '.join(f.events)} |"
            )
        text = "\n".join(lines)
    else:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table

        table = Table(
            "monitor",
            "结果" if zh else "outcome",
            "说明" if zh else "message",
            "依据" if zh else "clause",
            "事件" if zh else "events",
            expand=True,
        )
        for f in shown:
            table.add_row(
                f.monitor,
                f.outcome.label_zh if zh else f.outcome.value,
                f.message["zh" if zh else "en"],
                f.citation.clause,
                "\n".join(f.events),
            )
        console = Console(width=140, record=True, file=StringIO())
        console.print(f"{len(events)} events, until {until}, backend {monitor.backend}")
        console.print(table)
        counts = {
            o: sum(1 for f in findings if f.outcome.value == o) for o in ("pass", "fail", "unknown", "error")
        }
        console.print("  ".join(f"{k} {v}" for k, v in counts.items()))
        text = console.export_text()
    _out(text, args.out)
    bad = any(f.outcome.value in ("fail", "error") for f in findings)
    return EXIT_FINDINGS if bad else EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from .packs.cases import describe_failure, run_pack_cases
    from .plugins import get_registry

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


def cmd_schema(args: argparse.Namespace) -> int:
    from .packs.schema import PackFile
    from .plugins import default_subjects

    if args.target == "pack":
        schema = PackFile.model_json_schema(by_alias=True)
        schema["title"] = "policyengine pack"
    elif args.target == "report":
        schema = _report_schema()
    else:
        schema = default_subjects()[args.target].model_json_schema()
    _out(json.dumps(schema, ensure_ascii=False, indent=2))
    return EXIT_OK


def _report_schema() -> dict[str, Any]:
    outcome = {"enum": ["pass", "fail", "unknown", "not_applicable", "error"]}
    text = {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "policyengine report (policyengine.report/1)",
        "type": "object",
        "required": ["schema", "subject", "packs", "as_of", "verdict", "counts", "findings"],
        "properties": {
            "schema": {"const": "policyengine.report/1"},
            "subject": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "id": {"type": ["string", "null"]},
                    "name": {"type": ["string", "null"]},
                },
            },
            "packs": {
                "type": "array",
                "items": {"type": "object", "required": ["id", "version", "content_hash"]},
            },
            "as_of": {"type": "string", "format": "date"},
            "verdict": {"enum": ["compliant", "non_compliant", "incomplete"]},
            "counts": {"type": "object"},
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "pack": {"type": "string"},
                        "rule": {"type": "string"},
                        "title": text,
                        "outcome": outcome,
                        "severity": {"enum": ["error", "warning", "info"]},
                        "message": text,
                        "citation": {
                            "type": "object",
                            "properties": {
                                "source": {"type": ["string", "null"]},
                                "document": {"type": ["string", "null"]},
                                "clause": {"type": "string"},
                                "quote": {"type": ["string", "null"]},
                            },
                        },
                        "trace": {"type": "array"},
                        "missing": {"type": "array"},
                        "error": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }


_HANDLERS = {
    "packs": cmd_packs,
    "pack": cmd_pack,
    "validate": cmd_validate,
    "evaluate": cmd_evaluate,
    "test": cmd_test,
    "assess": cmd_assess,
    "compare": cmd_compare,
    "monitor": cmd_monitor,
    "schema": cmd_schema,
}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
