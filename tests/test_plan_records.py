"""Records for the plan's differential tests: the shipped examples, changed one fact at a time,
and records built at random from the subject models, with values drawn from the packs' own
parameters and literals (so thresholds are met, missed and hit exactly) — passing, failing
and incomplete rows mixed. A helper module of tests/test_plan.py; the tests here check that
the batches really are mixed."""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from policyengine.errors import RecordError
from policyengine.lang import ast
from policyengine.models import validate_record
from policyengine.models.base import Subject
from policyengine.models.introspect import field_type_info
from policyengine.packs.runtime import Pack
from policyengine.plan.layout import _is_int

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Pools:
    strings: list[str] = field(default_factory=list)
    numbers: list[Decimal] = field(default_factory=list)
    ints: list[int] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)
    literals: list[str] = field(default_factory=list)  # the strings the rules write


def _literals(node: ast.Node, pools: Pools) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.String):
            pools.strings.append(n.value)
            pools.literals.append(n.value)
        elif isinstance(n, ast.Number):
            pools.numbers.append(n.value)
        stack.extend(ast.children(n))


def _add(value: Any, pools: Pools) -> None:
    if isinstance(value, list):
        for v in value:
            _add(v, pools)
    elif isinstance(value, bool):
        return
    elif isinstance(value, (int, Decimal)):
        d = Decimal(value)
        pools.numbers.extend([d, d + 1, d - 1, d + Decimal("0.01"), d * 2, d / 2])
        if d == d.to_integral_value() and d >= 0:
            pools.ints.extend([int(d), int(d) + 1, max(0, int(d) - 1)])
    elif isinstance(value, date):
        pools.dates.extend([value, value + timedelta(days=1), value - timedelta(days=1)])
    elif isinstance(value, str):
        pools.strings.append(value)


def pools_for(packs: list[Pack], kind: str, as_of: date) -> Pools:
    pools = Pools(
        strings=["", "其他", "民政局", "社会工作服务试点项目", "河北省", "石家庄市"],
        numbers=[
            Decimal(0),
            Decimal("0.5"),
            Decimal(1),
            Decimal("280"),
            Decimal("300000.00"),
            Decimal("1E+6"),
        ],
        ints=[0, 1, 2, 3, 5, 10, 2020, 2022, 2023],
        dates=[
            as_of,
            as_of - timedelta(days=1),
            as_of + timedelta(days=1),
            date(2022, 9, 27),
            date(2023, 9, 27),
        ],
    )
    for pack in packs:
        params, _ = pack.params_at(as_of)
        for v in params.values():
            _add(v, pools)
        for _key, value in (pack.meta.region or {}).items():
            pools.strings.extend([value, re.sub(r"(省|市|县|区|自治区)$", "", value)])
        for rule in pack.rules_for(kind):
            for cond in (rule.when, rule.require):
                if cond is not None:
                    _literals(cond.checked.root, pools)
    words = sorted({w for w in pools.literals if len(w) > 1})
    pools.strings += [a + b for a in words for b in words if a != b]  # 试点 + 社工服务 in one name
    for d in list(pools.dates):
        pools.dates.extend([d + timedelta(days=365), d - timedelta(days=365)])
    pools.numbers = [n for n in pools.numbers if abs(n) < Decimal("1E+12")]
    return pools


def seeds_for(kind: str) -> list[dict[str, Any]]:
    """Every shipped example and test-case record of ``kind``."""
    found = []
    for path in sorted((ROOT / "packs").glob("*/examples/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == kind:
            found.append(data)
    return found


def _value(annotation: Any, rng: random.Random, pools: Pools, depth: int) -> Any:
    info = field_type_info(annotation)
    if info.kind == "bool":
        return rng.random() < 0.6
    if info.kind == "string":
        if info.choices:
            return rng.choice(info.choices)
        return rng.choice(pools.strings)
    if info.kind == "number":
        return rng.choice(pools.ints) if _is_int(annotation) else rng.choice(pools.numbers)
    if info.kind == "date":
        return rng.choice(pools.dates)
    if info.kind == "model" and info.model is not None:
        return random_record(info.model, rng, pools, depth + 1) if depth < 3 else None
    if info.kind == "list" and info.item is not None:
        n = rng.choice([0, 1, 1, 2, 3, 3, 5, 8])
        item_ann = _item_annotation(annotation)
        return [v for v in (_value(item_ann, rng, pools, depth + 1) for _ in range(n)) if v is not None]
    return None


def _item_annotation(annotation: Any) -> Any:
    import typing

    while True:
        origin = typing.get_origin(annotation)
        if origin is list:
            return typing.get_args(annotation)[0]
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]


def random_record(model: type[BaseModel], rng: random.Random, pools: Pools, depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "kind":
            continue
        if rng.random() < (0.1 if depth == 0 else 0.15):
            continue
        value = _value(info.annotation, rng, pools, depth)
        if value is not None:
            out[name] = value
    if depth == 0 and issubclass(model, Subject):
        out["kind"] = model.kind_name
    return out


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in [(*path, k), *_leaves(v, (*path, k))] if k != "kind"]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in [(*path, i), *_leaves(v, (*path, i))]]
    return []


def _set(record: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> None:
    node = record
    for step in path[:-1]:
        node = node[step]
    if delete:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node.pop(path[-1])
    else:
        node[path[-1]] = value


def mutate(record: dict[str, Any], rng: random.Random, pools: Pools) -> dict[str, Any]:
    """The record with one to three facts changed: removed, replaced, emptied."""
    out = copy.deepcopy(record)
    for _ in range(rng.choice([1, 1, 2, 3])):
        leaves = _leaves(out)
        if not leaves:
            break
        path = rng.choice(leaves)
        node = out
        for step in path:
            node = node[step]
        action = rng.random()
        if action < 0.4:
            _set(out, path, None, delete=True)
        elif isinstance(node, list):
            _set(out, path, [] if action < 0.7 else node[: len(node) // 2])
        elif isinstance(node, bool):
            _set(out, path, not node)
        elif isinstance(node, (int, float, Decimal)) or (isinstance(node, str) and node[:1].isdigit()):
            _set(out, path, rng.choice(pools.numbers + [Decimal(i) for i in pools.ints]))
        elif isinstance(node, date):
            _set(out, path, rng.choice(pools.dates))
        elif isinstance(node, str):
            _set(out, path, rng.choice(pools.strings))
    return out


def _drop_refused(record: dict[str, Any], exc: RecordError) -> bool:
    dropped = False
    for problem in exc.problems:
        where = problem.location.path if problem.location else None
        if not where:
            return False
        steps = [int(i) if i else n for n, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", where)]
        try:
            node = record
            for step in steps[:-1]:
                node = node[step]
            if isinstance(node, list):
                node[steps[-1]] = {}
            else:
                node.pop(steps[-1], None)
            dropped = True
        except (KeyError, IndexError, TypeError):
            return False
    return dropped


def valid(record: dict[str, Any], subjects: dict[str, type[Subject]], kind: str) -> Subject | None:
    for _ in range(6):
        try:
            return validate_record(record, subjects, kind=kind)
        except RecordError as exc:
            if not _drop_refused(record, exc):
                return None
    return None


def batch(
    packs: list[Pack], kind: str, subjects: dict[str, type[Subject]], n: int, seed: int, as_of: date
) -> list[Subject]:
    """``n`` records of ``kind``: the examples, mutated examples, random records."""
    rng = random.Random(seed)
    pools = pools_for(packs, kind, as_of)
    seeds = seeds_for(kind)
    model = subjects[kind]
    out: list[Subject] = []
    while len(out) < n:
        roll = rng.random()
        if seeds and roll < 0.1:
            record = copy.deepcopy(rng.choice(seeds))
        elif seeds and roll < 0.65:
            record = mutate(rng.choice(seeds), rng, pools)
        else:
            record = random_record(model, rng, pools)
        _in_scope(record, packs, model, rng, pools)
        subject = valid(record, subjects, kind)
        if subject is not None:
            out.append(subject)
    return out


def _in_scope(
    record: dict[str, Any], packs: list[Pack], model: type[BaseModel], rng: random.Random, pools: Pools
) -> None:
    """Most records in a pack's region (else it judges nothing), many at the level rules ask."""
    regions = [p.meta.region for p in packs if p.meta.region]
    if regions and "region" in model.model_fields and rng.random() < 0.8:
        region = dict(rng.choice(regions))
        if rng.random() < 0.2:
            region = {k: re.sub(r"(省|市|县|区)$", "", v) for k, v in region.items()}
        if rng.random() < 0.1:
            region.pop(rng.choice(sorted(region)), None)
        for level in ("city", "county"):
            if level not in region and rng.random() < 0.5:
                region[level] = rng.choice(pools.strings)
        record["region"] = region
    if "level" in model.model_fields and rng.random() < 0.5:
        record["level"] = "township_station"


def test_a_batch_mixes_passing_failing_and_incomplete_rows() -> None:
    from policyengine import Engine

    engine = Engine.from_packs(["lanzhou_2022"])
    as_of = date(2023, 9, 30)
    records = batch(list(engine.packs), "project", dict(engine.subjects), 300, 1, as_of)
    verdicts = {engine.evaluate(r, as_of=as_of, trace=False).verdict.value for r in records}
    assert {"compliant", "non_compliant", "incomplete"} <= verdicts
