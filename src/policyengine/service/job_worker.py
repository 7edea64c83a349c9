"""One batch job, run in a process of its own (started by :mod:`.jobs`).

The job is ``policyengine assess`` through its public entry point,
:func:`policyengine.batch.run_assessment`: the uploaded ledger in, one result file per format
asked for (plus a JSON Lines file for the history), progress written to ``progress.json`` as
rows are done (at most five times a second, and at the end). Then each row's report is kept in
the history with the row's record (its region; masked, if inputs are kept), when the row has
an id and lies in the submitting token's region. The outcome goes to ``outcome.json``: the
summary and what was recorded, or the problems that stopped the job (positions and hints).

The packs are compiled here from the directories the service compiled them from; a pack whose
content hash differs from the one the service serves (its files changed since the last reload)
fails the job rather than give results from other packs than the service's.

This module imports neither FastAPI nor the service: the process starts light.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ..batch import Input, run_assessment
from ..batch.tabular import load_mapping
from ..batch.writers.options import OutputOptions
from ..errors import PolicyEngineError, Problem
from ..evaluate.engine import Engine
from ..evaluate.report import Report
from ..history.regions import Region, Scope
from ..history.store import Entry, History

#: seconds between two writes of progress.json
PROGRESS_EVERY = 0.2
#: rows kept in the history per transaction
CHUNK = 200


def write_json(path: Path, data: Any) -> None:
    """``data`` into ``path`` atomically: a reader sees the old file or the new one, whole."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(partial, path)


class FileProgress:
    """A progress bar for :func:`run_assessment` that the service reads from a file."""

    def __init__(self, path: Path, total: int | None, phase: str = "assessing") -> None:
        self.path, self.total, self.phase = path, total, phase
        self.done = 0
        self._last = 0.0
        self.write()

    def write(self) -> None:
        write_json(self.path, {"phase": self.phase, "done": self.done, "total": self.total})
        self._last = time.monotonic()

    def advance(self) -> None:
        self.done += 1
        if time.monotonic() - self._last >= PROGRESS_EVERY:
            self.write()

    def stop(self) -> None:
        self.write()


def run_job(spec: dict[str, Any]) -> None:
    """Run the job ``spec`` describes (see :meth:`.jobs.JobManager.submit`); never raises."""
    directory = Path(spec["dir"])
    try:
        outcome = _run(spec, directory)
    except PolicyEngineError as exc:
        outcome = {"problems": [p.to_dict() for p in exc.problems]}
    except Exception as exc:  # the job fails with a problem, the service goes on
        problem = Problem(f"the job failed: {type(exc).__name__}: {str(exc)[:300]}", None, None, "internal")
        outcome = {"problems": [problem.to_dict()], "internal": True}
    write_json(directory / "outcome.json", outcome)


def _run(spec: dict[str, Any], directory: Path) -> dict[str, Any]:
    dirs = [Path(d) for d in spec["pack_dirs"]]
    engine = Engine.from_packs(dirs)
    changed = [p.id for p, h in zip(engine.packs, spec["content_hashes"], strict=True) if p.content_hash != h]
    if changed:
        raise PolicyEngineError(
            [
                Problem(
                    f"the files of {', '.join(changed)} changed since the service loaded them",
                    None,
                    "reload the service's packs (POST /api/v1/admin/reload), then submit again",
                    "usage",
                )
            ]
        )
    source = Path(spec["input"])
    rows_file = directory / "rows.jsonl"
    outs = [directory / f"result.{fmt}" for fmt in spec["formats"]]
    as_of = date.fromisoformat(spec["as_of"])
    progress_path = directory / "progress.json"
    mapping = Path(spec["mapping"]) if spec.get("mapping") else None
    summary = run_assessment(
        dirs,
        source,
        [*outs, rows_file],
        as_of=as_of,
        kind=spec.get("kind"),
        mapping=mapping,
        progress=lambda total: FileProgress(progress_path, total),
        ignore_scope=bool(spec.get("ignore_scope")),
        output=_options(spec, directory),
    )
    recorded = _record(spec, engine, rows_file, progress_path, summary.rows)
    write_json(progress_path, {"phase": "done", "done": summary.rows, "total": summary.rows})
    # notes (a total row that does not add up …) are for the web page; the API shows the summary
    return {"summary": summary.to_dict(), "history": recorded, "notes": summary.notes}


def _options(spec: dict[str, Any], directory: Path) -> OutputOptions:
    """The reports' options: the ledger by the name it was uploaded under, who issues and
    assesses, and (when asked) one PDF per record in ``stations/``."""
    return OutputOptions(
        issuer=spec.get("issuer") or None,
        assessor=spec.get("assessor") or None,
        source=spec.get("input_name") or None,
        record_reports=directory / "stations" if spec.get("station_reports") else None,
    )


def _record(
    spec: dict[str, Any], engine: Engine, rows_file: Path, progress_path: Path, total: int
) -> dict[str, Any]:
    """Each row's report into the history, with its record; counts of what was not kept."""
    scope = Scope.parse(spec["scope"]) if spec.get("scope") else None
    history = History(spec["db_url"], keep_inputs=bool(spec.get("keep_inputs")), migrate=False)
    bar = FileProgress(progress_path, total, "recording")
    recorded = 0
    skipped: dict[str, int] = {}
    chunk: list[Entry] = []
    try:
        for record, line in job_rows(engine, spec, rows_file):
            bar.advance()
            report = line.get("report")
            why = _not_kept(report, record, scope, history)
            if why is not None or report is None:
                skipped[why or "invalid"] = skipped.get(why or "invalid", 0) + 1
                continue
            region = Region.of((record or {}).get("region"))
            entry = Entry(Report.from_dict(report), record, region, "batch", spec.get("owner"), spec["id"])
            chunk.append(entry)
            if len(chunk) >= CHUNK:
                recorded += len(history.record_many(chunk))
                chunk = []
        recorded += len(history.record_many(chunk)) if chunk else 0
    finally:
        bar.stop()
        history.close()
    return {"recorded": recorded, "not_recorded": skipped}


def _not_kept(
    report: dict[str, Any] | None, record: dict[str, Any] | None, scope: Scope | None, history: Any
) -> str | None:
    """Why a row is not kept in the history (None: it is): no report, no id, or a region outside
    the token's scope, claimed or (for a subject evaluated before) as the history has it."""
    if report is None:
        return "invalid"
    if not report["subject"].get("id"):
        return "no_id"
    if scope is not None and not scope.covers(Region.of((record or {}).get("region"))):
        return "out_of_scope"
    subject = report["subject"]
    if scope is not None and history.elsewhere(subject.get("kind", ""), str(subject["id"]), scope):
        return "out_of_scope"
    return None


def job_rows(
    engine: Engine, spec: dict[str, Any], rows_file: Path
) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """Each result line with the record its row was read as (the input read a second time, as
    the job read it: with its mapping file). The web's station page reads one row this way."""
    kind = spec.get("kind")
    kinds = engine.subject_kinds()
    model = engine.subjects[kind or (kinds[0] if len(kinds) == 1 else next(iter(engine.subjects)))]
    mapping = load_mapping(Path(spec["mapping"])) if spec.get("mapping") else None
    reader = Input(Path(spec["input"]), model, mapping)
    try:
        rows = reader.rows()
        pending = next(rows, None)
        with rows_file.open(encoding="utf-8") as fh:
            for text in fh:
                line = json.loads(text)
                index = line["row"]["index"]
                while pending is not None and pending.index < index:
                    pending = next(rows, None)
                record = pending.record if pending is not None and pending.index == index else None
                yield record, line
    finally:
        reader.close()
