"""Where a command's text goes, and the format tables commands look names up in."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._text import json_safe
from ..errors import PolicyEngineError, Problem


def emit(text: str, target: Path | None = None) -> None:
    """Text to stdout, or to ``target``.

    Control characters other than TAB and LF, DEL, C1 controls and lone surrogates are written
    as ``\\uXXXX`` (:func:`policyengine._text.json_safe`): in JSON, where they can only stand
    inside strings, that is the JSON escape, so the data round-trips exactly; in Markdown or a
    plugin's format it is a visible escape. Either way no ESC or C1 byte from a record reaches
    a terminal, and no text fails to encode."""
    text = json_safe(text)
    if target is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        target.write_text(text, encoding="utf-8")


def pick_format(formats: Mapping[str, Any], name: str) -> Any:
    """The formatter registered under ``name``; an unknown name is a usage error listing them."""
    if name not in formats:
        raise PolicyEngineError(
            [Problem(f"unknown format `{name}`", None, f"use one of {', '.join(sorted(formats))}", "usage")]
        )
    return formats[name]
