"""``extends:``: read a pack and its ancestors, then merge them into one table.

The merge runs from the root ancestor down to the pack itself: a later file adds to, replaces
(same id) or removes (``remove:``) what the files above it declared. Each entry keeps the file
and position it came from, so that later passes report problems where they are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._yaml import YamlMap
from ..errors import PackError, PackNotFoundError, Problem, did_you_mean
from .citations import check_cite
from .reading import PackSourceFile, read_pack_file
from .schema import Correlation, Monitor, NotChecked, Parameter, Rule, Scorecard, Source

#: Maps an ``extends:`` value and the directory of the pack that says it to a pack directory.
Resolver = Callable[[str, Path], Path]


@dataclass
class Merged:
    """One pack and everything it extends, merged: each entry with the file it came from."""

    chain: list[PackSourceFile]  # this pack first, then what it extends
    sources: dict[str, tuple[Source, PackSourceFile]] = field(default_factory=dict)
    #: name → (parameter, file, id of that file's first source)
    params: dict[str, tuple[Parameter, PackSourceFile, str]] = field(default_factory=dict)
    rules: dict[str, tuple[Rule, PackSourceFile, int]] = field(default_factory=dict)
    cards: dict[str, tuple[Scorecard, PackSourceFile, int]] = field(default_factory=dict)
    monitors: dict[str, tuple[Monitor, PackSourceFile, int]] = field(default_factory=dict)
    correlations: dict[str, tuple[Correlation, PackSourceFile, int]] = field(default_factory=dict)
    not_checked: list[NotChecked] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def top(self) -> PackSourceFile:
        return self.chain[0]

    @property
    def pack_id(self) -> str:
        return self.top.model.pack.id


#: The longest ``extends:`` chain (a pack and its ancestors).
MAX_EXTENDS = 16
#: Whether ``extends:`` may name a directory outside the one holding the pack (``--allow-outside``).
ALLOW_OUTSIDE = False


def read_chain(directory: Path, resolve: Resolver) -> list[PackSourceFile]:
    """This pack and its ancestors, child first.

    An ``extends:`` path (one with a ``/`` or starting with ``.``) must stay inside the
    directory holding the pack (its siblings, ``../base``, are fine; ``../../x``, an absolute
    path or a link out of it are not) unless :data:`ALLOW_OUTSIDE`; a bare name is a
    registered pack id first; the chain is at most :data:`MAX_EXTENDS` packs long.
    """
    chain: list[PackSourceFile] = []
    seen: dict[str, Path] = {}
    current: Path | None = directory
    while current is not None:
        src = read_pack_file(current)
        if len(chain) >= MAX_EXTENDS:
            raise PackError(
                [
                    Problem(
                        f"`extends:` chains more than {MAX_EXTENDS} packs",
                        src.location(("extends",)),
                        "a policy seldom builds on more than two or three others: shorten the chain",
                        "extends",
                    )
                ]
            )
        pid = src.model.pack.id
        if pid in seen:
            raise PackError(
                [
                    Problem(
                        f"`extends:` goes round in a circle: {' → '.join([*seen, pid])}",
                        src.location(("extends",)),
                        "remove one of the `extends:` lines",
                        "extends",
                    )
                ]
            )
        seen[pid] = src.path
        chain.append(src)
        parent = src.model.extends
        if parent is None:
            current = None
        else:
            try:
                current = resolve(parent, src.path.parent)
            except PackNotFoundError:
                raise PackError(
                    [
                        Problem(
                            f"`extends: {parent}` names no known pack",
                            src.location(("extends",), value=True),
                            "give a registered pack id (see `policyengine packs`) or a relative path",
                            "extends",
                        )
                    ]
                ) from None
            _confined(parent, current, src.path.resolve().parent.parent, src)
    return chain


def _confined(parent: str, target: Path, root: Path, src: PackSourceFile) -> None:
    path_like = "/" in parent or "\\" in parent or parent.startswith(".")
    if ALLOW_OUTSIDE or not path_like:
        return
    try:
        inside = target.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise PackError(
            [
                Problem(
                    f"`extends: {parent}` leads outside {root} (继承路径超出政策包所在目录)",
                    src.location(("extends",), value=True),
                    "name a registered pack id or a pack beside this one; --allow-outside if you trust it",
                    "extends",
                )
            ]
        )


def merge(chain: list[PackSourceFile]) -> Merged:
    """Merge the chain from the root ancestor down; problems are collected, not raised."""
    merged = Merged(chain)
    for src in reversed(chain):
        merged.problems.extend(src.problems)
        _merge_sources(merged, src)
        _apply_remove(merged, src)
        _merge_parameters(merged, src)
        _merge_rules(merged, src)
        for card, i in _with_positions(src, "scorecards", src.model.scorecards):
            merged.cards[card.id] = (card, src, i)
        for mon, i in _with_positions(src, "monitors", src.model.monitors):
            merged.monitors[mon.id] = (mon, src, i)
        _merge_correlations(merged, src)
        for i, nc in enumerate(src.model.not_checked):
            merged.problems.extend(check_cite(nc.cite, src, ("not_checked", i, "cite"), merged.sources))
            merged.not_checked.append(nc)
        eff = src.model.pack.effective
        if eff and eff.from_ and eff.to and eff.from_ > eff.to:
            merged.problems.append(
                Problem(
                    "`effective.from` is after `effective.to`",
                    src.location(("pack", "effective")),
                    None,
                    "schema",
                )
            )
    return merged


def _merge_sources(merged: Merged, src: PackSourceFile) -> None:
    for i, s in enumerate(src.model.sources):
        if s.id in merged.sources and merged.sources[s.id][1] is src:
            merged.problems.append(
                Problem(
                    f"source id `{s.id}` is used twice",
                    src.location(("sources", i, "id"), value=True),
                    "give each source its own id",
                    "duplicate",
                )
            )
        merged.sources[s.id] = (s, src)


def _apply_remove(merged: Merged, src: PackSourceFile) -> None:
    remove = src.model.remove
    if not remove:
        return
    tables: list[tuple[str, str, list[str], dict[str, Any]]] = [
        ("parameter", "parameters", remove.parameters, merged.params),
        ("rule", "rules", remove.rules, merged.rules),
        ("monitor", "monitors", remove.monitors, merged.monitors),
        ("scorecard", "scorecards", remove.scorecards, merged.cards),
        ("correlation", "correlations", remove.correlations, merged.correlations),
    ]
    for what, key, names, table in tables:
        for i, name in enumerate(names):
            if table.pop(name, None) is None:
                merged.problems.append(_unknown(what, name, table, src, ("remove", key, i)))


def _merge_parameters(merged: Merged, src: PackSourceFile) -> None:
    m = src.model
    first_source = m.sources[0].id if m.sources else None
    for name, param in m.parameters.items():
        merged.params[name] = (param, src, first_source or "")
        for d, pv in param.values.items():
            loc = ("parameters", name, "values", d, "cite")
            merged.problems.extend(check_cite(pv.cite, src, loc, merged.sources))


def _merge_rules(merged: Merged, src: PackSourceFile) -> None:
    ids_here: dict[str, int] = {}
    positions = src.rule_index or list(range(len(src.model.rules)))
    for i, rule in zip(positions, src.model.rules, strict=True):
        if rule.id in ids_here:
            merged.problems.append(
                Problem(
                    f"rule id `{rule.id}` is used twice in this file (first at rules[{ids_here[rule.id]}])",
                    src.location(("rules", i, "id"), value=True),
                    "rule ids must be unique; to replace an inherited rule, reuse its id once",
                    "duplicate",
                )
            )
            continue
        ids_here[rule.id] = i
        merged.rules[rule.id] = (rule, src, i)


def _merge_correlations(merged: Merged, src: PackSourceFile) -> None:
    seen: set[str] = set()
    for corr, i in _with_positions(src, "correlations", src.model.correlations):
        if corr.id in seen:
            merged.problems.append(
                Problem(
                    f"correlation id `{corr.id}` is used twice in this file",
                    src.location(("correlations", i, "id"), value=True),
                    "correlation ids must be unique; to replace an inherited one, reuse its id once",
                    "duplicate",
                )
            )
            continue
        seen.add(corr.id)
        merged.correlations[corr.id] = (corr, src, i)


def _with_positions(src: PackSourceFile, section: str, items: list[Any]) -> list[tuple[Any, int]]:
    """Each validated item of a section with its index in the file's list (by id)."""
    raw = src.data.get(section) if isinstance(src.data, YamlMap) else None
    positions = {
        x.get("id"): i for i, x in enumerate(raw if isinstance(raw, list) else []) if isinstance(x, dict)
    }
    return [(item, positions.get(item.id, 0)) for item in items]


def _unknown(
    what: str, name: str, known: Mapping[str, Any], src: PackSourceFile, loc: tuple[Any, ...]
) -> Problem:
    suggestion = did_you_mean(name, known)
    return Problem(
        f"cannot remove {what} `{name}`: the packs this one extends have none",
        src.location(loc, value=True),
        f"did you mean `{suggestion}`?" if suggestion else None,
        "extends",
    )
