"""The databases the history's tests run on: a SQLite file, and a real PostgreSQL server.

The PostgreSQL server is Debian's (``apt-get install postgresql``, which ``.ci/run`` does):
a throwaway cluster is made with ``initdb`` in a temporary directory and started with
``pg_ctl`` on a free loopback port the first time a test asks for it, and stopped when the
tests end. ``$POLICYENGINE_TEST_PG_URL`` names a server to use instead. Without either the
PostgreSQL runs are skipped, unless ``$POLICYENGINE_TEST_POSTGRES=required`` (CI sets it),
which makes them fail.

Other test modules import :func:`history_url` (the fixture, parametrised over both databases)
and :func:`new_database`. The tests here hold the migrations to the tables on both.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from policyengine.history.migrate import HEAD, downgrade, upgrade
from policyengine.history.tables import Base

DATABASES = ("sqlite", "postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Postgres:
    """One throwaway PostgreSQL cluster for the whole test run."""

    def __init__(self) -> None:
        self.url: str | None = os.environ.get("POLICYENGINE_TEST_PG_URL")
        self.why_not = ""
        self.directory: Path | None = None
        self._bin: Path | None = None
        self._user: list[str] = []

    def start(self) -> str | None:
        if self.url or self.why_not:
            return self.url
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        pg_ctl = found[-1] if found else shutil.which("pg_ctl")
        if not pg_ctl:
            self.why_not = "PostgreSQL is not installed (apt-get install postgresql)"
            return None
        self._bin = Path(pg_ctl).parent
        self.directory = Path(tempfile.mkdtemp(prefix="pe-pg-"))
        if os.geteuid() == 0:  # initdb refuses to run as root: run the server as `postgres`
            shutil.chown(self.directory, "postgres")
            self._user = ["runuser", "-u", "postgres", "--"]
        data, port = self.directory / "data", free_port()
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "pe", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-k {self.directory} -h 127.0.0.1 -p {port} -F -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.directory / "log"), "-w", "start")
        atexit.register(self.stop)
        self.url = f"postgresql+psycopg://pe@127.0.0.1:{port}/postgres"
        return self.url

    def _run(self, program: str, *args: str) -> None:
        assert self._bin is not None
        subprocess.run([*self._user, str(self._bin / program), *args], check=True, capture_output=True)

    def stop(self) -> None:
        if self.directory is not None and self._bin is not None:
            subprocess.run(
                [
                    *self._user,
                    str(self._bin / "pg_ctl"),
                    "-D",
                    str(self.directory / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
            )
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


POSTGRES = _Postgres()


_TEMPLATE = "pe_template_head"


def new_database(kind: str, tmp_path: Path, empty: bool = False) -> str:
    """The URL of a new database of ``kind`` (sqlite or postgresql). A PostgreSQL one is a copy
    of a database migrated once to the newest schema (so the tests do not each wait for the
    migrations), or with ``empty`` an empty one."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite3'}"
    base = POSTGRES.start()
    if base is None:
        if os.environ.get("POLICYENGINE_TEST_POSTGRES") == "required":
            pytest.fail(POSTGRES.why_not)
        pytest.skip(POSTGRES.why_not)
    server = base.rsplit("/", 1)[0]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if (
            not empty
            and not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": _TEMPLATE}
            ).scalar()
        ):
            conn.execute(text(f'CREATE DATABASE "{_TEMPLATE}"'))
            template = create_engine(f"{server}/{_TEMPLATE}")
            upgrade(template)
            template.dispose()
        name = f"pe_{uuid.uuid4().hex[:12]}"
        copy = "" if empty else f' TEMPLATE "{_TEMPLATE}" STRATEGY FILE_COPY'
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return f"{server}/{name}"


@pytest.fixture(params=DATABASES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield new_database(request.param, tmp_path, empty=True)


@pytest.fixture(params=DATABASES)
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new history database: once on SQLite, once on PostgreSQL."""
    yield new_database(request.param, tmp_path)


def test_the_migrations_build_exactly_the_tables(empty_url: str) -> None:
    engine = create_engine(empty_url)
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= {
        "pe_evaluations",
        "pe_rectification_items",
        "pe_api_tokens",
    }
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_head_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "policyengine.history:migrations")
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD]


def test_a_database_from_a_newer_version_is_refused_with_a_hint(tmp_path: Path) -> None:
    from policyengine.errors import PolicyEngineError

    engine = create_engine(new_database("sqlite", tmp_path))
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'v9999'"))
    with pytest.raises(PolicyEngineError) as caught:
        upgrade(engine)
    assert "cannot be migrated" in caught.value.problems[0].message
    assert "version that wrote it" in (caught.value.problems[0].hint or "")
    engine.dispose()
