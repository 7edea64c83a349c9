"""``assess --engine plan`` over CSV, columnar end to end: DuckDB reads the sheets, the plan
judges every row in SQL, and Python touches a row only to write it.

1. **Reading** (:mod:`.columnar_scan`): the header row and columns are found and checked by
   the row path's own functions; DuckDB reads the cells as text; each column's *distinct*
   cells are typed once by the row path's cell reader (same units, 是/否, Chinese labels,
   same refusals) and the plan's tables are views over the cells and those lookups.
2. **Rows the row engine reads itself**: a row with a refused cell (in it or in its
   second-sheet rows), or without an id to match its second-sheet rows by, is made into the
   row path's :class:`~.rows.InputRow` and evaluated by it, so its notes and errors are the
   row engine's own.
3. **Explanations only where read, once per distinct case**: a finding that is neither pass
   nor not applicable is a function of its rule, its outcome and the cells the rule names
   (its ``when``, ``require`` and message). Per rule, rows are keyed by those cells in SQL;
   the first row of each key is evaluated by the engine (:class:`~..plan.engine.PlannedEngine`,
   the plan's outcomes) and its finding serves every row with that key. A row's results line
   (verdict, counts, messages) is then one of few distinct ones, made once each.
4. Rows come out in input order, then the second sheets' orphan rows, as with ``--engine rows``.

Anything the path does not take as the row path would — blank or total rows, a cell over
several lines, another encoding than UTF-8, events, correlations, scorecards, outputs other
than CSV — makes :func:`open_columnar` return None and the run goes the per-row way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..evaluate.engine import Engine, _finding
from ..evaluate.report import Finding, Report, SubjectRef
from ..outcomes import Outcome
from .columnar_scan import child_rows, kinds_of, needs_lookup, plan_views, scan, slow_rows_sql, typed
from .columnar_sheets import (
    NotColumnar,
    Sheet,
    child_mapping,
    child_sheet_of,
    input_row,
    main_sheet,
    orphan_problems,
)
from .pipeline import evaluate_item, lenient_subject
from .rows import QUIET, ResultRow, WorkItem
from .summary import Summary
from .tabular import _BLANK, build_header_map, cell_value, split_mapping
from .writers.tables import case_columns

if TYPE_CHECKING:
    from ..plan.build import Plan

_OUTCOMES = {0: Outcome.PASS, 3: Outcome.NOT_APPLICABLE}
#: rows fetched from DuckDB at a time while writing
FETCH = 8192
#: DuckDB's memory before it spills to its file (a temporary database): flat memory for a census
MEMORY = "300MB"


def columnar_applies(
    input_path: Path, outs: Sequence[Path], logs: Any, engine: Engine, kind: str | None
) -> bool:
    """Whether the run is one the columnar path takes (else the per-row plan path)."""
    from .correlate import correlations_of

    if input_path.suffix.lower() != ".csv" or logs is not None or kind is None:
        return False
    if any(o.suffix.lower() != ".csv" for o in outs) or correlations_of(engine.packs):
        return False
    return not any(p.scorecards_for(kind) for p in engine.packs)


class ColumnarInput:
    """A CSV batch read by DuckDB and judged by the plan; the same interface to the run as
    :class:`.readers.Input` (``total``, :meth:`describe`, :meth:`close`)."""

    def __init__(
        self,
        path: Path,
        engine: Engine,
        kind: str,
        as_of: date,
        mapping: dict[str, Any] | None,
        extra: dict[str, Path],
        header_row: int | None,
    ) -> None:
        import duckdb

        from ..plan.build import compile_plan
        from ..plan.engine import PlannedEngine
        from ..plugins import default_functions

        self.engine, self.kind, self.as_of = engine, kind, as_of
        self._dir = tempfile.TemporaryDirectory(prefix="policyengine-")
        config: dict[str, Any] = {
            "memory_limit": MEMORY,
            "temp_directory": str(Path(self._dir.name) / "spill"),
        }
        self.con = duckdb.connect(str(Path(self._dir.name) / "batch.duckdb"), config=config)
        try:
            model = engine.subjects[kind]
            main_map, sheet_maps = split_mapping(mapping)
            self.hm = build_header_map(model, main_map)
            self.children = [self._child(f, p, sheet_maps) for f, p in extra.items()]  # first, as Input
            self.main = main_sheet(path, self.hm, header_row)
            self.plan: Plan = compile_plan(
                list(engine.packs), kind, model, as_of, default_functions(),
                max_steps=engine.max_steps, ignore_scope=engine.ignore_scope,
            )  # fmt: skip
            self.planned = PlannedEngine(
                list(engine.packs), subjects=engine.subjects, max_steps=engine.max_steps,
                ignore_scope=engine.ignore_scope,
            )  # fmt: skip
            self.total: int | None = self._load()
            self._judge()
        except BaseException:
            self.close()
            raise

    def _child(self, field_name: str, path: Path, maps: dict[str, Any]) -> Sheet:
        if field_name not in {f for f, _ in self.hm.sheets.values()}:
            raise NotColumnar(f"--sheet {field_name}: not a list field")
        sheet = child_sheet_of(path, self.hm, field_name, child_mapping(maps, self.hm, path.name, field_name))
        if sheet is None:
            raise NotColumnar(f"{path.name}: empty")
        return sheet

    def _load(self) -> int:
        """Raw cells, lookups, second-sheet rows under their records, and the plan's views."""
        from .columnar_scan import check_keys, column_of

        fields = [c.field for c in self.children]
        if len(set(fields)) != len(fields) or any(
            c is not None and c.path[0] in fields for c in self.main.columns
        ):
            raise NotColumnar("a list field given twice")
        self.main.table = "m"
        count = scan(self.con, self.main, "m")
        self.id_col = column_of(self.main, ("id",))
        check_keys(self.con, "m", self.id_col)
        kinds = {RECORDS_TABLE: kinds_of(self.plan.layout.records)}
        for k, sheet in enumerate(self.children):
            sheet.table = f"s{k}"
            scan(self.con, sheet, sheet.table)
            check_keys(self.con, sheet.table, sheet.key_col)
            table = next(
                (t for t in self.plan.tables() if t.parent is not None and t.steps == (sheet.field,)), None
            )
            kinds[sheet.table] = kinds_of(table) if table is not None else {}
            if self.id_col is not None:
                child_rows(self.con, self.main, sheet, f"ch_{sheet.field}", self.id_col)
            else:
                self.con.execute(
                    f"CREATE TABLE ch_{sheet.field} AS "
                    "SELECT 0 AS _key, 0 AS _parent, 0 AS _n, 0 AS _pos WHERE false"
                )
        self.lookups: dict[tuple[str, int], str] = {}
        for sheet in [self.main, *self.children]:
            kind_map = kinds[RECORDS_TABLE if sheet is self.main else sheet.table]
            for i, col in enumerate(sheet.columns):
                if col is not None and needs_lookup(col, kind_map):
                    self.lookups[(sheet.table, i)] = typed(self.con, sheet, sheet.table, i, kind_map)
        plan_views(
            self.con, self.plan, self.main, {c.field: c for c in self.children if c.field}, self.lookups
        )
        return count

    def _judge(self) -> None:
        """The plan over every row, each row's keys, and the findings of the distinct cases."""
        from .columnar_keys import KeySql

        self.con.execute(f"CREATE TABLE res AS {self.plan.sql('duckdb', pretty=False)}")
        slow = slow_rows_sql(self.main, self.lookups, self.children, self.id_col)
        self.keys = KeySql(self.con, self.plan, self.main, self.children, self.kind)
        self.keys.build(slow)
        self.memo: dict[tuple[str, int], Finding] = {}
        self.scopes: dict[int, tuple[Any, ...]] = {}
        self._shells: dict[int, dict[str, Any]] = {}
        self._dicts: dict[int, dict[str, Any]] = {}
        self._rules = [
            (p.id, r, f"{p.id}:{r.rule.id}") for p in self.engine.packs for r in p.rules_for(self.kind)
        ]
        for rows in self.keys.exemplars():
            for n, subject_row, codes, hashes, scope_hash in rows:
                self._learn(n, subject_row, codes, hashes, scope_hash)
        self.bases = {
            sig: self._base(codes, hashes, judged, hs) for sig, codes, hashes, judged, hs in self.keys.cases()
        }

    def _learn(
        self, n: int, cells: Sequence[Any], codes: dict[str, int], hashes: dict[str, int | None], hs: int
    ) -> None:
        """One exemplar row through the engine: its findings, by rule and key, and its scope."""
        line = self.main.header_row + 1 + n
        row = input_row(self.main, self.hm, n, line, cells, self.keys.children_of(n), self.children)
        subject, dropped = lenient_subject(self.engine, row, self.kind)
        if dropped or row.notes or row.problems:
            raise NotColumnar("a row the cell lookups took for whole is not")  # never expected
        report = self.planned.evaluate_planned(subject, codes, as_of=self.as_of)
        self.scopes.setdefault(hs, report.scope)
        for f in report.findings:
            h = hashes.get(f"{f.pack}:{f.rule}")
            if h is not None:
                self.memo.setdefault((f"{f.pack}:{f.rule}", h), f)

    def _base(
        self, codes: dict[str, int], hashes: dict[str, int | None], judged: dict[str, bool], hs: int
    ) -> tuple[dict[str, Any], list[Any]]:
        """The results of every row of one case, but its subject: the report's dict with only
        the findings that are neither pass nor not applicable (what :attr:`.rows.ResultRow.notable` is)."""
        findings = [
            self._finding(rule, column, codes[column], hashes.get(column))
            for pack, rule, column in self._rules
            if judged.get(pack, True)
        ]
        whole = Report(
            subject=SubjectRef(self.kind, None, None), packs=self.engine._pack_refs, as_of=self.as_of,
            findings=tuple(findings), scores=(), scope=self.scopes[hs],
        )  # fmt: skip
        shell = self._shells.get(hs)
        if shell is None:  # Report.to_dict but the findings, once per scope
            shell = self._shells[hs] = replace(whole, findings=()).to_dict()
        notable = dict(shell)
        notable.update(
            verdict=whole.verdict.value, rules_evaluated=whole.evaluated, counts=whole.counts(),
            findings=[self._dict(f) for f in findings if f.outcome.value not in QUIET],
        )  # fmt: skip
        probe = ResultRow(0, "", 0, None, [])
        probe._notable = notable
        return notable, case_columns(probe)

    def _dict(self, finding: Finding) -> dict[str, Any]:
        """A finding's dict, made once (the findings are the memo's, shared by their rows)."""
        found = self._dicts.get(id(finding))
        if found is None:
            found = self._dicts[id(finding)] = finding.to_dict()
        return found

    def _finding(self, rule: Any, column: str, code: int, h: int | None) -> Finding:
        outcome = _OUTCOMES.get(code)
        if outcome is not None:  # the engine's shared finding (see Engine._run_fast)
            which = "pass" if outcome is Outcome.PASS else "na"
            cached: Finding | None = rule.cached.get(which)
            if cached is None:
                text = rule.titles if which == "pass" else {
                    "zh": "不适用:记录不满足本条的适用条件", "en": f"not applicable: {rule.rule.when}"
                }  # fmt: skip
                cached = rule.cached[which] = _finding(rule, outcome, text)
            return cached
        assert h is not None
        return self.memo[(column, h)]

    def results(self) -> Iterator[ResultRow]:
        """Every row in input order, then the second sheets' orphan rows."""
        last = -1
        id_col, name_col = self.id_col, _column(self.main, ("name",))
        region = [_column(self.main, ("region", k)) for k in ("county", "city", "province")]
        wanted = sorted({i for i in (id_col, name_col, *region) if i is not None})
        at = {i: 3 + k for k, i in enumerate(wanted)}
        read = [_reader(self.main, i, at) for i in (id_col, name_col, *region)]
        for chunk in self.keys.stream(FETCH, wanted):
            slow = self.keys.slow_cells([r[0] for r in chunk if r[1]])
            for r in chunk:
                n = last = r[0]
                line = self.main.header_row + 1 + n
                if r[1]:
                    row = input_row(
                        self.main, self.hm, n, line, slow[n], self.keys.children_of(n), self.children
                    )
                    yield evaluate_item(self.engine, WorkItem(row, self.kind, self.as_of))
                    continue
                rid, name = read[0](r), read[1](r)
                area = read[2](r) or read[3](r) or read[4](r)
                base, case = self.bases[r[2]]
                result = CaseRow(n, self.main.name, line, None, [], area, rid, name)
                result.case_columns = case
                notable = dict(base)
                notable["subject"] = {"kind": self.kind, "id": rid, "name": name}
                result._notable = notable
                yield result
        for sheet, line, cells in self.keys.orphans():
            last += 1
            yield ResultRow(last, sheet.name, line, None, orphan_problems(sheet, line, cells))

    def describe(self, summary: Summary) -> None:
        """As :meth:`.readers.Input.describe`: the caption and the columns left out."""
        ignored = [f"{c.name}: {h}" for c in self.children for h in c.ignored]
        ignored += [f"{self.main.name}: {h}" for h in self.main.ignored]
        summary.caption, summary.ignored_columns = list(self.main.caption), ignored
        by_sheet: dict[str, list[str]] = {}
        for entry in ignored:
            sheet, _, header = entry.partition(": ")
            by_sheet.setdefault(sheet, []).append(header)
        if by_sheet:
            left = ";".join(f"{sheet}:{'、'.join(headers)}" for sheet, headers in by_sheet.items())
            summary.notes.append(f"未读取的列(不对应任何字段):{left} / columns left out: {left}")

    def close(self) -> None:
        self.con.close()
        self._dir.cleanup()


RECORDS_TABLE = "m"


class CaseRow(ResultRow):
    """A row judged with every row like it: its results columns made once for them all."""

    __slots__ = ("case_columns",)
    case_columns: list[Any]


def _column(sheet: Sheet, path: tuple[str, ...]) -> int | None:
    return next((i for i, c in enumerate(sheet.columns) if c is not None and c.path == path), None)


def _reader(sheet: Sheet, i: int | None, at: dict[int, int]) -> Callable[[Sequence[Any]], str | None]:
    """Reads column ``i``'s cell (at ``at[i]`` of a streamed row) as the record holds it."""
    if i is None:
        return lambda r: None
    col, k = sheet.columns[i], at[i]
    assert col is not None
    if col.info.kind == "string" and not col.count:  # cell_value of text: stripped, blank is None

        def text(r: Sequence[Any]) -> str | None:
            raw = r[k]
            if raw is None:
                return None
            t = raw.strip()
            return None if t in _BLANK else t

        return text

    def value(r: Sequence[Any]) -> str | None:
        v = cell_value(r[k], col.info, col.count, col)
        return None if v is None else str(v)

    return value


def open_columnar(
    input_path: Path,
    outs: Sequence[Path],
    engine: Engine,
    kind: str | None,
    as_of: date,
    logs: Any,
    mapping: dict[str, Any] | None,
    extra: dict[str, Path],
    header_row: int | None,
) -> ColumnarInput | None:
    """The batch read and judged columnar, or None where the per-row path must read it."""
    if kind is None or not columnar_applies(input_path, outs, logs, engine, kind):
        return None
    try:
        return ColumnarInput(input_path, engine, kind, as_of, mapping, extra, header_row)
    except NotColumnar:
        return None
    except Exception as exc:  # DuckDB refusing the file (ragged rows, bad bytes): per row
        if type(exc).__module__.startswith("duckdb") or "duckdb" in type(exc).__module__:
            return None
        raise
