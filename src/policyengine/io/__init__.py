"""Reading records from files."""

from .records import read_records

__all__ = ["read_records"]
