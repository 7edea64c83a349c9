"""The durable-rules monitor backend: the adapter every kind's durable run uses.

Each kind's ruleset and driver live in its own module (:mod:`.kinds`). The correlation work
(a departure joined with a later filing for the same person, two assignments of one worker
that overlap, counters meeting the period-closing clock) is done by durable-rules' engine.
This adapter hides what is known to go wrong with it:

- one private host per run, whose background dispatch threads are never started
  (``_QuietHost._run`` does nothing): every action runs inside our own ``assert_fact``;
- never ``durable.lang``'s module-level registry: rulesets are built as JSON definitions
  with names unique to this run, and deleted afterwards;
- every fact has a unique ``id``;
- event time only: a ``clock`` fact carries the watermark day; ``start_timer`` is never used;
- every cross-record conjunction ends with an always-true ``sentinel`` condition (the crash in
  jruizgit/rules#381), and every join's last cross-fact term is always true (``ok`` equals the
  other fact's ``ok``; :func:`guard_joins`, applied to every ruleset a run is given): when
  the last cross-fact term of a join is false, durable-rules skips past the join's end marker
  and reads on through whatever memory follows — a segmentation fault or a wrong match,
  depending on the heap;
- an exception inside an action, or raised by the engine, becomes an ``error`` finding.

The findings are identical to the plain backend's (a differential test checks that).
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..models.events import Event
from ..outcomes import Outcome
from ..packs.monitors import CompiledMonitor
from .findings import GroupKey, MonitorFinding, finding
from .kinds.base import kind_of

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


class Run:
    """One monitor over one event log, on its own host and ruleset."""

    def __init__(self, mon: CompiledMonitor, rules: dict[str, dict[str, Any]]) -> None:
        self.mon = mon
        with _lock:
            self.name = f"pe_{mon.pack_id}_{mon.id}_{next(_names)}".replace(".", "_")
        self.fired: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[str] = []
        definition: dict[str, Any] = {}
        for rule_name, rule in rules.items():
            # a fresh copy: durable-rules keeps (and may change) what it is given
            definition[rule_name] = {**guard_joins(copy.deepcopy(rule)), "run": self._action(rule_name)}
        #: the rules as given to durable-rules (without the actions), for tests to inspect
        self.rules = {n: {k: v for k, v in r.items() if k != "run"} for n, r in definition.items()}
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


def ref(name: str, fld: str) -> dict[str, str]:
    return {name: fld}


ALWAYS = {"ok": 1}  # every fact carries ok: 1


def _refs(term: Any) -> list[str]:
    """The other facts a condition term refers to (``{fact: field}`` values), in order."""
    if not isinstance(term, dict):
        return []
    out = []
    for k, v in term.items():
        if isinstance(v, dict) and len(v) == 1:
            ((name, fld),) = v.items()
            if k.startswith("$"):
                out += _refs(v)
            elif isinstance(fld, str) and not name.startswith("$"):
                out.append(name)
        elif isinstance(v, list):
            for t in v:
                out += _refs(t)
    return out


def guard_joins(rule: dict[str, Any]) -> dict[str, Any]:
    """``rule`` with every join ending in an always-true cross-fact term.

    A join is an ``$and`` that refers to another fact; its last such term becomes
    ``{"ok": {other: "ok"}}`` (every fact has ``ok: 1``), followed by the plain ``{"ok": 1}``.
    A join already so ended is left as it is, so this is idempotent."""
    for fact in rule.get("all", []):
        for name, cond in fact.items():
            terms = cond.get("$and") if isinstance(cond, dict) else None
            if not isinstance(terms, list):
                continue
            cross = [t for t in terms if _refs(t)]
            if not cross:
                continue
            last = cross[-1]
            if list(last) == ["ok"] and _refs(last):
                continue
            rest = [t for t in terms if t != ALWAYS]
            fact[name] = {"$and": [*rest, {"ok": {_refs(cross[0])[0]: "ok"}}, ALWAYS]}
    return rule


def and_(*terms: dict[str, Any]) -> dict[str, Any]:
    """A conjunction whose last term is always true: a cross-fact reference must never be the
    last term of an `$and` (the crash in jruizgit/rules#381)."""
    return {"$and": [*terms, ALWAYS]}


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    """Run one monitor on durable-rules: its kind's durable run (see :mod:`.kinds`)."""
    if not AVAILABLE:  # pragma: no cover
        raise RuntimeError(f"durable-rules is not available here ({IMPORT_ERROR})")
    return kind_of(mon).durable(mon, events, until, params)


def errors(mon: CompiledMonitor, run: Run) -> list[MonitorFinding]:
    """The run's engine and action errors, as error findings (never lost)."""
    return [finding(mon, Outcome.ERROR, [], {"why_zh": e, "why_en": e}) for e in run.errors]


def key_text(key: GroupKey) -> str:
    """A group key as a fact value (durable-rules compares strings)."""
    return json.dumps(key, ensure_ascii=False)


def key_of(text: str) -> GroupKey:
    return tuple((k, v) for k, v in json.loads(text))


def days(events: Sequence[Event]) -> list[tuple[date, list[Event]]]:
    """Events grouped by day, days in order."""
    by_day: dict[date, list[Event]] = defaultdict(list)
    for e in events:
        by_day[e.date].append(e)
    return sorted(by_day.items())
