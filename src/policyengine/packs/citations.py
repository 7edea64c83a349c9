"""Citations: every ``cite:`` checked against the pack's sources, and resolved to a
:class:`~policyengine.outcomes.Citation` in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem, did_you_mean
from ..outcomes import Citation
from .reading import PackSourceFile
from .schema import Cite


def check_cite(
    cite: Cite,
    src: PackSourceFile,
    loc: tuple[Any, ...],
    sources: Mapping[str, Any],
) -> list[Problem]:
    """What is wrong with one citation: no source to cite, or a source id the pack lacks."""
    if cite.source is None:
        if not src.model.sources and not sources:
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


def citation(cite: Cite, src: PackSourceFile, sources: Mapping[str, tuple[Any, PackSourceFile]]) -> Citation:
    """The citation a finding carries; a ``cite:`` without ``source:`` cites its file's first source."""
    source_id = cite.source or (src.model.sources[0].id if src.model.sources else None)
    source = sources[source_id][0] if source_id is not None and source_id in sources else None
    return Citation(
        source_id=source_id,
        document=source.title.zh if source else None,
        clause=cite.clause,
        quote=cite.quote,
    )
