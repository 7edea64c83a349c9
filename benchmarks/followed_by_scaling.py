"""``followed_by`` scaling: CPU time on 10× the events should be about 10× (O(n log n)).

python benchmarks/followed_by_scaling.py [--sizes 10000,100000,1000000] [--runs 3]

Times Haining's three ``followed_by`` monitors (and nothing else) on both backends, over
generated logs of N events with their shape: departures and arrivals filed within 7 days
(matched by staff), notices refilled within two months (matched by station). Most triggers
are answered in time, some late, some never, some still open at the end of the log, a few
lack the field they are matched by. Many distinct staff and station keys, so the per-key
structures matter, and a few hot keys (pool workers re-hired again and again under one id,
large stations) holding a fixed share of the events, so ever more events as N grows: a scan
of every response of a key per trigger would be quadratic and would show.

Each size runs in its own child process (a fresh durable-rules engine, its own peak memory,
and a crash or hang cannot take the other sizes down), where the kind's run functions
(``followed_by.run_plain`` / ``run_durable``) take turns over the same log as in
``measure.py``: plain then durable, durable then plain in the next round, process CPU time
and wall time, medians over the runs, after a warm-up on the log's first events. A run
predicted (from the smaller sizes) to take longer than ``--budget`` seconds of wall time, or
more than 80 % of the memory available, is skipped and says why; one that does so anyway is
abandoned (the process goes on with the other backend and the other sizes). Findings of both
backends are compared (sorted ``to_dict()``s) at every size; the exit status is 1 when they
differ.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import interleave  # noqa: E402

from policyengine.models.events import Event  # noqa: E402
from policyengine.monitor.api import durable_available  # noqa: E402
from policyengine.monitor.events import ordered  # noqa: E402
from policyengine.monitor.findings import MonitorFinding  # noqa: E402
from policyengine.monitor.kinds import followed_by  # noqa: E402
from policyengine.packs.monitors import CompiledMonitor  # noqa: E402
from policyengine.plugins import get_registry  # noqa: E402

PACK = "haining"
YEAR = 2023
UNTIL = date(YEAR, 12, 31)
WARM_UP = 2_000  # events of the log's start each backend runs once before the timed runs
HOT_STAFF = 4  # staff ids re-used career after career (a pool worker, a placeholder id)
HOT_STAFF_SHARE = 0.02  # of all careers, each
HOT_STATIONS = 3
HOT_STATION_SHARE = 0.04  # of all careers, each
TYPES = frozenset({"staff_joined", "staff_filed", "staff_notice", "staff_left"})  # what the log holds


# --- the log ---------------------------------------------------------------------------------


def followed_by_log(n: int, seed: int = 11) -> list[Event]:
    """Exactly ``n`` events of ``YEAR``, in event-time order, shaped for Haining's followed_by
    monitors: careers of staff at stations (joined → filed; notice → left → filed), the
    number of staff and stations growing with ``n``, plus hot staff and station keys whose
    share of the events stays fixed (so their event counts grow with ``n`` too)."""
    rng = random.Random(seed)
    start = date(YEAR, 1, 1)
    stations = max(1, n // 60)  # about 22 careers a station: some notices are never refilled
    rows: list[dict[str, Any]] = []

    def add(type_: str, day: int, **fields: Any) -> None:
        if 0 <= day <= 364 and len(rows) < n:  # the log covers the year; later events are not in it
            if rng.random() < 0.003:  # a few events lack the field they are matched by
                fields.pop("staff" if type_ in ("staff_left", "staff_joined") else "station", None)
            rows.append({"type": type_, "date": start + timedelta(days=day), **fields})

    def filed_after(day: int) -> int | None:
        r = rng.random()
        if r < 0.75:
            return day + rng.randint(0, 7)  # in time
        if r < 0.88:
            return day + rng.randint(8, 40)  # late
        return None  # never

    c = 0
    while len(rows) < n:
        r = rng.random()
        staff = f"POOL-{int(r / HOT_STAFF_SHARE)}" if r < HOT_STAFF * HOT_STAFF_SHARE else f"W{c:07d}"
        r = rng.random()
        if r < HOT_STATIONS * HOT_STATION_SHARE:
            station = f"HOT-{int(r / HOT_STATION_SHARE)}"
        else:
            station = f"S{rng.randrange(stations):06d}"
        joined = rng.randint(0, 364)
        add("staff_joined", joined, station=station, staff=staff)
        if (filed := filed_after(joined)) is not None:
            add("staff_filed", filed, station=station, staff=staff)
        if rng.random() < 0.6:  # leaves later (or would, after the log ends)
            notice = joined + rng.randint(20, 300)
            add("staff_notice", notice, station=station, staff=staff)
            left = notice + rng.randint(20, 45)
            add("staff_left", left, station=station, staff=staff)
            if (filed := filed_after(left)) is not None:
                add("staff_filed", filed, station=station, staff=staff)
        c += 1  # every career adds its staff_joined at least
    events = [Event.model_validate({**row, "id": f"e{i:07d}"}) for i, row in enumerate(rows)]
    return ordered(events)


def describe_log(events: Sequence[Event]) -> str:
    types = Counter(e.type.value for e in events)
    staff = Counter(e.staff for e in events if e.staff)
    stations = Counter(e.station for e in events if e.station)
    hot_staff = sum(v for k, v in staff.items() if k.startswith("POOL-"))
    hot_stations = sum(v for k, v in stations.items() if k.startswith("HOT-"))
    return (
        ", ".join(f"{k} {v:,}" for k, v in sorted(types.items()))
        + f"; {len(staff):,} staff keys ({HOT_STAFF} hot ones: {hot_staff:,} events, the largest "
        f"{staff.most_common(1)[0][1]:,}), {len(stations):,} station keys ({HOT_STATIONS} hot ones: "
        f"{hot_stations:,} events, the largest {stations.most_common(1)[0][1]:,})"
    )


# --- one size, in a child process ------------------------------------------------------------


def followed_by_monitors() -> tuple[list[CompiledMonitor], dict[str, Any]]:
    pack = get_registry().load(PACK)
    params, _ = pack.params_at(UNTIL)
    return [m for m in pack.monitors if m.spec.kind == "followed_by"], params


class Abandoned(BaseException):
    """A run over its time or memory budget. A BaseException, and raised again every second
    until the run gives up: durable-rules catches even BaseException inside an action (and the
    adapter turns what it catches into an error finding), so one signal may be swallowed."""


def measure_size(
    n: int, runs: int, seed: int, backends: list[str], budget: float, memory_mb: float
) -> dict[str, Any]:
    """One size: the log, the interleaved runs, the comparison. A run is abandoned (not the
    process) when it takes longer than ``budget`` seconds of wall time or the process grows
    over ``memory_mb``, and not started when the process already holds that much; an
    address-space limit a little above it stops the process before it can take the machine's
    memory from others."""
    if memory_mb != float("inf"):
        limit = int((memory_mb + 2_048) * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    events = followed_by_log(n, seed)
    mons, params = followed_by_monitors()
    if "durable" in backends:
        import policyengine.monitor.durable  # noqa: F401  (importing the C engine is not monitoring)
    rss_log = _rss_mb()
    runners = {"plain": followed_by.run_plain, "durable": followed_by.run_durable}
    found: dict[str, list[MonitorFinding]] = {}
    done: dict[str, list[bool]] = {name: [] for name in backends}  # each timed call: a whole run?
    rss_after: dict[str, list[float]] = {name: [] for name in backends}
    per_monitor: dict[str, list[list[float]]] = {name: [] for name in backends}  # CPU s, each run
    abandoned: dict[str, str] = {}
    not_run: dict[str, str] = {}
    warmed: set[str] = set()
    # the run going on, shared with the signal handler and the watchdog
    running: dict[str, Any] = {"name": None, "why": None, "stopping": False}

    def candidate(name: str) -> Callable[[Sequence[Event]], object]:
        run = runners[name]

        def go(evs: Sequence[Event]) -> object:
            timed = name in warmed
            warmed.add(name)
            if name in abandoned or (rss := _rss_mb()) > memory_mb:
                if name not in abandoned:
                    not_run[name] = f"a run not started: the process already held {rss:,.0f} MB"
                if timed:
                    done[name].append(False)
                return None
            running.update(name=name, why=None, stopping=False)
            started, cpu = time.perf_counter(), [time.process_time()]
            out: list[MonitorFinding] = []
            signal.setitimer(signal.ITIMER_REAL, budget, 1.0)  # wall-clock guard: abandon, never hang
            try:
                for m in mons:
                    out += run(m, evs, UNTIL, params)
                    cpu.append(time.process_time())
                running["stopping"] = True  # no call before it: no signal handler runs in between
            except Abandoned:
                running["stopping"] = True
            running["name"] = None
            signal.setitimer(signal.ITIMER_REAL, 0)
            if running["why"] is not None:  # interrupted, even if the interruption was swallowed
                took, used = time.perf_counter() - started, time.process_time() - cpu[0]
                each = ", ".join(
                    f"{m.id} {b - a:.1f} s" for m, (a, b) in zip(mons, pairwise(cpu), strict=False)
                )
                abandoned[name] = (
                    f"abandoned after {took:.1f} s wall, {used:.1f} s CPU {running['why']}, "
                    f"{len(cpu) - 1} of {len(mons)} monitors done" + (f" ({each} CPU)" if each else "")
                )
                if timed:
                    done[name].append(False)
                return None
            if not timed:  # the first call is the warm-up
                return out
            found[name] = out
            done[name].append(True)
            rss_after[name].append(_rss_mb())
            per_monitor[name].append([b - a for a, b in pairwise(cpu)])
            return out

        return go

    def on_alarm(signum: int, frame: Any) -> None:
        if running["name"] is None or running["stopping"]:  # nothing (more) to abandon
            return
        if running["why"] is None:
            running["why"] = f"(budget {budget:g} s)"
        raise Abandoned

    def watchdog() -> None:  # a /proc read every half second: negligible CPU time
        while True:
            if running["name"] is not None and not running["stopping"] and (rss := _rss_mb()) > memory_mb:
                running["why"] = running["why"] or f"at {rss:,.0f} MB RSS (limit {memory_mb:,.0f} MB)"
                os.kill(os.getpid(), signal.SIGALRM)
            time.sleep(0.5)

    signal.signal(signal.SIGALRM, on_alarm)
    threading.Thread(target=watchdog, daemon=True).start()
    t = interleave(
        {name: candidate(name) for name in backends},
        events,
        slice_size=len(events),
        rounds=runs,
        warm_up=min(WARM_UP, len(events)),
    )
    result: dict[str, Any] = {
        "size": n,
        "runs": runs,
        "log": describe_log(events),
        "rss_log_mb": rss_log,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_runs_mb": rss_after,
        "backends": {},
    }
    for name in backends:
        if not any(done[name]):
            result["backends"][name] = {"skipped": abandoned.get(name) or not_run.get(name, "no run")}
            continue
        result["backends"][name] = {
            # only whole runs: a run skipped or abandoned in a later round is left out
            "cpu": [x for x, ok in zip(t.cpu[name], done[name], strict=True) if ok],
            "wall": [x for x, ok in zip(t.wall[name], done[name], strict=True) if ok],
            "per_monitor": {
                m.id: statistics.median(each[i] for each in per_monitor[name]) for i, m in enumerate(mons)
            },
            "findings": len(found[name]),
            "outcomes": dict(Counter(f.outcome.value for f in found[name])),
        }
        if name in abandoned or name in not_run:  # after whole runs, which count
            result["backends"][name]["note"] = abandoned.get(name) or not_run[name]
    if all(name in found for name in ("plain", "durable")):  # found: from a whole run
        plain, durable = _comparable(found["plain"]), _comparable(found["durable"])
        result["agree"] = plain == durable
        if plain != durable:  # what explains it (a few of each side)
            only_plain, only_durable = set(plain) - set(durable), set(durable) - set(plain)
            result["differences"] = [f"only plain: {x}" for x in sorted(only_plain)[:5]]
            result["differences"] += [f"only durable: {x}" for x in sorted(only_durable)[:5]]
            result["differences"].append(f"{len(plain):,} plain findings, {len(durable):,} durable")
    return result


def _comparable(found: list[MonitorFinding]) -> list[str]:
    """The findings' sorted ``to_dict()``s (as JSON text, which sorts)."""
    return sorted(json.dumps(f.to_dict(), ensure_ascii=False, sort_keys=True) for f in found)


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")  # pragma: no cover - not Linux


# --- the parent: sizes, predictions, the table -----------------------------------------------

MEMORY_SHARE = 0.8  # of the memory available when a size starts, what its child may take


@dataclass(frozen=True)
class Memory:
    """What one size's child took: its peak RSS, its RSS with the log built, and what each
    durable run kept (RSS that did not come back after the run: durable-rules' C engine keeps
    memory after its ruleset is deleted)."""

    size: int
    runs: int
    peak: float
    log: float
    after_durable: list[float]

    @classmethod
    def of(cls, size: int, result: dict[str, Any]) -> Memory:
        after = result["rss_after_runs_mb"].get("durable", [])
        return cls(size, result["runs"], result["peak_rss_mb"], result["rss_log_mb"], after)

    @property
    def kept_per_run(self) -> float | None:
        if len(self.after_durable) < 2:
            return None
        return max(0.0, (self.after_durable[-1] - self.after_durable[0]) / (len(self.after_durable) - 1))

    def need(self, n: int, runs: int) -> float:
        """MB at ``n`` events and ``runs`` runs, linear in the events: one run's peak, and what
        each further run keeps (unknown from one run: then all of it)."""
        kept = self.kept_per_run
        if kept is None:
            kept = self.peak - self.log
        one_run = max(self.log, self.peak - kept * (self.runs - 1))
        return (one_run + kept * (runs - 1)) * n / self.size

    def describe(self) -> str:
        text = f"child peak RSS {self.peak:,.0f} MB ({self.log:,.0f} MB with the log built, before any run)"
        if self.after_durable:
            after = ", ".join(f"{x:,.0f}" for x in self.after_durable)
            text += f"; RSS after each durable run {after} MB"
            if self.kept_per_run is not None:
                text += f" (+{self.kept_per_run:,.0f} MB a run, not given back)"
        return text


def run_child(n: int, runs: int, seed: int, backends: list[str], budget: float) -> dict[str, Any]:
    """One size in a fresh interpreter; its result, or why it has none. The child may grow to
    80 % of the memory available now."""
    cmd = [sys.executable, __file__, "--child", str(n), "--runs", str(runs), "--seed", str(seed)]
    cmd += ["--backends", ",".join(backends), "--budget", str(budget)]
    cmd += ["--memory-mb", f"{MEMORY_SHARE * _available_mb():.0f}"]
    # generous: the log, every run of every backend at the budget, the comparison
    limit = 120 + n / 2_000 + runs * len(backends) * budget * 1.5
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child it started
        return {"size": n, "failed": f"the child process ran over {limit:.0f} s and was stopped"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"size": n, "failed": f"the child process exited with {done.returncode} ({tail})"}
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def predict(history: list[tuple[int, float]], n: int) -> float | None:
    """Seconds per run at ``n`` events, from the sizes measured so far: the last size's time
    scaled at the growth seen between the last two sizes (at least linear, at most quadratic),
    or linearly when only one size is known."""
    if not history:
        return None
    n1, t1 = history[-1]
    k = 1.0
    if len(history) >= 2:
        (n0, t0) = history[-2]
        if t0 > 0 and t1 > 0 and n1 > n0:
            k = min(2.0, max(1.0, math.log(t1 / t0) / math.log(n1 / n0)))
    return t1 * (n / n1) ** k


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="event counts, comma-separated")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per backend at each size")
    ap.add_argument(
        "--runs-largest",
        type=int,
        default=None,
        help="timed runs at the largest size (default: 1 when it is 1,000,000 or more, else --runs)",
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds a durable run may take")
    ap.add_argument("--backends", default="plain,durable", help=argparse.SUPPRESS)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--memory-mb", type=float, default=float("inf"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]

    if args.child is not None:
        result = measure_size(args.child, args.runs, args.seed, backends, args.budget, args.memory_mb)
        print(json.dumps(result))
        return 0

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    largest_runs = args.runs_largest or (1 if sizes[-1] >= 1_000_000 else args.runs)
    mons, _ = followed_by_monitors()
    print(
        "# method: plain and durable alternating in one process per size (plain durable, then durable "
        "plain), each run over the whole log, a warm-up run each over its first "
        f"{WARM_UP:,} events; each run timed with process CPU time (time.process_time), wall time beside; "
        "figures are medians over the runs; GC enabled, the log frozen (gc.freeze), gc.collect() before "
        "every run (benchmarks/measure.py); log generation and pack loading not timed"
    )
    print(
        f"# followed_by scaling: {PACK}'s followed_by monitors only ({', '.join(m.id for m in mons)}), "
        f"run through followed_by.run_plain / run_durable, over a generated year of N events "
        f"(seed {args.seed}); {args.runs} runs per size, {largest_runs} at the largest ({sizes[-1]:,}); "
        f"a budget of {args.budget:g} s per run; {os.cpu_count()} cores, "
        f"{_available_mb():,.0f} MB available"
    )
    if not durable_available()[0]:
        print(f"# durable-rules: not available ({durable_available()[1]}); plain only")
        backends = ["plain"]
    for m in mons:
        missing = {m.spec.trigger.type, m.spec.response.type} - TYPES
        if missing:
            print(
                f"# note: the logs hold no {', '.join(sorted(missing))} events: "
                f"{m.id} is timed, but finds little"
            )
    rows: list[tuple[int, str, int, str, str, str, str, str, str]] = []
    notes: list[str] = []
    agree: dict[int, bool | None] = {}
    history: dict[str, list[tuple[int, float]]] = {b: [] for b in backends}
    memory: list[Memory] = []
    gave_up: dict[str, str] = {}  # a backend abandoned at a smaller size is not tried at larger ones
    for n in sizes:
        runs = largest_runs if n == sizes[-1] else args.runs
        todo = list(backends)
        for name in backends:
            why = gave_up.get(name) or _why_skip(
                history[name], memory if name == "durable" else [], n, runs, args.budget
            )
            if why:
                todo.remove(name)
                notes.append(f"{n:,}: {name} skipped, {why}")
        if not todo:
            rows += [(n, name, 0, "skipped", "—", "—", "—", "—", "—") for name in backends]
            continue
        result = run_child(n, runs, args.seed, todo, args.budget)
        if "failed" in result and "durable" in todo:
            notes.append(f"{n:,}: {result['failed']}; measured again without durable")
            gave_up["durable"] = f"its child process failed at {n:,} events already"
            todo.remove("durable")
            result = run_child(n, runs, args.seed, todo, args.budget)
        if "failed" in result:
            notes.append(f"{n:,}: {result['failed']}")
            rows += [(n, name, 0, "failed", "—", "—", "—", "—", "—") for name in backends]
            continue
        print(f"# {n:,} events: {result['log']}")
        mem = Memory.of(n, result)
        memory.append(mem)
        print(f"#   {mem.describe()}")
        agree[n] = result.get("agree")
        for name, got in result["backends"].items():
            if "per_monitor" in got:
                each = ", ".join(f"{k} {v:.3f}" for k, v in got["per_monitor"].items())
                print(f"#   {name}, CPU s per monitor (median): {each}")
        notes += [f"{n:,}: {line}" for line in result.get("differences", [])]
        for name in backends:
            got = result["backends"].get(name)
            if got is None or "skipped" in got:
                if got is not None:
                    notes.append(f"{n:,}: {name} {got['skipped']}")
                    gave_up.setdefault(name, f"abandoned at {n:,} events already")
                rows.append((n, name, 0, "skipped", "—", "—", "—", "—", "—"))
                continue
            if "note" in got:
                notes.append(f"{n:,}: {name}: {got['note']}; medians over the {len(got['cpu'])} whole runs")
                if "abandoned" in got["note"]:
                    gave_up.setdefault(name, f"abandoned at {n:,} events already")
            cpu, wall = statistics.median(got["cpu"]), statistics.median(got["wall"])
            prev = history[name][-1] if history[name] else None
            ratio = f"{cpu / prev[1]:.1f} (sizes ×{n / prev[0]:g})" if prev else "—"
            history[name].append((n, cpu))
            outcomes = " ".join(f"{k} {v:,}" for k, v in sorted(got["outcomes"].items()))
            per_event = f"{cpu / n * 1e6:.1f}"
            findings = f"{got['findings']:,}"
            rows.append(
                (n, name, len(got["cpu"]), f"{cpu:.3f}", f"{wall:.3f}", per_event, findings, ratio, outcomes)
            )
    print()
    print(
        "# CPU × previous size, for sizes ×10: O(n) gives 10, O(n log n) 10 × log(10n)/log(n) at most "
        "(12.5 from 10,000 to 100,000, 12 from 100,000 to 1,000,000), O(n²) 100"
    )
    _table(rows)
    print()
    for note in notes:
        print(f"# {note}")
    for n in sizes:
        if n in agree:
            said = "not compared (durable not run)" if agree[n] is None else agree[n]
            print(f"backends agree at {n:,}: {said}")
    compared = [v for v in agree.values() if v is not None]
    if not compared:
        print("backends agree: not compared (no size ran both backends)")
        return 0
    print(f"backends agree: {all(compared)}")
    return 0 if all(compared) else 1


def _why_skip(
    history: list[tuple[int, float]], memory: list[Memory], n: int, runs: int, budget: float
) -> str:
    """Why a backend's run at ``n`` events should not be tried, or '': predicted over the time
    budget, or (given the memory of the smaller sizes) over the memory the child may take."""
    seconds = predict(history, n)
    if seconds is not None and seconds > budget:
        return (
            f"a run is predicted to take {seconds:,.0f} s CPU (from the smaller sizes), "
            f"over the {budget:g} s budget"
        )
    if memory:
        need, have = memory[-1].need(n, runs), MEMORY_SHARE * _available_mb()
        if need > have:
            return (
                f"predicted to need {need:,.0f} MB (linear from {memory[-1].size:,} events, "
                f"{runs} run(s)), over the {have:,.0f} MB the child may take"
            )
    return ""


def _table(rows: list[tuple[int, str, int, str, str, str, str, str, str]]) -> None:
    head = (
        "size",
        "backend",
        "runs",
        "CPU s (median)",
        "wall s (median)",
        "CPU µs/event",
        "findings",
        "CPU × previous size",
        "outcomes",
    )
    cells = [head] + [(f"{r[0]:,}", r[1], str(r[2]), *r[3:]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for i, c in enumerate(cells):
        print("| " + " | ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    sys.exit(main())
