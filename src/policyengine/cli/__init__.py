"""The ``policyengine`` command.

Exit codes: 0 compliant (or success), 1 non-compliant or incomplete (or failing pack
tests), 2 bad input or a bad pack, with a message naming the place and the fix.

A faulty plugin is a warning on stderr (``warning: plugin `x` ...``), once, and the command
goes on without it; asking for exactly what it would have provided is exit 2 (docs/embedding.md).

Each command lives in a module of its own and is imported only when it runs, so that
``--help`` and ``--version`` stay light (``parser.py`` imports nothing heavy).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from typing import TextIO

from .._text import terminal_text
from ..errors import PluginWarning, PolicyEngineError
from .parser import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, build_parser

__all__ = ["EXIT_BAD_INPUT", "EXIT_FINDINGS", "EXIT_OK", "build_parser", "main"]

#: command → (module of this package, function): ``function(args) -> exit code``
COMMANDS = {
    "packs": ("packs", "cmd_packs"),
    "pack": ("packs", "cmd_pack"),
    "validate": ("packs", "cmd_validate"),
    "test": ("packs", "cmd_test"),
    "schema": ("schema", "cmd_schema"),
    "evaluate": ("evaluate", "cmd_evaluate"),
    "compare": ("evaluate", "cmd_compare"),
    "monitor": ("evaluate", "cmd_monitor"),
    "assess": ("assess", "cmd_assess"),
    "plan": ("plan", "cmd_plan"),
    "matrix": ("coverage", "cmd_matrix"),
    "serve": ("serve", "cmd_serve"),
    "history": ("serve", "cmd_history"),
    "rectification": ("serve", "cmd_rectification"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    module, name = COMMANDS[args.command]
    if getattr(args, "allow_outside", False):
        setattr(import_module("policyengine.packs.merge"), "ALLOW_OUTSIDE", True)  # noqa: B010
    try:
        with plugin_warnings_to_stderr():
            handler = getattr(import_module(f".{module}", __name__), name)
            return int(handler(args))
    except PolicyEngineError as exc:
        print(terminal_text(exc.render()), file=sys.stderr)  # it may quote the input
        note = _disabled_plugins_note(exc)
        if note:
            print(terminal_text(note), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


@contextmanager
def plugin_warnings_to_stderr() -> Iterator[None]:
    """Print each :class:`PluginWarning` as one ``warning:`` block on stderr (no file and line:
    plugins.py already warns once per fault); other warnings as Python shows them."""
    original = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if isinstance(message, PluginWarning):
            print(terminal_text(message.render()), file=sys.stderr)  # it may quote a pack's id
        else:
            original(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", PluginWarning)  # even under -W error: a warning, not a crash
        warnings.showwarning = show
        yield


def _disabled_plugins_note(exc: PolicyEngineError) -> str | None:
    """When something asked for by name is missing (a format, an output suffix, a pack's
    function, subject or monitor kind) and a plugin was disabled or partly left out in this
    run, that plugin may be why: say so, naming it and its failure."""
    plugins = sys.modules.get("policyengine.plugins")
    if plugins is None or any(p.code == "plugin" for p in exc.problems):
        return None
    if not any(_ASKED_FOR.search(p.message) for p in exc.problems):
        return None
    problems = PluginWarning.may_hide("what was asked for", plugins.plugin_warnings())
    return "\n".join(f"note: {p.render()}" for p in problems) or None


#: the messages of errors about a missing name a plugin might have provided
_ASKED_FOR = re.compile(r"unknown (format|subject|monitor kind|kind)|no function|no pack|cannot write")
