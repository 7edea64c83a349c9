"""The command line's arguments. Building the parser imports nothing heavy: ``--help`` and
``--version`` answer without loading the models, the grammar or any pack."""

from __future__ import annotations

import argparse
import importlib.util
from datetime import date
from pathlib import Path

from .. import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_ASSESSED = 3  # no rule applied to a record (or to every row): nothing was checked
EXIT_NO_TESTS = 5  # `test`: a pack with rules has no cases (pytest's code for "no tests ran")

EPILOG = (
    "Exit codes: 0 compliant, 1 non-compliant or incomplete, 2 bad input or pack, "
    "3 not assessed (no rule applied), 5 `test` found a pack without cases."
)


def parse_date(text: str) -> date:
    """Strictly YYYY-MM-DD (``date.fromisoformat`` also takes week and ordinal dates)."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
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
    _allow_outside(parser)


def _allow_outside(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-outside",
        action="store_true",
        help="let a pack's `extends:` name a directory outside the one holding the pack",
    )


def _default_backend() -> str:
    """The backend ``auto`` picks, found without importing durable-rules (``--help`` stays light)."""
    return "durable" if importlib.util.find_spec("durable_rules_engine") is not None else "plain"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policyengine",
        description="Check social-work stations and projects against policy packs.",
        epilog=EPILOG,
    )
    p.add_argument("--version", action="version", version=f"policyengine {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _pack_commands(sub)
    _evaluate(sub)
    _assess(sub)
    _plan(sub)
    _compare(sub)
    _monitor(sub)
    _service(sub)
    test = sub.add_parser("test", help="run packs' YAML test cases")
    test.add_argument("packs", nargs="*", metavar="ID", help="pack ids or directories (default: all)")
    _allow_outside(test)
    test.add_argument("--verbose", "-v", action="store_true", help="list every case")
    test.add_argument(
        "--coverage",
        action="store_true",
        help="print rule × outcome (pass, fail, unknown) and fail on a gap no case file explains",
    )
    schema = sub.add_parser("schema", help="print a JSON Schema (for editors and pipelines)")
    schema.add_argument(
        "target",
        nargs="?",
        help="pack, report, events, or a subject kind (station, project, …); "
        "without one, lists what there is",
    )
    return p


def _pack_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    packs = sub.add_parser("packs", help="list installed packs")
    packs.add_argument("--format", choices=("table", "json"), default="table")
    pack = sub.add_parser("pack", help="show one pack")
    pack_sub = pack.add_subparsers(dest="pack_command", metavar="show|coverage")
    show = pack_sub.add_parser("show", help="parameters, rules and sources of a pack")
    show.add_argument("pack", help="pack id or directory")
    show.add_argument("--as-of", type=parse_date, default=None, help="parameter values on this date")
    show.add_argument("--format", choices=("table", "json", "code"), default="table")
    cov = pack_sub.add_parser("coverage", help="each clause the pack cites: what encodes it, or why not")
    cov.add_argument("pack", help="pack id or directory")
    cov.add_argument("--format", choices=("markdown", "json"), default="markdown")
    cov.add_argument(
        "--sources",
        default=None,
        metavar="DIR",
        help="also list the figures in the pack's section of each source that no quote covers "
        "(default: $POLICYENGINE_SOURCES)",
    )
    cov.add_argument(
        "--readme",
        action="store_true",
        help="write the table into the pack's README.md, between its pack-coverage markers",
    )
    mat = sub.add_parser("matrix", help="the packs' comparable parameters side by side (policy matrix)")
    mat.add_argument("--pack", "-p", action="append", metavar="ID", help="pack id (repeat; default: all)")
    mat.add_argument("--as-of", type=parse_date, default=None, help="values in force on this date")
    mat.add_argument("--format", choices=("markdown", "json"), default="markdown")
    mat.add_argument(
        "--write", metavar="FILE", help="write the matrix into FILE between its policy-matrix markers"
    )
    val = sub.add_parser("validate", help="check pack directories (and their test cases)")
    val.add_argument("paths", nargs="+", metavar="PATH", help="pack directories or pack.yaml files")
    _allow_outside(val)
    val.add_argument(
        "--sources",
        default=None,
        metavar="DIR",
        help="also check every quote against the sources' captured texts in DIR "
        "(default: $POLICYENGINE_SOURCES; neither: quotes are not checked)",
    )


def _evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ev = sub.add_parser("evaluate", help="evaluate a record file against packs")
    _pack_option(ev)
    ev.add_argument("file", type=Path, metavar="FILE", help="record file: .yaml .yml .json .jsonl")
    ev.add_argument(
        "--as-of", type=parse_date, default=None, help="evaluation date, YYYY-MM-DD (default: today)"
    )
    ev.add_argument("--format", "-f", default="table", help="table, json, markdown, or a plugin's")
    ev.add_argument("--lang", choices=("zh", "en"), default="zh")
    ev.add_argument("--kind", default=None, help="subject kind if the record has no `kind:`")
    ev.add_argument("--no-trace", action="store_true", help="leave traces out of the report")
    ev.add_argument("--out", "-o", type=Path, default=None, help="write here instead of stdout")
    ev.add_argument(
        "--ignore-scope",
        action="store_true",
        help="judge records outside a pack's region or applies_to by it all the same",
    )
    _events_options(ev, "auto")
    ev.add_argument(
        "--record",
        action="store_true",
        help="also keep each evaluation in the decision history (and move its rectification items)",
    )
    _db_option(ev)


def _events_options(parser: argparse.ArgumentParser, backend: str) -> None:
    """--events, --from and --backend: a record's monitors over its events, in one verdict."""
    parser.add_argument(
        "--events",
        type=Path,
        default=None,
        metavar="LOG",
        help="event log (.jsonl or .csv): the packs' monitors also run over the events naming each "
        "record (project: ID or station: ID), in one report and one verdict; the log is complete "
        "through --as-of",
    )
    parser.add_argument(
        "--from",
        dest="from_",
        type=parse_date,
        default=None,
        metavar="DATE",
        help="with --events: the monitors' window starts here (default: the record's period start)",
    )
    parser.add_argument(
        "--backend",
        choices=("auto", "plain", "durable", "duckdb"),
        default=backend,
        help=f"with --events: the monitor backend (default {backend}; both give the same findings)",
    )


def _report_options(asm: argparse.ArgumentParser) -> None:
    """``assess``: who issues the reports, what fails a gate, CSV encoding, per-record reports."""
    asm.add_argument("--issuer", metavar="UNIT", help="出具单位 on the reports (e.g. 某某县民政局)")
    asm.add_argument("--assessor", metavar="UNIT", help="评估单位 on the reports (e.g. 某某评估中心)")
    records = "also write one signed report per record (station, project …) into DIR"
    asm.add_argument("--station-reports", "--record-reports", type=Path, metavar="DIR", help=records)
    formats = ("pdf", "docx")
    asm.add_argument(
        "--station-format", action="append", choices=formats, help="repeat for both (default pdf)"
    )
    gate = "which rows fail the JUnit file and the exit code (default incomplete; see docs/reports.md)"
    asm.add_argument(
        "--fail-on", choices=("non-compliant", "incomplete", "warning"), default="incomplete", help=gate
    )
    csv_help = "CSV outputs: UTF-8 with BOM (default) or GB18030"
    asm.add_argument("--encoding", choices=("utf-8", "gb18030"), default="utf-8", help=csv_help)


def _assess(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    asm = sub.add_parser("assess", help="assess a spreadsheet or JSON Lines file of records in batch")
    _pack_option(asm)
    asm.add_argument(
        "input", type=Path, metavar="INPUT", help="records: .xlsx .xls .ods .et (WPS), .csv or .jsonl"
    )
    asm.add_argument(
        "--out",
        "-o",
        type=Path,
        action="append",
        required=True,
        metavar="OUTPUT",
        help="results: .xlsx .csv .jsonl .html .pdf .docx, .xml for JUnit, or a plugin's (repeat)",
    )
    _report_options(asm)
    asm.add_argument("--as-of", type=parse_date, default=None, help="evaluation date (default: today)")
    asm.add_argument("--kind", default=None, help="subject kind (default: the only one the packs check)")
    asm.add_argument("--jobs", "-j", type=int, default=1, help="worker processes (default 1)")
    asm.add_argument("--engine", choices=("auto", "rows", "plan"), default="rows", help="rows, plan or auto")
    asm.add_argument("--mapping", type=Path, default=None, help="YAML file: 表头: field.path")
    asm.add_argument(
        "--sheet",
        action="append",
        default=[],
        metavar="FIELD=FILE.csv",
        help="for CSV input: a second table, e.g. staff=staff.csv",
    )
    asm.add_argument(
        "--records-sheet",
        default=None,
        metavar="NAME",
        help="the workbook's sheet of records (default: the sheet whose header names the most fields)",
    )
    asm.add_argument(
        "--list-sheet",
        action="append",
        default=[],
        metavar="SHEET=FIELD",
        help="a workbook sheet holding a list under another name, e.g. 社工名册=staff",
    )
    asm.add_argument(
        "--header-row",
        type=int,
        default=None,
        metavar="N",
        help="the records sheet's header row, counted from 1 (default: found; rows above it are its caption)",
    )
    asm.add_argument("--no-progress", action="store_true", help="no progress bar")
    asm.add_argument(
        "--ignore-scope",
        action="store_true",
        help="judge records outside a pack's region or applies_to by it all the same",
    )
    _events_options(asm, "plain")


def _plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser("plan", help="print the SQL packs' rules compile to (docs/scale.md)")
    plan.add_argument("pack", nargs="+", metavar="ID", help="pack ids or directories, planned together")
    plan.add_argument("--kind", default=None, help="subject kind (default: each kind the packs check)")
    plan.add_argument("--as-of", type=parse_date, default=None, help="parameters in force on this date")
    plan.add_argument("--dialect", choices=("duckdb", "spark"), default="duckdb")
    plan.add_argument("--ignore-scope", action="store_true", help="judge every record by every pack")


def _compare(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmp = sub.add_parser("compare", help="one record under several packs, side by side")
    _pack_option(cmp)
    cmp.add_argument("file", type=Path, metavar="FILE")
    cmp.add_argument("--as-of", type=parse_date, default=None)
    cmp.add_argument("--kind", default=None)
    cmp.add_argument("--format", "-f", default="table", help="table, markdown, json, or a plugin's")
    cmp.add_argument("--lang", choices=("zh", "en"), default="zh")


def _monitor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mon = sub.add_parser(
        "monitor",
        help="check an event log against packs' monitors",
        description=f"Event-time rules over an event log. Default backend here: {_default_backend()} "
        "(durable-rules where it is installed, otherwise plain Python; both give the same findings).",
    )
    _pack_option(mon)
    mon.add_argument("events", type=Path, metavar="EVENTS", help="events: .jsonl or .csv")
    mon.add_argument(
        "--until",
        type=parse_date,
        default=None,
        help="the log is complete up to this day (default: the last event's day)",
    )
    mon.add_argument(
        "--from",
        dest="from_",
        type=parse_date,
        default=None,
        metavar="DATE",
        help="the observation window's first day: every month/quarter/year from the one containing "
        "it is judged, also before a group's first event (default: none, each group from its first event)",
    )
    mon.add_argument("--backend", choices=("auto", "plain", "durable", "duckdb"), default="auto")
    mon.add_argument("--format", "-f", default="table", help="table, json, markdown, or a plugin's")
    mon.add_argument("--lang", choices=("zh", "en"), default="zh")
    mon.add_argument("--all", action="store_true", help="also list passing findings")
    mon.add_argument("--out", "-o", type=Path, default=None)


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="the history's database: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
        "(default: $POLICYENGINE_DB, else ~/.local/share/policyengine/history.sqlite3)",
    )


def _service(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``serve`` (and ``serve token``), ``history``, ``rectification``: docs/service.md."""
    srv = sub.add_parser(
        "serve", help="run the HTTP API (JSON under /api/v1, OpenAPI at /api/v1/openapi.json)"
    )
    srv.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    _db_option(srv)
    srv.add_argument(
        "--pack", "-p", action="append", metavar="ID", help="serve only these packs (default: all)"
    )
    _allow_outside(srv)
    srv.add_argument(
        "--keep-inputs",
        action="store_true",
        help="keep each evaluated record (personal data masked) in the history "
        "(default: $POLICYENGINE_KEEP_INPUTS)",
    )
    srv.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="batch jobs' files (default: a temporary directory)",
    )
    srv.add_argument(
        "--workers", type=int, default=1, help="batch jobs run at once, each in its own process (default 1)"
    )
    srv.add_argument("--max-upload-mb", type=int, default=50, help="largest upload in MiB (default 50)")
    srv_sub = srv.add_subparsers(dest="serve_command", metavar="token")
    token = srv_sub.add_parser("token", help="create, list or revoke the service's tokens")
    token_sub = token.add_subparsers(dest="token_command", metavar="create|list|revoke", required=True)
    create = token_sub.add_parser("create", help="a new token, printed once (only its hash is stored)")
    create.add_argument("--name", required=True, help="who or what uses it, e.g. 海宁市民政局评估系统")
    create.add_argument("--role", required=True, choices=("viewer", "assessor", "admin"))
    create.add_argument(
        "--region",
        default=None,
        metavar="SCOPE",
        help="region it may see, e.g. 浙江省/嘉兴市/海宁市 (default: all)",
    )
    _db_option(create)
    _db_option(token_sub.add_parser("list", help="the tokens (never the tokens themselves)"))
    revoke = token_sub.add_parser("revoke", help="a token stops working")
    revoke.add_argument("id", type=int, help="the token's number (`serve token list`)")
    _db_option(revoke)
    hist = sub.add_parser("history", help="a subject's evaluations over time (from the decision history)")
    hist.add_argument("subject", metavar="SUBJECT", help="the subject's id, e.g. HN-ZJ-01")
    hist.add_argument("--kind", default=None, help="only this kind of subject")
    hist.add_argument("--format", choices=("table", "json"), default="table")
    _db_option(hist)
    rect = sub.add_parser("rectification", help="the rectification ledger (整改台账), or its quarterly trend")
    rect.add_argument("--open", action="store_true", help="only items still open (整改中)")
    rect.add_argument(
        "--region", default=None, metavar="SCOPE", help="only this region, e.g. 浙江省/嘉兴市/海宁市"
    )
    rect.add_argument("--subject", default=None, metavar="ID", help="only this subject's items")
    rect.add_argument(
        "--item", type=int, default=None, metavar="N", help="change item N's --deadline and --note"
    )
    rect.add_argument("--deadline", default=None, metavar="DATE", help="with --item: YYYY-MM-DD, or `none`")
    rect.add_argument("--note", default=None, help="with --item: a note (empty: none)")
    rect.add_argument(
        "--trend",
        action="store_true",
        help="per quarter and region: compliant subjects, items opened and closed",
    )
    rect.add_argument("--kind", default=None, help="with --trend: only this kind of subject")
    rect.add_argument(
        "--out", "-o", type=Path, default=None, help="with --trend: .xlsx .csv .jsonl .json .html"
    )
    rect.add_argument("--format", choices=("table", "json"), default="table")
    rect.add_argument("--lang", choices=("zh", "en"), default="zh")
    _db_option(rect)
