"""The ``policyengine`` command.

Exit codes: 0 compliant (or success), 1 non-compliant or incomplete (or failing pack
tests), 2 bad input or a bad pack, with a message naming the place and the fix.

Each command lives in a module of its own and is imported only when it runs, so that
``--help`` and ``--version`` stay light (``parser.py`` imports nothing heavy).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module

from ..errors import PolicyEngineError
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
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    module, name = COMMANDS[args.command]
    try:
        handler = getattr(import_module(f".{module}", __name__), name)
        return int(handler(args))
    except PolicyEngineError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
