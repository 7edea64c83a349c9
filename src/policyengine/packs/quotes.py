"""Quote verification: every ``cite.quote`` of a pack looked up in the captured text of the
source it cites (``sources[].file``, in a sources directory given by the caller).

A pass of its own over a pack's files, after loading: the loader stays pure and never reads
source texts. Quote and text are compared after :func:`normalise` (spacing, full-/half-width
forms, Chinese punctuation, quote marks); an ellipsis (``……``, ``...``) in a quote stands for
left-out words, so the parts around it must occur in that order. A quote that is
not found is a :class:`~policyengine.errors.Problem` at the quote's value whose hint shows
the closest passage of the source.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import Location, Problem
from .merge import Merged, Resolver, merge, read_chain
from .reading import PackSourceFile
from .schema import Cite, Source

#: The environment variable naming the sources directory when ``--sources`` is not given.
SOURCES_ENV = "POLICYENGINE_SOURCES"
#: Below this likeness the closest passage is shown as a poor match.
WEAK = 0.4
#: Largest source text read (bytes).
MAX_SOURCE_BYTES = 8 * 1024 * 1024

#: Quote marks of every kind: ignored on both sides.
QUOTE_MARKS = frozenset("\"'`´“”‘’„‟‚‛「」『』〝〞〟﹁﹂﹃﹄«»‹›")
#: Punctuation folded to one form, after NFKC (which already folds ，；：（）！？ and
#: full-width letters and digits to their ASCII forms).
FOLD = {
    "。": ".",
    "、": ",",
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "〖": "[",
    "〗": "]",
    "《": "<",
    "》": ">",
    "〈": "<",
    "〉": ">",
    "—": "-",
    "–": "-",
    "―": "-",
    "‒": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "〜": "~",
    "・": "·",
    "•": "·",
    "⋯": "...",
}
_ELLIPSIS = re.compile(r"\.{3,}")


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        if c.isspace() or c in QUOTE_MARKS or unicodedata.category(c) in ("Cc", "Cf"):
            continue
        out.append(FOLD.get(c, c))
    return "".join(out)


@dataclass(frozen=True)
class Normalised:
    """A text after :func:`normalise`, with where each of its characters came from."""

    raw: str
    text: str
    origin: list[int]  # index in ``raw`` of each character of ``text``


def normalise(raw: str) -> Normalised:
    """Whitespace and quote marks removed, NFKC, Chinese punctuation folded (see ``FOLD``)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(raw):
        for c in _fold(ch):
            chars.append(c)
            origin.append(i)
    return Normalised(raw, "".join(chars), origin)


def fragments(quote: str) -> list[tuple[str, str]]:
    """The parts of a quote between its ellipses: each normalised, and as written."""
    norm = normalise(quote)
    out: list[tuple[str, str]] = []
    start = 0
    for m in [*_ELLIPSIS.finditer(norm.text), None]:
        end = m.start() if m else len(norm.text)
        if end > start:
            a, b = norm.origin[start], norm.origin[end - 1] + 1
            out.append((norm.text[start:end], quote[a:b]))
        start = m.end() if m else end
    return out


@dataclass
class SourceText:
    """One source file's text, normalised, with a bigram index for the nearest passage."""

    name: str
    norm: Normalised
    _bigrams: dict[str, list[int]] | None = None

    def bigrams(self) -> dict[str, list[int]]:
        if self._bigrams is None:
            index: dict[str, list[int]] = {}
            text = self.norm.text
            for i in range(len(text) - 1):
                index.setdefault(text[i : i + 2], []).append(i)
            self._bigrams = index
        return self._bigrams


@dataclass(frozen=True)
class Miss:
    """Why a quote was not found: which part, and whether it occurs anywhere at all."""

    part: int  # index of the first fragment not found after the ones before it
    absent: bool  # True: not in the text at all; False: only before the part ahead of it


def find(frags: list[str], text: str) -> Miss | None:
    """None when the fragments occur in ``text`` in this order, else which one does not."""
    pos = 0
    for k, frag in enumerate(frags):
        j = text.find(frag, pos)
        if j < 0:
            return Miss(k, text.find(frag) < 0)
        pos = j + len(frag)
    return None


def nearest(source: SourceText, frag: str) -> tuple[str, int, float] | None:
    """The passage of ``source`` most like ``frag``: its original text, line and likeness."""
    text = source.norm.text
    n = len(frag)
    if not text or not n:
        return None
    votes: Counter[int] = Counter()
    index = source.bigrams()
    for k in range(n - 1):
        for p in index.get(frag[k : k + 2], ()):
            votes[p - k] += 1
    if not votes:
        votes.update(p for p, c in enumerate(text) if c in frag)
    if not votes:
        return None
    best = max(votes, key=lambda s: (sum(votes.get(s + d, 0) for d in range(-3, 4)), -s))
    lo = max(0, best - n // 2)
    window = text[lo : best + n + n // 2]
    matcher = SequenceMatcher(None, window, frag, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    blocks = [b for b in blocks if b.size > 1] or blocks
    if not blocks:
        return None
    start, end = lo + blocks[0].a, lo + blocks[-1].a + blocks[-1].size
    likeness = SequenceMatcher(None, text[start:end], frag, autojunk=False).ratio()
    raw = source.norm.raw
    a, b = source.norm.origin[start], source.norm.origin[end - 1] + 1
    passage = " ".join(raw[a:b].split())
    return passage, raw.count("\n", 0, a) + 1, likeness


@dataclass
class QuoteCheck:
    """The outcome for one pack: problems (errors), warnings, and how many quotes were found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    checked: int = 0


@dataclass(frozen=True)
class Quoted:
    """One citation with a quote, where it is written."""

    src: PackSourceFile
    loc: tuple[Any, ...]  # of the ``cite:`` mapping
    cite: Cite


def citations(merged: Merged) -> Iterator[Quoted]:
    """Every citation of the resolved pack that has a quote, each in the file that wrote it."""
    for name, (param, src, _) in merged.params.items():
        for d, pv in param.values.items():
            yield Quoted(src, ("parameters", name, "values", d, "cite"), pv.cite)
    for rule, src, i in merged.rules.values():
        yield Quoted(src, ("rules", i, "cite"), rule.cite)
    for mon, src, i in merged.monitors.values():
        yield Quoted(src, ("monitors", i, "cite"), mon.cite)
    for corr, src, i in merged.correlations.values():
        yield Quoted(src, ("correlations", i, "cite"), corr.cite)
    for card, src, i in merged.cards.values():
        for j, dim in enumerate(card.dimensions):
            for k, ind in enumerate(dim.indicators):
                yield Quoted(src, ("scorecards", i, "dimensions", j, "indicators", k, "cite"), ind.cite)
    for src in reversed(merged.chain):
        for i, nc in enumerate(src.model.not_checked):
            yield Quoted(src, ("not_checked", i, "cite"), nc.cite)


def cited_source(q: Quoted, merged: Merged) -> tuple[Source, PackSourceFile] | None:
    """The source a citation cites: its ``source:``, else the first source of its file, else
    (a file listing none) the first source of the nearest pack it extends that lists one."""
    if q.cite.source is not None:
        return merged.sources.get(q.cite.source)
    here = next(i for i, f in enumerate(merged.chain) if f is q.src)
    for f in merged.chain[here:]:
        if f.model.sources:
            return merged.sources.get(f.model.sources[0].id)
    return None


class SourceTexts:
    """The source files of one directory, each read and normalised once per run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, SourceText | str] = {}

    def get(self, name: str) -> SourceText | str:
        """The file's text, or why it cannot be read."""
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> SourceText | str:
        path = self.directory / name
        if not path.resolve().is_relative_to(self.directory.resolve()):
            return f"`{name}` is outside the sources directory {self.directory}"
        if not path.is_file():
            return f"`{name}` is not in the sources directory {self.directory}"
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return f"`{name}` is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB"
        try:
            raw = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return f"`{name}` cannot be read as UTF-8 text ({exc})"
        return SourceText(name, normalise(raw))


def check_pack_quotes(directory: Path, resolve: Resolver, texts: SourceTexts) -> QuoteCheck:
    """Check the quotes of the pack in ``directory`` (a pack that loads) and of what it extends."""
    return check_quotes(merge(read_chain(directory, resolve)), texts)


def check_quotes(merged: Merged, texts: SourceTexts) -> QuoteCheck:
    """Look up every quote of a merged pack in its cited source's text."""
    result = QuoteCheck()
    no_file: dict[str, list[Quoted]] = {}
    unreadable: dict[str, tuple[str, list[Quoted]]] = {}
    for q in citations(merged):
        found = cited_source(q, merged) if q.cite.quote else None
        if found is None:
            continue  # no quote, or a citation the loader has already refused
        source = found[0]
        text = texts.get(source.file) if source.file is not None else None
        if text is None:
            no_file.setdefault(source.id, []).append(q)
        elif isinstance(text, str):
            unreadable.setdefault(source.id, (text, []))[1].append(q)
        else:
            problem = check_one(q, source, text)
            if problem is None:
                result.checked += 1
            else:
                result.problems.append(problem)
    for sid, (why, quotes) in unreadable.items():
        result.problems.append(
            Problem(
                f"source `{sid}`: {why}; its {len(quotes)} quote(s) cannot be checked",
                _source_location(merged, sid, "file"),
                "capture the document's text there, or correct `file:`",
                "quote",
            )
        )
    for sid, quotes in no_file.items():
        result.warnings.append(
            Problem(
                f"source `{sid}` has no `file:`; its {len(quotes)} quote(s) were not checked",
                _source_location(merged, sid, "id"),
                "capture the document's text in the sources directory and name it in `file:`",
                "quote",
            )
        )
    return result


def check_one(q: Quoted, source: Source, text: SourceText) -> Problem | None:
    """None when the quote occurs in the text, else the problem, with the closest passage."""
    quote = q.cite.quote or ""
    parts = fragments(quote)
    loc = _with_length(q.src.location((*q.loc, "quote"), value=True), quote)
    if not parts:
        return Problem("the quote has no words to look for", loc, "quote the source's own words", "quote")
    miss = find([norm for norm, _ in parts], text.norm.text)
    if miss is None:
        return None
    where = f"source `{source.id}` ({text.name})"
    frag, written = parts[miss.part]
    if len(parts) == 1:
        message = f"quote not found in {where}"
    elif miss.absent:
        message = f"part {miss.part + 1} of the quote, “{written}”, is not in {where}"
    else:
        message = (
            f"part {miss.part + 1} of the quote, “{written}”, is in {where} only before part {miss.part}"
        )
    near = nearest(text, frag)
    if near is None:
        hint = f"nothing in {text.name} is like it; quote the source's own words"
    else:
        passage, line, likeness = near
        if len(passage) > 160:
            passage = passage[:160] + "…"
        hint = f"closest passage, {text.name}:{line} ({likeness:.0%} alike): “{passage}”"
        if likeness < WEAK:
            hint = f"nothing in {text.name} comes close; quote the source's own words ({hint})"
    return Problem(message, loc, hint, "quote")


def _with_length(loc: Location, quote: str) -> Location:
    """The caret under the whole quote when it is written on its line as it reads."""
    if loc.source_line is None or loc.column is None:
        return loc
    at = loc.source_line[loc.column - 1 :]
    if at.startswith(quote):
        return replace(loc, length=len(quote))
    if at[:1] in ("'", '"') and at[1:].startswith(quote):
        return replace(loc, length=len(quote) + 2)
    return loc


def _source_location(merged: Merged, source_id: str, key: str) -> Location | None:
    source, owner = merged.sources[source_id]
    i = next(i for i, s in enumerate(owner.model.sources) if s.id == source.id)
    return owner.location(("sources", i, key), value=True)
