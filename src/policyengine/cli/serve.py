"""``policyengine serve`` (and ``serve token``), ``history``, ``rectification``, and what
``evaluate --record`` does: the HTTP service and the decision history from the command line.

The history and the service need the ``service`` extra; this module imports them only when a
command runs, so that ``policyengine --help`` stays light.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from .._text import markup_text, terminal_text
from ..errors import PolicyEngineError, Problem
from .output import emit
from .parser import EXIT_BAD_INPUT, EXIT_OK

T = TypeVar("T")

if TYPE_CHECKING:
    from ..evaluate.report import Report
    from ..history.store import History


def open_history(url: str | None, keep_inputs: bool = False) -> History:
    try:
        from ..history.store import History
    except ImportError as exc:  # SQLAlchemy or Alembic missing
        raise PolicyEngineError(
            [
                Problem(
                    f"the history needs the service extra ({exc.name} is not installed)",
                    None,
                    "pip install 'policyengine[service]'",
                    "usage",
                )
            ]
        ) from None
    return History(url, keep_inputs=keep_inputs)


@contextmanager
def history_errors(url: str | None) -> Iterator[None]:
    """A fault of the history's database, reported as the command line reports errors."""
    try:
        yield
    except PolicyEngineError:
        raise
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        from ..history.store import database_error, default_url

        raise database_error(url or default_url(), exc) from None


def _db_faults(command: Callable[..., T]) -> Callable[..., T]:
    """``command(args, …)`` with the history's database faults reported as errors."""

    @functools.wraps(command)
    def run(args: argparse.Namespace, *rest: Any) -> T:
        with history_errors(args.db):
            return command(args, *rest)

    return run


@_db_faults
def record_reports(
    args: argparse.Namespace, records: Sequence[tuple[str, Any]], reports: Sequence[Report]
) -> None:
    """``evaluate --record``: each report into the history; what it did on stderr."""
    from ..history.regions import Region
    from ..history.store import keep_inputs_default

    history = open_history(args.db, keep_inputs_default())
    try:
        for (label, record), report in zip(records, reports, strict=True):
            region = Region.of(record.get("region")) if isinstance(record, dict) else Region()
            done = history.record(report, record=record, region=region, source="cli", recorded_by="cli")
            moves = done.moves
            print(
                terminal_text(
                    f"已记录 {label}:评估记录 #{done.evaluation_id};整改事项 新增 {len(moves.opened)}、"
                    f"仍未完成 {len(moves.continued)}、完成 {len(moves.closed)}"
                    + ("" if done.ledger else "(已有更晚日期的评估,不改动整改台账)")
                ),
                file=sys.stderr,
            )
    finally:
        history.close()


@_db_faults
def cmd_history(args: argparse.Namespace) -> int:
    from ..history.queries import subject_evaluations
    from ..outcomes import Verdict

    history = open_history(args.db)
    try:
        rows = subject_evaluations(history, args.subject, kind=args.kind)
    finally:
        history.close()
    if args.format == "json":
        emit(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print(
            terminal_text(f"没有 {args.subject} 的评估记录 / no evaluations of {args.subject}"),
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    from rich.console import Console
    from rich.table import Table

    table = Table("#", "评估日期", "结论", "不通过", "无法判断", "规则包", "记录时间(UTC)")
    for r in rows:
        counts = r.counts()
        packs = ", ".join(f"{p['id']} {p['version']}" for p in r.packs)
        verdict = Verdict(r.verdict).label_zh if r.verdict in set(Verdict) else r.verdict
        when = r.recorded_at.isoformat(sep=" ", timespec="seconds")
        cells = (r.id, r.as_of, verdict, counts.get("fail", 0), counts.get("unknown", 0), packs, when)
        table.add_row(*(markup_text(c) for c in cells))
    first = rows[-1]
    title = f"{first.subject_name or ''} {first.subject_id} ({first.subject_kind})".strip()
    Console(width=140, emoji=False).print(markup_text(title))
    Console(width=140, emoji=False).print(table)
    return EXIT_OK


@_db_faults
def cmd_rectification(args: argparse.Namespace) -> int:
    from ..history.queries import rectification_items, update_item

    history = open_history(args.db)
    try:
        if args.item is not None:
            changes: dict[str, Any] = {}
            if args.deadline is not None:
                changes["deadline"] = None if args.deadline == "none" else _date(args.deadline)
            if args.note is not None:
                changes["note"] = args.note or None
            item = update_item(history, args.item, **changes)
            if item is None:
                raise PolicyEngineError([Problem(f"no rectification item #{args.item}", None, None, "usage")])
            items = [item]
        elif args.trend:
            return _trend(args, history)
        else:
            items = rectification_items(
                history, open_only=args.open, region=args.region, subject_id=args.subject
            )
    finally:
        history.close()
    if args.format == "json":
        emit(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=2))
        return EXIT_OK
    _items_table(items, args.lang)
    return EXIT_OK


def _date(text: str) -> date:
    from .parser import parse_date

    try:
        return parse_date(text)
    except argparse.ArgumentTypeError as exc:
        raise PolicyEngineError(
            [Problem(str(exc), None, "or `none` to clear the deadline", "usage")]
        ) from None


def _items_table(items: Sequence[Any], lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    en = lang == "en"
    status = {"open": "open" if en else "整改中", "closed": "closed" if en else "整改完成"}
    table = Table("#", "subject", "rule", "status", "rounds", "opened", "closed", "deadline", "title", "note")
    today = date.today()
    for i in items:
        state = status.get(i.status, i.status) + (" (overdue)" if en and i.overdue(today) else "")
        if not en and i.overdue(today):
            state += "(已逾期)"
        subject = f"{i.subject_name or ''} {i.subject_id}".strip()
        closed = f"{i.closed_on} (#{i.closed_evaluation_id})" if i.closed_on else ""
        opened = f"{i.opened_on} (#{i.opened_evaluation_id})"
        title = i.title["en" if en else "zh"]
        cells = (
            i.id,
            subject,
            f"{i.pack}:{i.rule}",
            state,
            i.rounds,
            opened,
            closed,
            i.deadline or "",
            title,
            i.note or "",
        )
        table.add_row(*(markup_text(c) for c in cells))
    Console(width=160, emoji=False).print(table)
    still_open = sum(1 for i in items if i.status == "open")
    print(terminal_text(f"{len(items)} 项,其中整改中 {still_open} 项、整改完成 {len(items) - still_open} 项"))


def _trend(args: argparse.Namespace, history: History) -> int:
    from ..history.trend import COLUMNS, quarterly_trend
    from ..history.trend_formats import write_trend

    rows = quarterly_trend(history, region=args.region, kind=args.kind)
    if args.out is not None:
        write_trend(rows, args.out, args.lang)
        print(terminal_text(f"已写入 {args.out}"), file=sys.stderr)
        return EXIT_OK
    if args.format == "json":
        emit(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(*(en if args.lang == "en" else zh for _, zh, en in COLUMNS))
    for r in rows:
        d = r.to_dict()
        table.add_row(*(markup_text("—" if d[k] is None else d[k]) for k, _, _ in COLUMNS))
    Console(width=160, emoji=False).print(table)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    if args.serve_command == "token":
        return _token(args)
    from ..service.server import serve

    return serve(args)


@_db_faults
def _token(args: argparse.Namespace) -> int:
    from ..service.tokens import create_token, list_tokens, revoke_token

    history = open_history(args.db)
    try:
        if args.token_command == "create":
            token, info = create_token(history, args.name, args.role, args.region)
            print(
                terminal_text(f"令牌 #{info.id} {info.name}({info.role},{info.scope or '全部地区'})"),
                file=sys.stderr,
            )
            print(terminal_text("只显示这一次,请妥善保存 / shown only once: keep it safe"), file=sys.stderr)
            print(token)
        elif args.token_command == "revoke":
            revoked = revoke_token(history, args.id)
            if revoked is None:
                raise PolicyEngineError([Problem(f"no token #{args.id}", None, None, "usage")])
            print(terminal_text(f"已吊销令牌 #{revoked.id} {revoked.name}"), file=sys.stderr)
        else:
            emit(json.dumps([t.to_dict() for t in list_tokens(history)], ensure_ascii=False, indent=2))
    finally:
        history.close()
    return EXIT_OK
