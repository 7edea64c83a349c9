"""Text from records and packs on its way out: to a terminal, into JSON, into XML.

Records and packs are written by people outside the team (docs/security.md), so their text
may hold anything a string can: escape sequences that clear a screen or forge a link, rich
markup, characters XML cannot hold, lone surrogates no UTF-8 file can hold. Each function here
is one rule for one destination; docs/security.md lists the character sets.
"""

from __future__ import annotations

import re
from typing import Final

#: C0 controls except TAB and LF, DEL, C1 controls, lone surrogates, and the bidirectional
#: overrides and isolates that make printed text read in another order than it is stored.
TERMINAL_UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
#: C0 controls except TAB and LF, DEL, C1 controls and lone surrogates: escaped in JSON text.
JSON_ESCAPED: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: Everything XML 1.0 cannot hold (its Char production: TAB, LF, CR, U+0020–U+D7FF,
#: U+E000–U+FFFD, U+10000–U+10FFFF), so neither can XLSX, JUnit XML or (sensibly) HTML.
XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what stands in for a character that cannot be shown or stored
REPLACEMENT: Final = "\ufffd"


def terminal_text(value: object) -> str:
    """``value`` as text safe to print: every character of :data:`TERMINAL_UNSAFE` (ESC, CSI,
    CR, NUL, …) becomes U+FFFD, so data can neither move the cursor, clear the screen, forge a
    hyperlink nor fail to encode. TAB and LF stay for layout."""
    text = value if isinstance(value, str) else str(value)
    return TERMINAL_UNSAFE.sub(REPLACEMENT, text)


def markup_text(value: object) -> str:
    """:func:`terminal_text`, escaped for rich markup: ``[link=…]`` or ``[/x]`` in data shows
    as written instead of styling (or crashing) the output."""
    from rich.markup import escape  # callers are drawing rich output: rich is loaded already

    return escape(terminal_text(value))


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_safe(text: str) -> str:
    """``text`` with every character of :data:`JSON_ESCAPED` written as its ``\\uXXXX`` escape.

    In JSON text such characters only ever stand inside strings, where the escape is the
    JSON way of writing the same character: the data round-trips exactly, and the text is
    valid UTF-8 with no byte a terminal acts on. In other text it is a visible escape."""
    return JSON_ESCAPED.sub(_json_escape, text)


def json_utf8(text: str) -> bytes:
    """JSON text as :func:`json.dumps` writes it (C0 controls already escaped), encoded as
    UTF-8 with DEL, C1 controls and lone surrogates escaped as :func:`json_safe` does. The usual
    line holds none of them and costs one encoding and two byte searches."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return json_safe(text).encode("utf-8")
    if b"\xc2" in data or b"\x7f" in data:  # U+0080–U+00BF or DEL: perhaps a control
        return json_safe(text).encode("utf-8")
    return data


def xml_text(text: str) -> tuple[str, int]:
    """``text`` with every character of :data:`XML_ILLEGAL` replaced by U+FFFD, and how many
    were replaced (the caller reports them: nothing is changed silently)."""
    if XML_ILLEGAL.search(text) is None:  # the usual case: one scan, no copy
        return text, 0
    return XML_ILLEGAL.subn(REPLACEMENT, text)
