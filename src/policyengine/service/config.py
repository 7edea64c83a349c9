"""How the service is set up: ``policyengine serve``'s options as one value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .limits import MIB


@dataclass(frozen=True)
class ServiceConfig:
    #: the history's database URL (None: $POLICYENGINE_DB, else the user's SQLite file)
    db_url: str | None = None
    #: the packs to serve, by id or directory (None: every registered pack)
    packs: tuple[str, ...] | None = None
    #: keep each evaluated record (personal data masked) in the history
    keep_inputs: bool = False
    #: where batch jobs keep their files (None: a temporary directory removed at shutdown)
    data_dir: Path | None = None
    #: batch jobs that run at once, each in a process of its own
    workers: int = 1
    max_json_bytes: int = 8 * MIB
    max_upload_bytes: int = 50 * MIB
