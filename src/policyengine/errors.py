"""The library's exceptions.

One base class, :class:`PolicyEngineError`, and precise subclasses. Every error carries
structured :class:`Problem` objects (file, line, column, the offending text with a caret,
a hint), so callers never need to parse message strings. ``str(error)`` renders them the
way the command line prints them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches

__all__ = [
    "AmbiguousPackError",
    "ConditionError",
    "ConditionLimitError",
    "ConditionSyntaxError",
    "ConditionTypeError",
    "EvaluationLimitError",
    "Location",
    "PackError",
    "PackNotFoundError",
    "PluginError",
    "PluginWarning",
    "PolicyEngineError",
    "Problem",
    "RecordError",
    "UnknownFieldError",
    "UnknownFunctionError",
    "describe_exception",
    "did_you_mean",
]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return the closest candidate to ``word``, or None when nothing is close."""
    matches = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file (or a record), 1-based line and column, and the line's text."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    source_line: str | None = None
    length: int = 1
    path: str | None = None  # a field path inside a record or pack, e.g. "rules[3].require"

    def prefix(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        if self.path:
            text += f" ({self.path})"
        return text


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong, where it is, and what to do about it."""

    message: str
    location: Location | None = None
    hint: str | None = None
    code: str = "error"

    def render(self) -> str:
        head = f"{self.location.prefix()}: " if self.location else ""
        lines = [f"{head}{self.message}"]
        loc = self.location
        if loc and loc.source_line is not None and loc.column is not None:
            text = loc.source_line.rstrip("\n")
            lines.append(f"    | {text}")
            # Align the caret under wide (CJK) characters too.
            pad = "".join(_pad_for(ch) for ch in text[: loc.column - 1])
            width = sum(len(_pad_for(ch)) for ch in text[loc.column - 1 : loc.column - 1 + loc.length])
            lines.append(f"    | {pad}{'^' * max(1, width)}")
        if self.hint:
            lines.append(f"    = hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": loc.path if loc else None,
        }


def _pad_for(ch: str) -> str:
    if ch == "\t":
        return "\t"
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


class PolicyEngineError(Exception):
    """Base class of every error the library raises on purpose."""

    #: exit code the command line uses for this error
    exit_code = 2

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class PackError(PolicyEngineError):
    """A pack could not be loaded: YAML, schema, condition or reference problems (all of them)."""


class PackNotFoundError(PackError):
    """No registered pack has the requested id, and no directory has that path."""


class PluginError(PolicyEngineError):
    """A plugin registered something inconsistent (two packs with one id, a bad function)."""


class AmbiguousPackError(PluginError):
    """Several plugins, none of them built in, provide a pack with the id asked for."""

    def __init__(self, pack_id: str, providers: Sequence[tuple[str, str]]) -> None:
        where = " and ".join(f"`{p}` ({d})" for p, d in providers)
        message = f"pack id `{pack_id}` is ambiguous: {where} provide it (多个插件提供同一编号的包)"
        hint = "uninstall or fix one of those plugins, or give the pack's directory instead of its id"
        super().__init__([Problem(message, None, hint, "plugin")])


def describe_exception(exc: BaseException) -> str:
    """``"TypeError: message"`` on one line; ``sys.exit(3)`` says so."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class PluginWarning(UserWarning):
    """A plugin was disabled, or part of what it provides was left out; the rest goes on.

    ``plugin`` is the plugin's name (its entry point's name), ``hook`` the hook that failed
    (``None``: the plugin failed to load), ``kind`` one of ``load``, ``raised`` (a hook raised),
    ``shape`` (a hook's answer, or part of it, is not what the hook must return) and
    ``conflict`` (two plugins claim one name), ``reason`` that in a few words, and ``problem``
    says what went wrong and what to do, like an error's problems. Issued through
    :mod:`warnings`, once per process and fault.
    """

    def __init__(
        self, plugin: str, hook: str | None, problem: Problem, kind: str = "", reason: str = ""
    ) -> None:
        self.plugin = plugin
        self.hook = hook
        self.problem = problem
        self.kind = kind
        self.reason = reason or problem.message
        super().__init__(problem.render())

    def render(self) -> str:
        return f"warning: {self.problem.render()}"

    @staticmethod
    def may_hide(what: str, faults: Sequence[PluginWarning]) -> list[Problem]:
        """A problem saying that ``what`` (``"the pack"``, ...) may be missing because of
        ``faults``, naming each plugin and its failure; none when there are no faults."""
        if not faults:
            return []
        reasons = "; ".join(dict.fromkeys(f"`{f.plugin}`: {f.reason}" for f in faults))
        message = (
            f"{what} may come from a plugin that is disabled or partly left out "
            f"(可能来自已停用的插件): {reasons}"
        )
        hint = "fix or uninstall that plugin (see the warnings above); everything else works without it"
        return [Problem(message, None, hint, "plugin")]

    @classmethod
    def load_failed(cls, name: str, entry_point: str, project: str, exc: BaseException) -> PluginWarning:
        message = (
            f"plugin `{name}` (entry point `{entry_point}` of {project}) failed to load and is "
            f"disabled (插件加载失败,已停用): {describe_exception(exc)}"
        )
        hint = (
            f"every command works without it; fix, reinstall or uninstall it (`pip uninstall "
            f"{project}`) (可修复、重装或卸载该插件)"
        )
        reason = f"failed to load: {describe_exception(exc)}"
        return cls(name, None, Problem(message, None, hint, "plugin"), "load", reason)

    @classmethod
    def hook_raised(cls, plugin: str, hook: str, exc: BaseException) -> PluginWarning:
        message = (
            f"plugin `{plugin}`: its hook `{hook}` raised {describe_exception(exc)}; what it "
            f"provides there is left out (插件钩子出错,其内容已忽略)"
        )
        hint = "everything else works without it; report it to the plugin's authors"
        reason = f"`{hook}` raised {describe_exception(exc)}"
        return cls(plugin, hook, Problem(message, None, hint, "plugin"), "raised", reason)

    @classmethod
    def wrong_shape(cls, plugin: str, hook: str, thing: object, wrong: str, expected: str) -> PluginWarning:
        shown = repr(thing) if len(repr(thing)) <= 80 else repr(thing)[:77] + "..."
        message = (
            f"plugin `{plugin}`: `{hook}` gave {shown}, which is {wrong}; it is left out "
            f"(插件返回值不符合要求,已忽略)"
        )
        hint = f"each thing `{hook}` returns must be {expected} (see policyengine/hookspecs.py)"
        reason = f"`{hook}` gave {shown} ({wrong})"
        return cls(plugin, hook, Problem(message, None, hint, "plugin"), "shape", reason)

    @classmethod
    def conflict(
        cls, hook: str, what: str, name: str, providers: Sequence[tuple[str, str]], winner: str | None
    ) -> PluginWarning:
        """``providers``: ``(plugin, where)`` for each; ``where`` is a pack's directory, or ""."""
        where = " and ".join(f"`{p}`" + (f" ({d})" if d else "") for p, d in providers)
        outcome = (
            f"the built-in one from `{winner}` is used (内置的优先)"
            if winner
            else "none of them is used (名称冲突,均不使用)"
        )
        others = [p for p, _ in providers if p != winner]
        hint = f"uninstall or fix {' or '.join(f'`{p}`' for p in others)}"
        if what == "pack id":
            hint += "; or give the pack's directory instead of its id"
        message = f"{what} `{name}` is provided by {where}; {outcome}"
        reason = f"{what} `{name}` is provided by {where}; {outcome}"
        return cls(others[-1], hook, Problem(message, None, hint, "plugin"), "conflict", reason)


class RecordError(PolicyEngineError):
    """A record does not fit its subject model (wrong type, unknown key, bad amount...)."""


class EvaluationLimitError(PolicyEngineError):
    """A condition used more evaluation steps than the budget allows."""


class EvaluationError(PolicyEngineError):
    """A condition failed while evaluating (division by zero, a function raising, ...)."""


class ConditionError(PolicyEngineError):
    """A problem in one condition expression.

    ``start``/``end`` are 0-based character offsets into ``source`` (the expression text);
    the pack loader turns them into file line and column.
    """

    code = "condition"

    def __init__(
        self,
        message: str,
        source: str = "",
        start: int = 0,
        end: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.start = start
        self.end = end if end is not None else start + 1
        self.hint = hint
        line_no, col, text = _line_col(source, start)
        loc = Location(
            file="<condition>",
            line=line_no,
            column=col,
            source_line=text,
            length=max(1, min(self.end, start + len(text) - col + 1) - start),
        )
        super().__init__([Problem(message, loc, hint, self.code)])


def _line_col(source: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of ``offset`` in ``source``, and that line's text."""
    offset = max(0, min(offset, len(source)))
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end == -1:
        line_end = len(source)
    line_no = source.count("\n", 0, offset) + 1
    return line_no, offset - line_start + 1, source[line_start:line_end]


class ConditionSyntaxError(ConditionError):
    """The expression does not follow the grammar."""

    code = "syntax"


class UnknownFieldError(ConditionError):
    """A field path names nothing in the subject model (or a parameter the pack lacks)."""

    code = "unknown-field"


class UnknownFunctionError(ConditionError):
    """A call names no function in the function table."""

    code = "unknown-function"


class ConditionTypeError(ConditionError):
    """Operands that cannot go together (a date compared with a number, ...)."""

    code = "type"


class ConditionLimitError(ConditionError):
    """The expression is too long, too deep or too large to accept."""

    code = "limit"
