"""The progress bar ``policyengine assess`` shows on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import TaskID


class RichProgress:
    """A rich progress bar (transient: it disappears when the run ends)."""

    def __init__(self, total: int | None) -> None:
        # rich loads only when a terminal shows the bar: the command line starts faster
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self._task: TaskID = self._progress.add_task("评估中", total=total)
        self._progress.start()

    def advance(self) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()
