"""The durable-rules monitor backend.

The correlation work (a departure joined with a later filing for the same person, two
assignments of one worker that overlap, counters meeting the period-closing clock) is done
by durable-rules' engine. This adapter hides what is known to go wrong with it:

- one private host per run, whose background dispatch threads are never started
  (``_QuietHost._run`` does nothing): every action runs inside our own ``assert_fact``;
- never ``durable.lang``'s module-level registry: rulesets are built as JSON definitions
  with names unique to this run, and deleted afterwards;
- every fact has a unique ``id``;
- event time only: a ``clock`` fact carries the watermark day; ``start_timer`` is never used;
- every cross-record conjunction ends with an always-true ``sentinel`` condition (the crash in
  jruizgit/rules#381);
- an exception inside an action, or raised by the engine, becomes an ``error`` finding.

The findings are identical to the plain backend's (a differential test checks that).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..models.events import Event
from ..outcomes import Outcome
from .plain import (
    MonitorFinding,
    _value,
    deadline,
    distinct_values,
    finding,
    group_key,
    lacks_fields,
    matches,
    overlap_values,
    period_of,
    period_values,
    still_open,
    trigger_values,
)
from .spec import CompiledMonitor

try:  # durable-rules is only installed where it builds and imports (Python < 3.13)
    import durable_rules_engine
    from durable.engine import Host

    AVAILABLE = True
    IMPORT_ERROR = ""
except Exception as exc:  # pragma: no cover - depends on the platform
    AVAILABLE = False
    IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
    Host = object


SENTINEL = {"sentinel": {"t": "sentinel"}}
_names = itertools.count()
_lock = threading.Lock()


class _QuietHost(Host):  # type: ignore[misc]
    """A host that never starts durable-rules' dispatch threads."""

    def _run(self) -> None:
        return None


class _Run:
    """One monitor over one event log, on its own host and ruleset."""

    def __init__(self, mon: CompiledMonitor, rules: dict[str, dict[str, Any]]) -> None:
        self.mon = mon
        with _lock:
            self.name = f"pe_{mon.pack_id}_{mon.id}_{next(_names)}".replace(".", "_")
        self.fired: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[str] = []
        definition: dict[str, Any] = {}
        for rule_name, rule in rules.items():
            definition[rule_name] = {**rule, "run": self._action(rule_name)}
        self.host = _QuietHost({self.name: definition})
        self.ruleset = self.host.get_ruleset(self.name)
        self._ids = itertools.count()
        self._last_exception: Any = None
        self.assert_fact({"t": "sentinel"})

    def _action(self, rule_name: str) -> Any:
        def run(c: Any) -> None:
            try:
                self.fired.append((rule_name, json.loads(json.dumps(c._m))))
            except Exception as exc:  # never let an action's failure vanish
                self.errors.append(f"{rule_name}: {type(exc).__name__}: {exc}")

        return run

    def assert_fact(self, fact: dict[str, Any]) -> dict[str, Any]:
        fact = {**fact, "id": f"f{next(self._ids)}", "ok": 1}
        try:
            self.host.assert_fact(self.name, fact)
        except Exception as exc:
            if type(exc).__name__ != "MessageObservedException":
                self.errors.append(f"assert {fact.get('t')}: {type(exc).__name__}: {exc}")
        self._check_state()
        return fact

    def _check_state(self) -> None:
        """durable-rules catches an action's exception and only writes it into the session
        state; surface it instead of letting it vanish."""
        state = self.host.get_state(self.name)
        text = state.get("exception") if isinstance(state, dict) else None
        if text and text != self._last_exception:
            self._last_exception = text
            self.errors.append(f"action failed: {str(text).splitlines()[0][:300]}")

    def retract_fact(self, fact: Mapping[str, Any]) -> None:
        try:
            self.host.retract_fact(self.name, dict(fact))
        except Exception as exc:
            if type(exc).__name__ != "MessageNotHandledException":
                self.errors.append(f"retract {fact.get('t')}: {type(exc).__name__}: {exc}")

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        out, self.fired = self.fired, []
        return out

    def facts(self) -> list[dict[str, Any]]:
        return list(self.host.get_facts(self.name))

    def close(self) -> None:
        try:
            durable_rules_engine.delete_ruleset(self.ruleset._handle)
        except Exception:  # pragma: no cover - nothing more to free
            pass


def _ref(name: str, fld: str) -> dict[str, str]:
    return {name: fld}


ALWAYS = {"ok": 1}  # every fact carries ok: 1


def _and(*terms: dict[str, Any]) -> dict[str, Any]:
    """A conjunction whose last term is always true: a cross-fact reference must never be the
    last term of an `$and` (the crash in jruizgit/rules#381)."""
    return {"$and": [*terms, ALWAYS]}


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    if not AVAILABLE:  # pragma: no cover
        raise RuntimeError(f"durable-rules is not available here ({IMPORT_ERROR})")
    kind = mon.spec.kind
    if kind == "followed_by":
        return _followed_by(mon, events, until)
    if kind == "no_overlap":
        return _no_overlap(mon, events)
    if kind == "at_least_per_period":
        return _per_period(mon, events, until)
    return _distinct(mon, events, until, params)


def _errors(mon: CompiledMonitor, run: _Run) -> list[MonitorFinding]:
    return [finding(mon, Outcome.ERROR, [], {"why_zh": e, "why_en": e}) for e in run.errors]


def _key_text(key: tuple[tuple[str, str | None], ...]) -> str:
    return json.dumps(key, ensure_ascii=False)


def _followed_by(mon: CompiledMonitor, events: Sequence[Event], until: date) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.trigger and spec.response and spec.within
    run = _Run(
        mon,
        {
            "answered": {
                "all": [
                    {"trig": {"t": "trigger"}},
                    {
                        "resp": _and(
                            {"t": "response"},
                            {"key": _ref("trig", "key")},
                            {"$neq": {"eid": _ref("trig", "eid")}},
                            {"$gte": {"day": _ref("trig", "day")}},
                            {"$lte": {"day": _ref("trig", "due")}},
                        )
                    },
                    SENTINEL,
                ]
            },
            "overdue": {
                "all": [
                    {"trig": {"t": "trigger"}},
                    {"clock": _and({"t": "clock"}, {"$gt": {"day": _ref("trig", "due")}})},
                    SENTINEL,
                ]
            },
        },
    )
    by_id = {str(e.id): e for e in events}
    out: list[MonitorFinding] = []
    decided: set[str] = set()
    clock: dict[str, Any] | None = None

    def settle() -> None:
        for rule, m in run.take():
            trig = m["trig"]
            if trig["eid"] in decided:
                continue
            decided.add(trig["eid"])
            t = by_id[trig["eid"]]
            key = tuple(tuple(x) for x in json.loads(trig["key"]))
            values = trigger_values(t, key, date.fromordinal(trig["due"]))
            if rule == "answered":
                r = by_id[m["resp"]["eid"]]
                out.append(finding(mon, Outcome.PASS, [t, r], values, key))
            else:
                out.append(finding(mon, Outcome.FAIL, [t], values, key))
            run.retract_fact(trig)

    def advance(day: date) -> None:
        nonlocal clock
        if clock is not None:
            run.retract_fact(clock)
        clock = run.assert_fact({"t": "clock", "day": day.toordinal()})
        settle()

    try:
        for day, batch in _days(events):
            advance(day)
            # triggers of a day before its responses, so that "the first response" is the same
            # one the plain backend picks
            for e in batch:
                if matches(e, spec.trigger):
                    key = group_key(e, spec.match)
                    if any(v is None for _, v in key):
                        out.append(lacks_fields(mon, e, key))
                        decided.add(str(e.id))
                        continue
                    run.assert_fact(
                        {
                            "t": "trigger",
                            "eid": str(e.id),
                            "key": _key_text(key),
                            "day": e.date.toordinal(),
                            "due": deadline(e.date, spec.within).toordinal(),
                        }
                    )
                    settle()
            for e in batch:
                if matches(e, spec.response):
                    run.assert_fact(
                        {
                            "t": "response",
                            "eid": str(e.id),
                            "key": _key_text(group_key(e, spec.match)),
                            "day": e.date.toordinal(),
                        }
                    )
                    settle()
        advance(until + timedelta(days=1))  # the log is complete through `until`
        for fact in run.facts():
            if fact.get("t") == "trigger" and fact["eid"] not in decided:
                key = tuple(tuple(x) for x in json.loads(fact["key"]))
                out.append(still_open(mon, [by_id[fact["eid"]]], until, key))
        return out + _errors(mon, run)
    finally:
        run.close()


def _no_overlap(mon: CompiledMonitor, events: Sequence[Event]) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.key and spec.distinct
    run = _Run(
        mon,
        {
            "overlap": {
                "all": [
                    {"a": {"t": "assignment"}},
                    {
                        "b": _and(
                            {"t": "assignment"},
                            {"key": _ref("a", "key")},
                            {"$neq": {"dist": _ref("a", "dist")}},
                            {"$gt": {"seq": _ref("a", "seq")}},
                            {"$lte": {"start": _ref("a", "end")}},
                            {"$gte": {"end": _ref("a", "start")}},
                        )
                    },
                    SENTINEL,
                ]
            },
        },
    )
    by_id = {str(e.id): e for e in events}
    out: list[MonitorFinding] = []
    pairs: list[MonitorFinding] = []
    try:
        seq = 0
        for e in events:
            if not matches(e, spec.event):
                continue
            key = _value(getattr(e, spec.key))
            if e.start is None or e.end is None or key is None:
                out.append(lacks_fields(mon, e, what=f"start/end/{spec.key}"))
                continue
            run.assert_fact(
                {
                    "t": "assignment",
                    "eid": str(e.id),
                    "key": key,
                    "seq": seq,
                    "dist": _value(getattr(e, spec.distinct)) or "",
                    "start": e.start.toordinal(),
                    "end": e.end.toordinal(),
                }
            )
            seq += 1
            for _, m in run.take():
                a, b = by_id[m["a"]["eid"]], by_id[m["b"]["eid"]]
                values = overlap_values(spec, m["a"]["key"], a, b)
                pairs.append(finding(mon, Outcome.FAIL, [a, b], values, ((spec.key, m["a"]["key"]),)))
        return out + pairs + _errors(mon, run)
    finally:
        run.close()


def _per_period(mon: CompiledMonitor, events: Sequence[Event], until: date) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.period and spec.min
    period: str = spec.period
    minimum: int = spec.min
    run = _Run(
        mon,
        {
            "count": {
                "all": [
                    {"ev": {"t": "event"}},
                    {
                        "counter": _and(
                            {"t": "counter"}, {"key": _ref("ev", "key")}, {"period": _ref("ev", "period")}
                        )
                    },
                    SENTINEL,
                ]
            },
            "close": {
                "all": [
                    {"counter": {"t": "counter"}},
                    {"clock": _and({"t": "clock"}, {"$gt": {"day": _ref("counter", "last")}})},
                    SENTINEL,
                ]
            },
        },
    )
    by_id = {str(e.id): e for e in events}
    out: list[MonitorFinding] = []
    closed: list[tuple[str, str, MonitorFinding]] = []
    groups: dict[str, date] = {}  # key → first day of the next period without a counter
    counters: dict[tuple[str, str], dict[str, Any]] = {}
    clock: dict[str, Any] | None = None

    def settle() -> None:
        for rule, m in run.take():
            c = m["counter"]
            slot = (c["key"], c["period"])
            if counters.get(slot, {}).get("id") != c["id"]:
                continue  # a counter already replaced
            if rule == "count":
                run.retract_fact(m["ev"])
                run.retract_fact(c)
                counters[slot] = run.assert_fact(
                    {
                        **{k: v for k, v in c.items() if k != "id"},
                        "n": c["n"] + 1,
                        "eids": [*c["eids"], m["ev"]["eid"]],
                    }
                )
                settle()
                return
            run.retract_fact(c)
            del counters[slot]
            key = tuple(tuple(x) for x in json.loads(c["key"]))
            hits = [by_id[i] for i in c["eids"]]
            values = period_values(key, c["period"], c["n"], minimum)
            outcome = Outcome.PASS if c["n"] >= spec.min else Outcome.FAIL
            closed.append((c["key"], c["period"], finding(mon, outcome, hits, values, key, c["period"])))

    def open_counters(day: date) -> None:
        for key, nxt in list(groups.items()):
            while nxt <= day:
                label, _, last = period_of(nxt, period)
                counters[(key, label)] = run.assert_fact(
                    {
                        "t": "counter",
                        "key": key,
                        "period": label,
                        "last": last.toordinal(),
                        "n": 0,
                        "eids": [],
                    }
                )
                nxt = last + timedelta(days=1)
            groups[key] = nxt

    def advance(day: date) -> None:
        nonlocal clock
        open_counters(day)
        if clock is not None:
            run.retract_fact(clock)
        clock = run.assert_fact({"t": "clock", "day": day.toordinal()})
        settle()

    try:
        for day, batch in _days(events):
            advance(day)
            for e in batch:
                if not matches(e, spec.event):
                    continue
                key = group_key(e, spec.group_by)
                if any(v is None for _, v in key):
                    out.append(lacks_fields(mon, e, key))
                    continue
                k = _key_text(key)
                if k not in groups:
                    groups[k] = period_of(e.date, period)[1]
                    open_counters(day)
                run.assert_fact(
                    {"t": "event", "eid": str(e.id), "key": k, "period": period_of(e.date, period)[0]}
                )
                settle()
        advance(until + timedelta(days=1))  # the log is complete through `until`
        # the plain backend lists groups in order of first appearance, periods in order
        first_seen = {k: i for i, k in enumerate(groups)}
        closed.sort(key=lambda x: (first_seen[x[0]], x[1]))
        return out + [c[2] for c in closed] + _errors(mon, run)
    finally:
        run.close()


def _distinct(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = mon.spec
    assert spec.event and spec.distinct is not None and spec.max is not None
    maximum: int = spec.max
    lo = mon.resolve(spec.during.from_, params) if spec.during else date.min
    hi = mon.resolve(spec.during.to, params) if spec.during else date.max
    run = _Run(
        mon,
        {
            "value": {
                "all": [
                    {"ev": {"t": "event"}},
                    {"tally": _and({"t": "tally"}, {"key": _ref("ev", "key")})},
                    SENTINEL,
                ]
            },
            "exceeded": {
                "all": [
                    {"tally": _and({"t": "tally"}, {"$gt": {"n": spec.max}})},
                    SENTINEL,
                ]
            },
        },
    )
    by_id = {str(e.id): e for e in events}
    tallies: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    failed: dict[str, MonitorFinding] = {}

    def settle() -> None:
        for rule, m in run.take():
            t = m["tally"]
            if tallies.get(t["key"], {}).get("id") != t["id"]:
                continue
            if rule == "value":
                run.retract_fact(m["ev"])
                v = m["ev"]["value"]
                if v in t["values"]:
                    continue
                run.retract_fact(t)
                tallies[t["key"]] = run.assert_fact(
                    {
                        "t": "tally",
                        "key": t["key"],
                        "n": t["n"] + 1,
                        "values": [*t["values"], v],
                        "eids": [*t["eids"], m["ev"]["eid"]],
                    }
                )
                settle()
                return
            key = tuple(tuple(x) for x in json.loads(t["key"]))
            values = distinct_values(key, t["values"], maximum, lo, hi)
            failed[t["key"]] = finding(mon, Outcome.FAIL, [by_id[i] for i in t["eids"]], values, key)
            run.retract_fact(t)
            del tallies[t["key"]]

    try:
        for e in events:
            if not (matches(e, spec.event) and lo <= e.date <= hi):
                continue
            key = group_key(e, spec.group_by)
            k = _key_text(key)
            if k not in tallies and k not in failed:
                order.append(k)
                tallies[k] = run.assert_fact({"t": "tally", "key": k, "n": 0, "values": [], "eids": []})
            if k in failed:
                continue
            value = _value(getattr(e, spec.distinct))
            if value is None:
                continue
            run.assert_fact({"t": "event", "eid": str(e.id), "key": k, "value": value})
            settle()
        out = []
        for k in order:
            if k in failed:
                out.append(failed[k])
                continue
            t = tallies[k]
            key = tuple(tuple(x) for x in json.loads(k))
            evs = [by_id[i] for i in t["eids"]]
            values = distinct_values(key, t["values"], maximum, lo, hi)
            if hi <= until:
                out.append(finding(mon, Outcome.PASS, evs, values, key))
            else:
                out.append(still_open(mon, evs, until, key))
        return out + _errors(mon, run)
    finally:
        run.close()


def _days(events: Sequence[Event]) -> list[tuple[date, list[Event]]]:
    days: dict[date, list[Event]] = defaultdict(list)
    for e in events:
        days[e.date].append(e)
    return sorted(days.items())
