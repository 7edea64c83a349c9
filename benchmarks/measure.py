"""Interleaved measurement: the candidates of one comparison take turns in one process.

A sequential best-of-3 wall clock moved the engine / hand-written ratio between 0.61 and 1.01
on one loaded machine in one afternoon: whatever else runs on the machine lands on whichever
candidate happens to be running. Here every candidate runs over the same slice of records in
turn (A B C, then C B A in the next round, so neither goes first every time), each slice is
timed with the process's CPU time (time not spent on the other core's work) and with wall time
beside it, and a ratio is computed per round, from slices run moments apart on the same
records, before the median of those ratios is taken.

The garbage collector stays enabled, as it is in a batch: the collections a candidate's
allocations cause are part of its cost. What is alive before the measurement starts (all the
records, the packs) is frozen (``gc.freeze()``): in a streaming batch those records would not
be alive at once, and without the freeze every collection of the oldest generation walks them
all, which costs over a second with 20,000 validated records (1.9 million objects), and
lands on whichever candidate happened to trigger it. ``gc.collect()`` runs before every slice
(untimed) so that no candidate pays for garbage the previous one left.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Names = str | Sequence[str]


def method_line(slice_size: int, rounds: int, extra: str = "") -> str:
    """The one line each script prints first, saying how its figures were measured."""
    return (
        f"# method: candidates interleaved in one process in slices of {slice_size:,} records "
        f"(A B … then … B A in alternate rounds), {rounds} rounds after a warm-up slice each{extra}; "
        "each slice timed with process CPU time (time.process_time), wall time beside; "
        "figures are medians over rounds, ratios the median of per-round ratios; "
        "GC enabled, objects alive before measuring frozen (gc.freeze), gc.collect() before every slice"
    )


@dataclass
class Timings:
    """Seconds per slice, for every candidate and round, on both clocks."""

    slice_size: int
    cpu: dict[str, list[float]]
    wall: dict[str, list[float]]

    @property
    def rounds(self) -> int:
        return len(next(iter(self.cpu.values())))

    def _clock(self, clock: str) -> dict[str, list[float]]:
        return self.cpu if clock == "cpu" else self.wall

    def _per_round(self, names: Names, clock: str) -> list[float]:
        names = [names] if isinstance(names, str) else list(names)
        times = self._clock(clock)
        return [sum(times[n][i] for n in names) for i in range(self.rounds)]

    def seconds(self, names: Names, clock: str = "cpu") -> float:
        """Median seconds per slice (several names: their times in a round added)."""
        return statistics.median(self._per_round(names, clock))

    def rate(self, names: Names, clock: str = "cpu") -> float:
        """Records per second, from the median slice."""
        return self.slice_size / self.seconds(names, clock)

    def ratios(self, a: Names, b: Names, clock: str = "cpu") -> list[float]:
        """Throughput of ``a`` relative to ``b`` in each round: b's time / a's time."""
        ta, tb = self._per_round(a, clock), self._per_round(b, clock)
        return [y / x for x, y in zip(ta, tb, strict=True)]

    def ratio(self, a: Names, b: Names, clock: str = "cpu") -> float:
        """Median over rounds of the per-round ratio a / b (throughput)."""
        return statistics.median(self.ratios(a, b, clock))

    def spread(self, a: Names, b: Names, clock: str = "cpu") -> tuple[float, float]:
        """Lower and upper quartile of the per-round ratios (the middle half of the rounds)."""
        r = sorted(self.ratios(a, b, clock))
        if len(r) < 4:
            return r[0], r[-1]
        q = statistics.quantiles(r, n=4)
        return q[0], q[2]

    def describe(self, a: Names, b: Names) -> str:
        """'0.63 (middle half of rounds 0.61–0.65; wall 0.64)'."""
        lo, hi = self.spread(a, b)
        wall = self.ratio(a, b, "wall")
        return f"{self.ratio(a, b):.2f} (middle half of rounds {lo:.2f}–{hi:.2f}; wall {wall:.2f})"


def interleave(
    candidates: dict[str, Callable[[Sequence[Any]], object]],
    records: Sequence[Any],
    slice_size: int,
    rounds: int,
    forms: dict[str, Sequence[Any]] | None = None,
    warm_up: int | None = None,
) -> Timings:
    """Run every candidate over the same slice in turn, ``rounds`` times, after one warm-up slice.

    Each candidate is called with a slice (a list of ``slice_size`` records) and must process
    every record in it. Round k uses the k-th slice of the records, wrapping round; only full
    slices are used, so every slice holds the same number of records. ``forms`` gives a
    candidate the same records in another form (flattened, say): a list of the same length and
    order, sliced at the same places. ``warm_up`` makes the warm-up slice the first ``warm_up``
    records instead of a whole slice: when one slice is a whole large log, a run over its start
    warms the same code paths at a fraction of the cost.
    """
    slice_size = min(slice_size, len(records))
    starts = range(0, len(records) - slice_size + 1, slice_size)
    names = list(candidates)
    inputs = {n: (forms or {}).get(n, records) for n in names}
    if any(len(v) != len(records) for v in inputs.values()):
        raise ValueError("every form must hold the same records")
    slices = {n: [inputs[n][i : i + slice_size] for i in starts] for n in names}
    gc.collect()
    gc.freeze()  # the records and everything built before: not the candidates' garbage
    try:
        for name in names:  # warm-up: caches, lazily built code paths, first allocations
            candidates[name](slices[name][0][:warm_up] if warm_up else slices[name][0])
        return _rounds(candidates, slices, len(starts), slice_size, rounds)
    finally:
        gc.unfreeze()


def _rounds(
    candidates: dict[str, Callable[[Sequence[Any]], object]],
    slices: dict[str, list[Sequence[Any]]],
    n_slices: int,
    slice_size: int,
    rounds: int,
) -> Timings:
    names = list(candidates)
    cpu: dict[str, list[float]] = {n: [] for n in names}
    wall: dict[str, list[float]] = {n: [] for n in names}
    for k in range(rounds):
        for name in names if k % 2 == 0 else names[::-1]:
            fn, chunk = candidates[name], slices[name][k % n_slices]
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn(chunk)
            c1, w1 = time.process_time(), time.perf_counter()
            cpu[name].append(c1 - c0)
            wall[name].append(w1 - w0)
    return Timings(slice_size, cpu, wall)
