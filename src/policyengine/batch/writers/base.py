"""What every batch output is: a :class:`Writer`, given every row, then the summary."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from ..rows import ResultRow
from ..summary import Summary


class Writer(ABC):
    """An open batch output file.

    It is given every assessed row in input order (:meth:`write`), then the run's summary
    (:meth:`close`); if the run fails it is told to :meth:`abort` instead. Writers take rows
    one at a time, so memory stays flat. A plugin registers a subclass (or any factory
    ``(path) -> Writer``) by suffix with the ``policyengine_batch_writers`` hook.

    A writer class that sets :attr:`accepts_options` is opened as ``cls(path, options)`` with
    the run's :class:`~.options.OutputOptions` (issuer, assessor, ``--fail-on``, CSV encoding).
    """

    path: Path
    #: opened with the run's report options as a second argument
    accepts_options: ClassVar[bool] = False

    @abstractmethod
    def write(self, row: ResultRow) -> None:
        """Take one row (rows that could not be read too: ``row.report`` is None)."""

    @abstractmethod
    def close(self, summary: Summary) -> None:
        """Finish the file: every row has been written."""

    def abort(self) -> None:
        """The run failed: leave no half-written file behind."""
        self.release()
        self.path.unlink(missing_ok=True)

    def release(self) -> None:  # noqa: B027 - optional: most writers hold nothing open
        """Close any file this writer holds open (for :meth:`abort`); nothing by default."""
