"""Alembic migrations of the decision history (``env.py``, ``versions/``)."""
