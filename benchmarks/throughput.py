"""Engine throughput against hand-written checks and durable-rules, measured in one run.

Prints records/s and µs per rule evaluation (traces on and off), and the ratios
engine / hand-written Python and engine / durable-rules for the same checks, durable-rules fed
both as events (`post`) and as facts (asserted, then retracted). Candidates are measured
interleaved in slices with process CPU time (see measure.py); `--slice` and `--rounds` set
the slice size in records and the number of rounds.

    python benchmarks/throughput.py [--records 20000] [--seed 1] [--slice 1000] [--rounds 40]
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from handwritten import lanzhou  # noqa: E402
from measure import interleave, method_line  # noqa: E402

from policyengine import Engine  # noqa: E402
from policyengine._yaml import load_yaml_file, strip_positions  # noqa: E402
from policyengine.models import BUILTIN_SUBJECTS, validate_record  # noqa: E402
from policyengine.testing.cases import set_path  # noqa: E402

AS_OF = date(2023, 9, 28)

# How a real assessment's records differ from the example: facts changed or left out.
CHANGES: list[tuple[str, Any]] = [
    ("community.site.area_m2", 280),
    ("staff[1].certification", "none"),
    ("budget.total", "29万"),
    ("operator.blacklisted", True),
    ("community.street_support.computers", 1),
    ("period.end", "2023-10-30"),
    ("services[0].government_duty", True),
    ("operator.governance.independent_bank_account", False),
]
REMOVALS = [
    "community.site.area_m2",
    "operator",
    "staff[2].certification",
    "budget.lines",
    "reports",
    "community.application",
    "services[1].domain",
]


def example(pack: str, name: str) -> dict[str, Any]:
    return strip_positions(load_yaml_file(ROOT / "packs" / pack / "examples" / name))


def project_dicts(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """Roughly 50% compliant, 30% with a failing fact, 20% with a missing fact."""
    rng = random.Random(seed)
    base = example("lanzhou_2022", "project.yaml")
    for i in range(n):
        rec = copy.deepcopy(base)
        rec["id"] = f"LZ-{i}"
        r = rng.random()
        if r < 0.3:
            for path, value in rng.sample(CHANGES, rng.randint(1, 3)):
                set_path(rec, path, value)
        elif r < 0.5:
            set_path(rec, rng.choice(REMOVALS), None)
        yield rec


def lanzhou_records(n: int, seed: int) -> list[Any]:
    return [validate_record(rec, BUILTIN_SUBJECTS) for rec in project_dicts(n, seed)]


def mixed_records(n: int, seed: int) -> list[Any]:
    """Every shipped example kind, in the proportions of a county's quarterly batch."""
    rng = random.Random(seed)
    pool = [(p.parent.parent.name, p.name) for p in sorted((ROOT / "packs").glob("*/examples/*.yaml"))]
    bases = [example(pack, name) for pack, name in pool]
    out = []
    for i in range(n):
        rec = copy.deepcopy(rng.choice(bases))
        rec["id"] = f"R-{i}"
        out.append(validate_record(rec, BUILTIN_SUBJECTS))
    return out


def each(fn: Any) -> Any:
    """A candidate for :func:`measure.interleave`: ``fn`` applied to every record of a slice,
    the result dropped, as a streaming batch does (keeping 20,000 traced reports alive would
    mostly measure the garbage collector)."""

    def run(records: Any) -> None:
        for r in records:
            fn(r)

    return run


# The ten flat Lanzhou checks given to durable-rules, and the engine's rules they stand for.
DURABLE_CHECKS: dict[str, dict[str, Any]] = {
    "budget.total": {"$neq": {"budget_total": 300000}},
    "community.service_area": {"$lt": {"area": 300}},
    "operator.registered": {"registered": False},
    "operator.bank_account": {"bank": False},
    "operator.not_blacklisted": {"blacklisted": True},
    "street.office_space": {"office": False},
    "street.liaison": {"liaison": False},
    "street.station_plaque": {"plaque": False},
    "community.contact_person": {"contact": False},
    "street.equipment": {"$lt": {"computers": 2}},
}


def flat_facts(r: Any, i: int) -> dict[str, Any]:
    """The nested record flattened to the fields the ten checks read (a missing fact becomes a
    failing value: durable-rules has no unknown outcome)."""
    c, o = r.community, r.operator
    st = c.street_support if c else None
    return {
        "id": i,
        "budget_total": float(r.budget.total) if r.budget and r.budget.total is not None else -1,
        "area": float(c.site.area_m2) if c and c.site and c.site.area_m2 is not None else -1,
        "registered": bool(o and o.registered_with_civil_affairs),
        "bank": bool(o and o.governance and o.governance.independent_bank_account),
        "blacklisted": bool(o and o.blacklisted),
        "office": bool(st and st.office_space),
        "liaison": bool(st and st.liaison),
        "plaque": bool(st and st.station_plaque_hung),
        "contact": bool(c and c.contact_person),
        "computers": st.computers if st and st.computers else 0,
    }


def check_fails(cond: dict[str, Any], fact: dict[str, Any]) -> bool:
    """One durable-rules condition evaluated in Python: does the check fire on this fact?"""
    if "$neq" in cond:
        ((k, v),) = cond["$neq"].items()
        return bool(fact[k] != v)
    if "$lt" in cond:
        ((k, v),) = cond["$lt"].items()
        return bool(fact[k] < v)
    ((k, v),) = cond.items()
    return bool(fact[k] == v)


class DurableChecks:
    """The ten checks as one durable-rules ruleset, fed two ways.

    ``post`` sends each record as an event: an event is consumed by the first rule that matches,
    so a record failing several checks fires one action. ``facts`` asserts each record as a fact
    and retracts it afterwards: a fact stays while every rule matching it fires, so every failing
    check fires. Actions run inside the call (a host without dispatch threads)."""

    def __init__(self) -> None:
        from durable.engine import MessageNotHandledException

        from policyengine.monitor.durable import _QuietHost

        self.not_handled = MessageNotHandledException
        self.fired: list[str] = []

        def action(name: str) -> Any:
            return lambda c: self.fired.append(name)

        self.host = _QuietHost(
            {
                "bench": {
                    name.replace(".", "_"): {"all": [{"m": cond}], "run": action(name)}
                    for name, cond in DURABLE_CHECKS.items()
                }
            }
        )

    def post(self, payloads: Any) -> None:
        self.fired.clear()
        for p in payloads:
            try:
                self.host.post("bench", p)
            except self.not_handled:  # durable-rules' way of saying "no rule fired"
                pass

    def facts(self, payloads: Any) -> None:
        self.fired.clear()
        for p in payloads:
            try:
                self.host.assert_fact("bench", p)
            except self.not_handled:
                pass
            self.host.retract_fact("bench", p)

    def firings(self, feed: Any, payloads: Any) -> int:
        """Actions fired over all ``payloads`` (untimed; slices clear the list)."""
        feed(payloads)
        return len(self.fired)


def durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401

        from policyengine.monitor.durable import AVAILABLE
    except Exception:
        return False
    return AVAILABLE


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slice", type=int, default=1000, help="records per slice (default 1000)")
    ap.add_argument("--rounds", type=int, default=40, help="rounds per comparison (default 40)")
    args = ap.parse_args()
    size = min(args.slice, args.records)
    durable_size = min(DURABLE_SLICE_FACTOR * args.slice, args.records)
    print(
        method_line(
            size,
            args.rounds,
            f" ({durable_size:,} records for the ten-check durable-rules comparison, "
            f"{max(args.rounds // 4, 3)} rounds for single figures)",
        )
    )
    print(f"# throughput ({args.records} records, seed {args.seed})")
    recs = lanzhou_records(args.records, args.seed)
    engine = Engine.from_packs(["lanzhou_2022"])
    n_rules = len(engine.packs[0].rules)

    # the two must agree on every record before a ratio means anything
    mismatches = 0
    verdicts: Counter[str] = Counter()
    for r in recs:
        report = engine.evaluate(r, as_of=AS_OF, trace=False)
        verdicts[report.verdict.value] += 1
        if {f.rule: f.outcome.value for f in report.findings} != lanzhou(r, AS_OF):
            mismatches += 1
    print(
        f"lanzhou_2022: {n_rules} rules; verdict mix {dict(sorted(verdicts.items()))}; "
        f"engine vs hand-written disagree on {mismatches} records"
    )
    if mismatches:
        raise SystemExit("the hand-written checks do not match the engine: no ratio to report")

    t = interleave(
        {
            "off": each(lambda r: engine.evaluate(r, as_of=AS_OF, trace=False)),
            "on": each(lambda r: engine.evaluate(r, as_of=AS_OF, trace=True)),
            "hand": each(lambda r: lanzhou(r, AS_OF)),
        },
        recs,
        size,
        args.rounds,
    )
    for label, name in (("engine, traces off", "off"), ("engine, traces on", "on"), ("hand-written", "hand")):
        print(
            f"{label + ':':20s}{t.rate(name):,.0f} records/s, "
            f"{t.seconds(name) / (size * n_rules) * 1e6:.2f} µs per rule "
            f"(wall {t.rate(name, 'wall'):,.0f} records/s)"
        )
    print(f"ratio engine/hand-written throughput, traces off: {t.describe('off', 'hand')}  (target >= 0.5)")
    print(f"ratio engine/hand-written throughput, traces on:  {t.describe('on', 'hand')}")

    if not durable_available():
        print("durable-rules: not available on this Python")
    else:
        durable_comparison(engine, recs, durable_size, args.rounds)

    single = max(args.rounds // 4, 3)
    mixed = mixed_records(args.records, args.seed)
    everything = Engine.from_packs(
        sorted(p.name for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())
    )
    timed_records = mixed[: size * min(single, len(mixed) // size)]  # the slices the rounds use
    n_find = sum(len(everything.evaluate(r, as_of=AS_OF, trace=False).findings) for r in timed_records)
    per_record = n_find / len(timed_records)
    t_all = interleave(
        {"all": each(lambda r: everything.evaluate(r, as_of=AS_OF, trace=False))}, mixed, size, single
    )
    print(
        f"all {len(everything.packs)} shipped packs over every example kind: "
        f"{t_all.rate('all'):,.0f} records/s, "
        f"{t_all.seconds('all') / (size * per_record) * 1e6:.2f} µs per rule "
        f"({per_record:.1f} rules per record; wall {t_all.rate('all', 'wall'):,.0f} records/s)"
    )
    raw = list(project_dicts(args.records, args.seed))
    t_val = interleave({"val": each(lambda r: validate_record(r, BUILTIN_SUBJECTS))}, raw, size, single)
    print(
        f"record validation alone (pydantic, YAML-shaped dicts to models; not in the figures above): "
        f"{t_val.rate('val'):,.0f} records/s (wall {t_val.rate('val', 'wall'):,.0f})"
    )


DURABLE_SLICE_FACTOR = 5  # the ten checks cost about a fifth of the 39 rules: similar slice times


def durable_comparison(engine: Engine, recs: list[Any], size: int, rounds: int) -> None:
    """The engine on the ten rules, reading the nested record, against durable-rules on the same
    ten checks over flattened records, fed as events (`post`) and as facts."""
    from dataclasses import replace

    sub = [r for r in engine.packs[0].rules if r.id in DURABLE_CHECKS]
    assert len(sub) == len(DURABLE_CHECKS), "a rule of the durable comparison left the pack"
    small = Engine([replace(engine.packs[0], rules=sub)])
    dr = DurableChecks()
    flat = [flat_facts(r, i) for i, r in enumerate(recs)]
    failing = sum(check_fails(cond, f) for f in flat for cond in DURABLE_CHECKS.values())
    failing_records = sum(any(check_fails(cond, f) for cond in DURABLE_CHECKS.values()) for f in flat)
    by_facts = dr.firings(dr.facts, flat)
    by_post = dr.firings(dr.post, flat)
    print(
        f"durable-rules, {len(DURABLE_CHECKS)} flat checks over {len(flat)} records: "
        f"{failing} failing checks on {failing_records} records; "
        f"firings with facts {by_facts}, with post {by_post}"
    )
    print(
        f"facts firings == failing checks: {by_facts == failing}; "
        f"post firings == records with a failing check: {by_post == failing_records} "
        "(an event is consumed by the first matching rule)"
    )
    t = interleave(
        {
            "engine": each(lambda r: small.evaluate(r, as_of=AS_OF, trace=False)),
            "flatten": each(lambda r: flat_facts(r, 0)),
            "post": dr.post,
            "facts": dr.facts,
        },
        recs,
        size,
        rounds,
        forms={"post": flat, "facts": flat},  # the same records, already flattened
    )
    print(
        f"engine, the same {len(sub)} rules: {t.rate('engine'):,.0f} records/s; durable-rules: "
        f"post {t.rate('post'):,.0f}, facts {t.rate('facts'):,.0f} records/s (records already flattened), "
        f"flattening alone {t.rate('flatten'):,.0f} records/s"
    )
    print(
        f"ratio engine/durable-post throughput: {t.describe('engine', 'post')} against posting alone, "
        f"{t.ratio('engine', ['flatten', 'post']):.2f} against flattening and posting"
    )
    print(
        f"ratio engine/durable-facts throughput: {t.describe('engine', 'facts')} against asserting and "
        f"retracting alone, {t.ratio('engine', ['flatten', 'facts']):.2f} against flattening too"
    )
    print("  (durable-rules reports failures only: no unknown outcome, no finding objects)")


if __name__ == "__main__":
    main()
