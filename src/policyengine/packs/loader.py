"""Load, validate, resolve (``extends:``) and compile packs.

Every problem is collected with its file, line and column and reported together:
YAML problems, schema problems (unknown keys with "did you mean"), condition problems
(syntax, unknown fields, types), duplicate ids, unknown subjects, citations to unknown
sources, ``extends:`` cycles.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from .._format import format_value
from .._yaml import Pos, YamlMap, load_yaml_file, locate, strip_positions, value_pos
from ..errors import (
    ConditionError,
    Location,
    PackError,
    PackNotFoundError,
    Problem,
    did_you_mean,
)
from ..lang import Condition, Scope, compile_condition, type_of_value
from ..lang.compiler import MISSING, Ctx
from ..lang.functions import Function
from ..models.base import pydantic_problems
from ..models.introspect import ANY, TypeInfo
from ..monitor.spec import CompiledMonitor, check_monitor
from ..outcomes import Citation
from .schema import (
    Band,
    Cite,
    Dimension,
    Indicator,
    Monitor,
    NotChecked,
    PackFile,
    PackMeta,
    Parameter,
    Rule,
    Scorecard,
    Source,
    Text,
)

PACK_FILE = "pack.yaml"


# --------------------------------------------------------------------------------------
# Reading one file


@dataclass
class PackSourceFile:
    """One ``pack.yaml`` as read: its text, its positioned data and its validated model."""

    path: Path
    lines: list[str]
    data: Any
    model: PackFile
    #: schema problems found while reading; compilation goes on with what was valid
    problems: list[Problem] = field(default_factory=list)
    #: position of each of ``model.rules`` in the file's `rules:` list
    rule_index: list[int] | None = None
    #: parameters declared but invalid: rules may still name them without a second error
    broken_params: frozenset[str] = frozenset()

    def location(self, loc: tuple[Any, ...], *, value: bool = False) -> Location:
        pos = value_pos(self.data, loc) if value else locate(self.data, loc)[0]
        return self._loc(pos, loc)

    def _loc(self, pos: Pos | None, loc: tuple[Any, ...], length: int = 1) -> Location:
        if pos is None:
            return Location(str(self.path), path=_loc_text(loc))
        text = self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else None
        return Location(str(self.path), pos.line, pos.column, text, length, _loc_text(loc))

    def expr_location(self, loc: tuple[Any, ...], expr: str, start: int, end: int, base: int = 0) -> Location:
        """Location of characters ``start:end`` of the expression stored at ``loc``.

        ``base`` is the expression's offset inside the YAML string (message templates).
        """
        pos = value_pos(self.data, loc)
        if pos is None:
            return self._loc(None, loc)
        start += base
        end += base
        full = self._value_text(loc)
        length = max(1, end - start)
        if pos.style in (None, "'", '"') and "\n" not in full:
            quote = 1 if pos.style in ("'", '"') else 0
            line = pos.line
            col = pos.column + quote + start
            return self._loc(Pos(line, col), loc, length)
        if pos.style == "|":
            line_index = full.count("\n", 0, start)
            line_start = full.rfind("\n", 0, start) + 1
            line_no = pos.line + 1 + line_index
            if line_no <= len(self.lines):
                text = self.lines[line_no - 1]
                indent = len(text) - len(text.lstrip(" "))
                return self._loc(Pos(line_no, indent + (start - line_start) + 1), loc, length)
        # Folded or multi-line plain scalars: find the token's text in the lines below.
        token = full[start:end].strip() or full[start : start + 1]
        for line_no in range(pos.line, min(len(self.lines), pos.line + 200) + 1):
            col = self.lines[line_no - 1].find(token) if token else -1
            if col >= 0:
                return self._loc(Pos(line_no, col + 1), loc, len(token))
        return self._loc(pos, loc)

    def _value_text(self, loc: tuple[Any, ...]) -> str:
        node: Any = self.data
        for step in loc:
            node = node[step]
        return str(node)


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        if isinstance(step, date):
            step = step.isoformat()
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + str(step)
    return out


def read_pack_file(directory: Path) -> PackSourceFile:
    """Read and schema-check one pack directory's ``pack.yaml`` (no ``extends:`` yet)."""
    path = directory / PACK_FILE if directory.is_dir() else directory
    if not path.exists():
        raise PackNotFoundError(
            [
                Problem(
                    f"no {PACK_FILE} here",
                    Location(str(path)),
                    "a pack is a directory holding pack.yaml",
                    "not-found",
                )
            ]
        )
    data = load_yaml_file(path)
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    if not isinstance(data, YamlMap):
        raise PackError(
            [
                Problem(
                    "a pack file must be a mapping with a `pack:` section",
                    Location(str(path), 1, 1),
                    None,
                    "schema",
                )
            ]
        )
    try:
        model = PackFile.model_validate(data)
    except ValidationError as exc:
        stub = PackSourceFile(path, lines, data, PackFile.model_construct())  # type: ignore[call-arg]
        locs: list[tuple[Any, ...]] = []

        def where(loc: tuple[Any, ...]) -> Location:
            locs.append(loc)
            return stub.location(loc)

        problems = [
            _flow_comma_hint(p, loc, data)
            for p, loc in zip(pydantic_problems(exc, PackFile, where, code="schema"), locs, strict=True)
        ]
        salvaged, index = _salvage(data)
        if salvaged is None:
            raise PackError(problems) from None
        raw = data.get("parameters")
        broken = (
            frozenset(str(n) for n in raw if str(n) not in salvaged.parameters)
            if isinstance(raw, dict)
            else frozenset()
        )
        return PackSourceFile(path, lines, data, salvaged, problems, index, broken)
    return PackSourceFile(path, lines, data, model)


def _flow_comma_hint(problem: Problem, loc: tuple[Any, ...], data: Any) -> Problem:
    """`{quote: a, b}` makes `b` a key: say so instead of "unknown field `b`"."""
    if not problem.message.startswith("unknown field") or not loc:
        return problem
    parent: Any = data
    for step in loc[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return problem
    key = str(loc[-1])
    if isinstance(parent, YamlMap) and parent.pos.style == "{" and not (key.isascii() and key.isidentifier()):
        return Problem(
            problem.message,
            problem.location,
            "inside `{...}` a comma ends the value; put text that contains a comma in quotes, "
            'e.g. quote: "每个社区试点经费为30万元,共计300万元"',
            problem.code,
        )
    return problem


def _salvage(data: YamlMap) -> tuple[PackFile | None, list[int]]:
    """The valid parts of an invalid pack file, so that conditions can still be checked.

    Returns None when even the `pack:` header is unusable.
    """
    try:
        meta = PackMeta.model_validate(data.get("pack"))
    except ValidationError:
        return None, []

    def good(model: type[BaseModel], items: Any) -> list[tuple[int, Any]]:
        out = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            with contextlib.suppress(ValidationError):
                out.append((i, model.model_validate(item)))
        return out

    params: dict[str, Parameter] = {}
    raw_params = data.get("parameters")
    if isinstance(raw_params, dict):
        for name, raw in raw_params.items():
            with contextlib.suppress(ValidationError):
                params[str(name)] = Parameter.model_validate(raw)
    rules = good(Rule, data.get("rules"))
    extends = data.get("extends")
    model = PackFile.model_construct(
        pack=meta,
        extends=extends if isinstance(extends, str) else None,
        sources=[s for _, s in good(Source, data.get("sources"))],
        parameters=params,
        rules=[r for _, r in rules],
        remove=None,
        not_checked=[n for _, n in good(NotChecked, data.get("not_checked"))],
        scorecards=[c for _, c in good(Scorecard, data.get("scorecards"))],
        monitors=[x for _, x in good(Monitor, data.get("monitors"))],
    )
    return model, [i for i, _ in rules]


# --------------------------------------------------------------------------------------
# Compiled pieces


@dataclass(frozen=True)
class Template:
    """A message with ``{expr}`` placeholders, compiled against the rule's subject."""

    parts: tuple[str | Condition, ...]

    def render(self, ctx: Ctx, lang: str) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            mark = len(ctx.missing)
            try:
                value = part.run(ctx)
            except Exception:  # a message never breaks a finding
                value = MISSING
            del ctx.missing[mark:]
            out.append(format_value(value, lang))
        return "".join(out)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass
class CompiledRule:
    """A rule with its conditions compiled and its citation resolved."""

    pack_id: str
    rule: Rule
    source: Source | None
    when: Condition | None
    require: Condition
    message: dict[str, Template]
    origin: Path
    citation: Citation

    def __post_init__(self) -> None:
        title = self.rule.title
        #: title in both languages, built once (findings share it)
        self.titles: Mapping[str, str] = MappingProxyType({"zh": title.zh, "en": title.en or title.zh})
        #: every parameter the rule reads, for the "no value yet" check
        used = self.require.params_used
        if self.when is not None:
            used = used | self.when.params_used
        self.params_used: tuple[str, ...] = tuple(sorted(used))
        #: the untraced closures, called directly on the engine's fast path
        self.require_fast = self.require._fast
        self.when_fast = self.when._fast if self.when is not None else None
        #: findings that never vary when traces are off, built on first use
        self.cached: dict[str, Any] = {}

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def subject(self) -> str:
        return self.rule.subject

    @property
    def severity(self) -> str:
        return self.rule.severity


@dataclass(frozen=True)
class CompiledIndicator:
    dimension: Dimension
    indicator: Indicator
    condition: Condition | None
    value: Condition | None


@dataclass(frozen=True)
class CompiledScorecard:
    pack_id: str
    card: Scorecard
    indicators: tuple[CompiledIndicator, ...]

    @property
    def id(self) -> str:
        return self.card.id

    @property
    def subject(self) -> str:
        return self.card.subject


@dataclass
class Pack:
    """A loaded, resolved and compiled pack."""

    meta: PackMeta
    sources: dict[str, Source]
    parameters: dict[str, Parameter]
    rules: list[CompiledRule]
    not_checked: list[NotChecked]
    path: Path
    chain: list[str]  # ids from this pack up through what it extends
    content_hash: str
    scorecards: list[CompiledScorecard] = field(default_factory=list)
    monitors: list[CompiledMonitor] = field(default_factory=list)
    _param_cache: dict[date, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def title(self) -> Text:
        return self.meta.title

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    @property
    def examples_dir(self) -> Path:
        return self.path / "examples"

    def rules_for(self, subject: str) -> list[CompiledRule]:
        return [r for r in self.rules if r.subject == subject]

    def scorecards_for(self, subject: str) -> list[CompiledScorecard]:
        return [c for c in self.scorecards if c.subject == subject]

    def subjects(self) -> list[str]:
        return sorted({r.subject for r in self.rules} | {c.subject for c in self.scorecards})

    def in_effect(self, as_of: date) -> bool:
        eff = self.meta.effective
        if eff is None:
            return True
        if eff.from_ is not None and as_of < eff.from_:
            return False
        return not (eff.to is not None and as_of > eff.to)

    def params_at(self, as_of: date) -> tuple[dict[str, Any], dict[str, str]]:
        """Parameter values in force on ``as_of``, and the names that have none yet (→ why)."""
        cached = self._param_cache.get(as_of)
        if cached is not None:
            return cached
        values: dict[str, Any] = {}
        absent: dict[str, str] = {}
        for name, param in self.parameters.items():
            dates = sorted(param.values)
            i = bisect_right(dates, as_of)
            if i == 0:
                absent[name] = f"parameter `{name}` has no value before {dates[0].isoformat()}"
            else:
                values[name] = param.values[dates[i - 1]].value
        if len(self._param_cache) > 256:
            self._param_cache.clear()
        self._param_cache[as_of] = (values, absent)
        return values, absent

    def param_cite(self, name: str, as_of: date) -> Cite | None:
        param = self.parameters.get(name)
        if param is None:
            return None
        dates = sorted(d for d in param.values if d <= as_of)
        return param.values[dates[-1]].cite if dates else None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
        }


# --------------------------------------------------------------------------------------
# Resolution and compilation


Resolver = Callable[[str, Path], Path]


def load_pack(
    path: Path | str,
    *,
    subjects: Mapping[str, type[BaseModel]] | None = None,
    functions: Mapping[str, Function] | None = None,
    resolve: Resolver | None = None,
) -> Pack:
    """Load the pack in directory ``path`` (or its pack.yaml), with everything it extends.

    ``subjects`` and ``functions`` default to those registered through plugins; ``resolve``
    maps an ``extends:`` id to a directory (default: the plugin registry, then a path
    relative to the pack).
    """
    from ..plugins import default_functions, default_subjects, get_registry

    subjects = subjects if subjects is not None else default_subjects()
    functions = functions if functions is not None else default_functions()
    if resolve is None:
        resolve = get_registry().resolver()
    directory = Path(path)
    if directory.name == PACK_FILE:
        directory = directory.parent

    chain = _read_chain(directory, resolve)
    return _compile(chain, subjects, functions)


def _read_chain(directory: Path, resolve: Resolver) -> list[PackSourceFile]:
    """This pack and its ancestors, child first."""
    chain: list[PackSourceFile] = []
    seen: dict[str, Path] = {}
    current: Path | None = directory
    while current is not None:
        src = read_pack_file(current)
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
    return chain


def _compile(
    chain: Sequence[PackSourceFile],
    subjects: Mapping[str, type[BaseModel]],
    functions: Mapping[str, Function],
) -> Pack:
    problems: list[Problem] = []
    top = chain[0]
    # Merge from the root ancestor down to this pack.
    sources: dict[str, tuple[Source, PackSourceFile]] = {}
    params: dict[str, tuple[Parameter, PackSourceFile, str]] = {}
    rules: dict[str, tuple[Rule, PackSourceFile, int]] = {}
    cards: dict[str, tuple[Scorecard, PackSourceFile, int]] = {}
    monitors: dict[str, tuple[Monitor, PackSourceFile, int]] = {}
    not_checked: list[NotChecked] = []
    for src in reversed(chain):
        m = src.model
        problems.extend(src.problems)
        first_source = m.sources[0].id if m.sources else None
        for i, s in enumerate(m.sources):
            if s.id in sources and sources[s.id][1] is src:
                problems.append(
                    Problem(
                        f"source id `{s.id}` is used twice",
                        src.location(("sources", i, "id"), value=True),
                        "give each source its own id",
                        "duplicate",
                    )
                )
            sources[s.id] = (s, src)
        if m.remove:
            for i, name in enumerate(m.remove.parameters):
                if params.pop(name, None) is None:
                    problems.append(_unknown("parameter", name, params, src, ("remove", "parameters", i)))
            for i, rid in enumerate(m.remove.rules):
                if rules.pop(rid, None) is None:
                    problems.append(_unknown("rule", rid, rules, src, ("remove", "rules", i)))
            for i, mid in enumerate(m.remove.monitors):
                if monitors.pop(mid, None) is None:
                    problems.append(_unknown("monitor", mid, monitors, src, ("remove", "monitors", i)))
            for i, cid in enumerate(m.remove.scorecards):
                if cards.pop(cid, None) is None:
                    problems.append(_unknown("scorecard", cid, cards, src, ("remove", "scorecards", i)))
        for name, param in m.parameters.items():
            params[name] = (param, src, first_source or "")
            for d, pv in param.values.items():
                problems.extend(
                    _check_cite(pv.cite, src, ("parameters", name, "values", d, "cite"), m, sources)
                )
        ids_here: dict[str, int] = {}
        positions = src.rule_index or list(range(len(m.rules)))
        for i, rule in zip(positions, m.rules, strict=True):
            if rule.id in ids_here:
                problems.append(
                    Problem(
                        f"rule id `{rule.id}` is used twice in this file "
                        f"(first at rules[{ids_here[rule.id]}])",
                        src.location(("rules", i, "id"), value=True),
                        "rule ids must be unique; to replace an inherited rule, reuse its id once",
                        "duplicate",
                    )
                )
                continue
            ids_here[rule.id] = i
            rules[rule.id] = (rule, src, i)
        raw_cards = src.data.get("scorecards") if isinstance(src.data, YamlMap) else None
        card_positions = {
            c.get("id"): i
            for i, c in enumerate(raw_cards if isinstance(raw_cards, list) else [])
            if isinstance(c, dict)
        }
        for card in m.scorecards:
            cards[card.id] = (card, src, card_positions.get(card.id, 0))
        raw_monitors = src.data.get("monitors") if isinstance(src.data, YamlMap) else None
        monitor_positions = {
            x.get("id"): i
            for i, x in enumerate(raw_monitors if isinstance(raw_monitors, list) else [])
            if isinstance(x, dict)
        }
        for mon in m.monitors:
            monitors[mon.id] = (mon, src, monitor_positions.get(mon.id, 0))
        for i, nc in enumerate(m.not_checked):
            problems.extend(_check_cite(nc.cite, src, ("not_checked", i, "cite"), m, sources))
            not_checked.append(nc)
        eff = m.pack.effective
        if eff and eff.from_ and eff.to and eff.from_ > eff.to:
            problems.append(
                Problem(
                    "`effective.from` is after `effective.to`",
                    src.location(("pack", "effective")),
                    None,
                    "schema",
                )
            )

    param_types: dict[str, TypeInfo] = {
        name: ANY
        for src in chain
        for name in src.broken_params  # already reported
    }
    param_types.update(
        {name: type_of_value(p.values[min(p.values)].value) for name, (p, _, _) in params.items()}
    )
    compiled: list[CompiledRule] = []
    for rule, src, i in rules.values():
        base = ("rules", i)
        model = subjects.get(rule.subject)
        if model is None:
            suggestion = did_you_mean(rule.subject, subjects)
            problems.append(
                Problem(
                    f"unknown subject `{rule.subject}`",
                    src.location((*base, "subject"), value=True),
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"use one of {', '.join(sorted(subjects))}",
                    "unknown-subject",
                )
            )
            continue
        problems.extend(_check_cite(rule.cite, src, (*base, "cite"), src.model, sources))
        scope = Scope(model, param_types, functions)
        when = _compile_expr(rule.when, scope, src, (*base, "when"), problems) if rule.when else None
        require = _compile_expr(rule.require, scope, src, (*base, "require"), problems)
        message: dict[str, Template] = {}
        is_map = isinstance(src.data["rules"][i].get("message"), dict)
        for lang in ("zh", "en"):
            text = getattr(rule.message, lang)
            if text is None:
                continue  # no English text: the Chinese template serves both
            loc = (*base, "message", lang) if is_map else (*base, "message")
            tpl = _compile_template(text, scope, src, loc, problems)
            if tpl is not None:
                message[lang] = tpl
        if "zh" in message and "en" not in message and rule.message.en is None:
            message["en"] = message["zh"]
        if require is None or (rule.when and when is None) or len(message) < 2:
            continue
        cite_source = rule.cite.source or (src.model.sources[0].id if src.model.sources else None)
        source = sources[cite_source][0] if cite_source in sources else None
        compiled.append(
            CompiledRule(
                pack_id=top.model.pack.id,
                rule=rule,
                source=source,
                when=when,
                require=require,
                message=message,
                origin=src.path,
                citation=Citation(
                    source_id=cite_source,
                    document=source.title.zh if source else None,
                    clause=rule.cite.clause,
                    quote=rule.cite.quote,
                ),
            )
        )
    rule_subjects = {r.id: r.subject for r in compiled}
    compiled_cards = [
        c
        for card, src, i in cards.values()
        if (
            c := _compile_scorecard(
                card,
                src,
                ("scorecards", i),
                top.model.pack.id,
                subjects,
                param_types,
                functions,
                rule_subjects,
                sources,
                problems,
            )
        )
    ]
    compiled_monitors: list[CompiledMonitor] = []
    for mon, src, i in monitors.values():

        def where(*path: Any, _src: PackSourceFile = src, _i: int = i) -> Location:
            return _src.location(("monitors", _i, *path))

        found = check_monitor(mon, params, where)
        found += _check_cite(mon.cite, src, ("monitors", i, "cite"), src.model, sources)
        if found:
            problems.extend(found)
            continue
        cite_source = mon.cite.source or (src.model.sources[0].id if src.model.sources else None)
        source = sources[cite_source][0] if cite_source in sources else None
        compiled_monitors.append(
            CompiledMonitor(
                top.model.pack.id,
                mon,
                Citation(
                    source_id=cite_source,
                    document=source.title.zh if source else None,
                    clause=mon.cite.clause,
                    quote=mon.cite.quote,
                ),
            )
        )
    if problems:
        raise PackError(problems)

    merged_sources = {k: v for k, (v, _) in sources.items()}
    merged_params = {k: v for k, (v, _, _) in params.items()}
    content = {
        "pack": top.model.pack.model_dump(mode="json", by_alias=True),
        "chain": [s.model.pack.model_dump(mode="json", by_alias=True) for s in chain[1:]],
        "sources": {k: v.model_dump(mode="json") for k, v in sorted(merged_sources.items())},
        "parameters": {k: v.model_dump(mode="json") for k, v in sorted(merged_params.items())},
        "rules": [r.rule.model_dump(mode="json") for r in compiled],
        "not_checked": [n.model_dump(mode="json") for n in not_checked],
        "scorecards": [c.card.model_dump(mode="json") for c in compiled_cards],
        "monitors": [x.spec.model_dump(mode="json", by_alias=True) for x in compiled_monitors],
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
    return Pack(
        meta=top.model.pack,
        sources=merged_sources,
        parameters=merged_params,
        rules=compiled,
        not_checked=not_checked,
        path=top.path.parent,
        chain=[s.model.pack.id for s in chain],
        content_hash=f"sha256:{digest}",
        scorecards=compiled_cards,
        monitors=compiled_monitors,
    )


def _compile_scorecard(
    card: Scorecard,
    src: PackSourceFile,
    base: tuple[Any, ...],
    pack_id: str,
    subjects: Mapping[str, type[BaseModel]],
    param_types: dict[str, TypeInfo],
    functions: Mapping[str, Function],
    rule_subjects: dict[str, str],
    sources: Mapping[str, Any],
    problems: list[Problem],
) -> CompiledScorecard | None:
    """Compile a scorecard's expressions and check its arithmetic: weights, bands, grades."""
    before = len(problems)
    model = subjects.get(card.subject)
    if model is None:
        suggestion = did_you_mean(card.subject, subjects)
        problems.append(
            Problem(
                f"unknown subject `{card.subject}`",
                src.location((*base, "subject"), value=True),
                f"did you mean `{suggestion}`?" if suggestion else None,
                "unknown-subject",
            )
        )
        return None
    scope = Scope(model, param_types, functions)
    compiled: list[CompiledIndicator] = []
    weight = Decimal(0)
    for d, dim in enumerate(card.dimensions):
        for k, ind in enumerate(dim.indicators):
            loc = (*base, "dimensions", d, "indicators", k)
            weight += ind.points
            problems.extend(_check_cite(ind.cite, src, (*loc, "cite"), src.model, sources))
            kinds = [n for n in ("condition", "value", "rule") if getattr(ind, n) is not None]
            if len(kinds) != 1:
                problems.append(
                    Problem(
                        f"indicator `{ind.id}` must have exactly one of `condition`, `value` "
                        f"(with `bands`) or `rule`; it has {', '.join(kinds) or 'none'}",
                        src.location(loc),
                        None,
                        "scorecard",
                    )
                )
                continue
            cond = value = None
            if ind.condition is not None:
                cond = _compile_expr(ind.condition, scope, src, (*loc, "condition"), problems)
            elif ind.value is not None:
                try:
                    value = compile_condition(ind.value, scope, expect_bool=False)
                    kind = value.checked.types[value.checked.root].kind
                    if kind not in ("number", "any"):
                        problems.append(
                            Problem(
                                f"`value` must be a number, but this is a {kind}",
                                src.location((*loc, "value"), value=True),
                                None,
                                "scorecard",
                            )
                        )
                except ConditionError as exc:
                    problems.append(_condition_problem(exc, src, (*loc, "value")))
                if not ind.bands:
                    problems.append(
                        Problem("a `value` indicator needs `bands`", src.location(loc), None, "scorecard")
                    )
                else:
                    problems.extend(_check_bands(ind.bands, ind.points, src, (*loc, "bands")))
            elif ind.rule is not None:
                if ind.rule not in rule_subjects:
                    suggestion = did_you_mean(ind.rule, rule_subjects)
                    problems.append(
                        Problem(
                            f"no rule `{ind.rule}` in this pack",
                            src.location((*loc, "rule"), value=True),
                            f"did you mean `{suggestion}`?" if suggestion else None,
                            "scorecard",
                        )
                    )
                elif rule_subjects[ind.rule] != card.subject:
                    problems.append(
                        Problem(
                            f"rule `{ind.rule}` checks {rule_subjects[ind.rule]} records, "
                            f"this scorecard scores {card.subject} records",
                            src.location((*loc, "rule"), value=True),
                            None,
                            "scorecard",
                        )
                    )
            compiled.append(CompiledIndicator(dim, ind, cond, value))
    if weight != card.total:
        problems.append(
            Problem(
                f"indicator points add up to {format_value(weight)}, not the stated total "
                f"{format_value(card.total)}",
                src.location((*base, "total"), value=True),
                "change the indicators' `points` or the `total` so that they agree",
                "scorecard",
            )
        )
    problems.extend(_check_grades(card.grades, card.total, src, (*base, "grades")))
    if len(problems) > before:
        return None
    return CompiledScorecard(pack_id, card, tuple(compiled))


def _check_bands(
    bands: list[Band], points: Decimal, src: PackSourceFile, loc: tuple[Any, ...]
) -> list[Problem]:
    """Bands must run on from one to the next: no overlap, no gap; an open end only last."""
    out: list[Problem] = []
    for i, band in enumerate(bands):
        here = src.location((*loc, i))
        if band.points > points:
            out.append(
                Problem(
                    f"a band gives {format_value(band.points)} points, more than the "
                    f"indicator's {format_value(points)}",
                    here,
                    None,
                    "scorecard",
                )
            )
        if band.max is not None and band.max <= band.min:
            out.append(
                Problem(
                    f"band [{format_value(band.min)}, {format_value(band.max)}) is empty",
                    here,
                    "`max` must be above `min`",
                    "scorecard",
                )
            )
        if band.max is None and i != len(bands) - 1:
            out.append(Problem("only the last band may leave out `max`", here, None, "scorecard"))
        if i > 0:
            prev = bands[i - 1]
            if prev.max is not None and band.min < prev.max:
                out.append(
                    Problem(
                        f"bands overlap: [{format_value(prev.min)}, {format_value(prev.max)}) and "
                        f"[{format_value(band.min)}, …)",
                        here,
                        f"start this band at {format_value(prev.max)}",
                        "scorecard",
                    )
                )
            elif prev.max is not None and band.min > prev.max:
                out.append(
                    Problem(
                        f"gap between bands: nothing covers [{format_value(prev.max)}, "
                        f"{format_value(band.min)})",
                        here,
                        f"start this band at {format_value(prev.max)}",
                        "scorecard",
                    )
                )
    return out


def _check_grades(
    grades: list[Any], total: Decimal, src: PackSourceFile, loc: tuple[Any, ...]
) -> list[Problem]:
    """Grades, in any order, must cover 0 to the total without overlap or gap."""
    out: list[Problem] = []
    order = sorted(range(len(grades)), key=lambda i: grades[i].min)
    expect = Decimal(0)
    for n, i in enumerate(order):
        g = grades[i]
        here = src.location((*loc, i))
        if g.min < expect:
            out.append(
                Problem(
                    f"grade “{g.label.zh}” overlaps the one below it (it starts at "
                    f"{format_value(g.min)}, the one below ends at {format_value(expect)})",
                    here,
                    None,
                    "scorecard",
                )
            )
        elif g.min > expect:
            out.append(
                Problem(
                    f"gap between grades: no grade covers [{format_value(expect)}, {format_value(g.min)})",
                    here,
                    f"start this grade at {format_value(expect)}",
                    "scorecard",
                )
            )
        if g.max is None:
            if n != len(order) - 1:
                out.append(Problem("only the highest grade may leave out `max`", here, None, "scorecard"))
            expect = total
        else:
            if g.max <= g.min:
                out.append(Problem("a grade's `max` must be above its `min`", here, None, "scorecard"))
            expect = g.max
    if expect < total:
        out.append(
            Problem(
                f"no grade covers scores from {format_value(expect)} to the total {format_value(total)}",
                src.location(loc),
                None,
                "scorecard",
            )
        )
    return out


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


def _check_cite(
    cite: Cite,
    src: PackSourceFile,
    loc: tuple[Any, ...],
    model: PackFile,
    sources: Mapping[str, Any],
) -> list[Problem]:
    if cite.source is None:
        if not model.sources and not sources:
            return [
                Problem(
                    "this citation names no source and the pack lists none",
                    src.location(loc),
                    "add a `sources:` entry",
                    "cite",
                )
            ]
        return []
    if cite.source not in sources:
        suggestion = did_you_mean(cite.source, sources)
        return [
            Problem(
                f"`cite.source: {cite.source}` is not in `sources:`",
                src.location((*loc, "source"), value=True),
                f"did you mean `{suggestion}`?"
                if suggestion
                else f"known sources: {', '.join(sources) or 'none'}",
                "cite",
            )
        ]
    return []


def _compile_expr(
    text: str, scope: Scope, src: PackSourceFile, loc: tuple[Any, ...], problems: list[Problem]
) -> Condition | None:
    try:
        return compile_condition(text, scope)
    except ConditionError as exc:
        problems.append(_condition_problem(exc, src, loc))
        return None


def _condition_problem(
    exc: ConditionError, src: PackSourceFile, loc: tuple[Any, ...], base: int = 0
) -> Problem:
    where = src.expr_location(loc, exc.source, exc.start, exc.end, base)
    return Problem(exc.message, where, exc.hint, exc.code)


def _compile_template(
    text: str, scope: Scope, src: PackSourceFile, loc: tuple[Any, ...], problems: list[Problem]
) -> Template | None:
    parts: list[str | Condition] = []
    pos = 0
    ok = True
    for m in _PLACEHOLDER.finditer(text):
        parts.append(text[pos : m.start()])
        pos = m.end()
        if m.group(0) in ("{{", "}}"):
            parts.append(m.group(0)[0])
            continue
        expr = m.group(1)
        try:
            parts.append(compile_condition(expr, scope, expect_bool=False))
        except ConditionError as exc:
            problems.append(_condition_problem(exc, src, loc, base=m.start(1)))
            ok = False
    parts.append(text[pos:])
    if not ok:
        return None
    return Template(tuple(p for p in parts if p != ""))


def pack_plain_data(src: PackSourceFile) -> Any:
    return strip_positions(src.data)
