"""Bringing a history database to the newest schema with Alembic.

The migrations ship inside the package (``policyengine/history/migrations``), so an installed
wheel migrates a database with no project checkout. :func:`upgrade` is called whenever a
:class:`~.store.History` opens; when the database already stands at :data:`HEAD` it costs one
query and Alembic is not even imported. Two processes upgrading at once queue up: on SQLite
the writing transaction is ``BEGIN IMMEDIATE``, on PostgreSQL an advisory lock is taken.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text

from ..errors import PolicyEngineError, Problem

#: The newest migration's revision (a test holds it to Alembic's own ``heads``).
HEAD = "v0001"
#: Where Alembic finds the migrations: package ``policyengine.history``, directory ``migrations``.
SCRIPT_LOCATION = "policyengine.history:migrations"
_LOCK_KEY = 0x70655F68  # "pe_h": the advisory lock of a PostgreSQL upgrade


def current(conn: Connection) -> str | None:
    """The revision the database stands at (None: no history tables yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    with engine.connect() as conn:
        if revision == "head" and current(conn) == HEAD:
            return
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        except CommandError as exc:  # e.g. a database from a newer policyengine
            raise PolicyEngineError(
                [
                    Problem(
                        f"the history database cannot be migrated: {exc}",
                        None,
                        "use the policyengine version that wrote it, or another --db",
                        "history",
                    )
                ]
            ) from None


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (``base``: no tables)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
