"""Batch jobs: queued in the service, each run in a process of its own.

``workers`` threads take jobs from a queue; each starts a fresh ``spawn`` process running
:func:`.job_worker.run_job` and waits for it. A process per job keeps the server answering
while a job evaluates (no shared interpreter lock), keeps a job's crash from taking the server
with it, and compiles the packs as the service serves them at submission (their directories
and content hashes go with the job). Progress is the file the job writes (``progress.json``),
read when a client asks; the outcome is ``outcome.json``. Results stay in the job's directory
under the data directory; with no ``--data-dir`` that is a temporary directory removed when the
service stops. Jobs are kept in memory: a restart forgets them (their evaluations stay in the
history).
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..history.store import utcnow
from .job_worker import run_job

FORMATS = ("xlsx", "csv", "jsonl", "html", "xml", "pdf", "docx")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xml": "application/xml",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass
class Job:
    id: str
    owner_id: int
    owner: str
    scope: str | None
    input_name: str
    packs: list[str]
    as_of: date
    formats: list[str]
    directory: Path
    #: the uploaded file's path on the server (problems name it by the client's name instead)
    spec_input: str = ""
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: dict[str, Any] | None = None
    #: the kind of record the ledger holds, as asked (None: the packs' only one)
    kind: str | None = None
    #: whether one PDF report per record was asked for (in ``stations/``)
    station_reports: bool = False

    def visible_to(self, token_id: int, role: str, scoped: bool) -> bool:
        """A job and its files belong to the token that submitted it (and an unscoped admin)."""
        return self.owner_id == token_id or (role == "admin" and not scoped)

    def progress(self) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"phase": "queued", "done": 0, "total": None}
        return {
            "phase": data.get("phase", "assessing"),
            "done": int(data.get("done", 0)),
            "total": data.get("total"),
        }

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return "failed" if "problems" in self.outcome else "succeeded"
        return "running" if self.started_at is not None else "queued"

    def result_path(self, fmt: str) -> Path | None:
        path = self.directory / f"result.{fmt}"
        return path if self.status == "succeeded" and fmt in self.formats and path.is_file() else None


class JobManager:
    def __init__(self, data_dir: Path | None, workers: int, db_url: str, keep_inputs: bool) -> None:
        self._own_dir = data_dir is None
        self.root = Path(tempfile.mkdtemp(prefix="pe-service-")) if data_dir is None else data_dir
        (self.root / "jobs").mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.root / "jobs").chmod(0o700)  # uploads hold personal data: this user's only
        self.db_url, self.keep_inputs = db_url, keep_inputs
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._running: dict[str, multiprocessing.process.BaseProcess] = {}
        self._context = multiprocessing.get_context("spawn")
        self._threads = [
            threading.Thread(target=self._work, name=f"pe-job-{i}", daemon=True) for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def new_directory(self) -> tuple[str, Path]:
        job_id = secrets.token_hex(8)
        directory = self.root / "jobs" / job_id
        directory.mkdir(parents=True, mode=0o700)
        return job_id, directory

    def submit(self, job: Job, spec: dict[str, Any]) -> Job:
        """Queue ``job``; ``spec`` is what :func:`.job_worker.run_job` gets (minus the service's part)."""
        job.outcome = None
        # the database URL (it may hold a password) never goes to disk: added when the job starts
        (job.directory / "spec.json").write_text(json.dumps(spec, default=str), encoding="utf-8")
        with self._lock:
            self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def listed(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.started_at = utcnow()
            spec = json.loads((job.directory / "spec.json").read_text(encoding="utf-8"))
            spec |= {"db_url": self.db_url, "keep_inputs": self.keep_inputs}
            process = self._context.Process(
                target=run_job, args=(spec,), name=f"pe-job-{job.id}", daemon=True
            )
            process.start()
            with self._lock:
                self._running[job.id] = process
            process.join()
            with self._lock:
                self._running.pop(job.id, None)
            job.outcome = self._outcome(job, process.exitcode)
            job.finished_at = utcnow()

    def _outcome(self, job: Job, exitcode: int | None) -> dict[str, Any]:
        try:
            data = json.loads((job.directory / "outcome.json").read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except (OSError, ValueError):
            pass
        message = f"the job's process ended without a result (exit code {exitcode})"
        problem = Problem(message, None, "the server's log may say why", "internal").to_dict()
        return {"problems": [problem], "internal": True}

    def shutdown(self) -> None:
        """Stop taking jobs, end the running ones, remove a temporary data directory."""
        for _ in self._threads:
            self._queue.put(None)
        with self._lock:
            running = list(self._running.values())
        for process in running:
            process.terminate()
        for process in running:
            process.join(timeout=5)
        if self._own_dir:
            shutil.rmtree(self.root, ignore_errors=True)
