"""Alembic's environment: run the migrations on the connection :mod:`..migrate` passes in
(``config.attributes["connection"]``), or on ``sqlalchemy.url`` when Alembic's own command
line runs them (``alembic -x`` is not needed: ``sqlalchemy.url`` in an alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from policyengine.history.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():  # pragma: no cover - the history always migrates online
    raise SystemExit("the policyengine history migrates online only")
main()
