"""A pack's content hash: what every report quotes to say which rules judged it.

The hash covers the merged content (this pack and everything it extends, as compiled), not the
files' text: a comment or a reordering of keys does not change it; a changed threshold does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from .correlations import CompiledCorrelation
from .merge import Merged
from .monitors import CompiledMonitor
from .runtime import CompiledRule, CompiledScorecard


def content_hash(
    merged: Merged,
    rules: list[CompiledRule],
    scorecards: list[CompiledScorecard],
    monitors: list[CompiledMonitor],
    correlations: Sequence[CompiledCorrelation] = (),
) -> str:
    content: dict[str, Any] = {
        "pack": merged.top.model.pack.model_dump(mode="json", by_alias=True),
        "chain": [s.model.pack.model_dump(mode="json", by_alias=True) for s in merged.chain[1:]],
        "sources": {k: v.model_dump(mode="json") for k, (v, _) in sorted(merged.sources.items())},
        "parameters": {k: v.model_dump(mode="json") for k, (v, _, _) in sorted(merged.params.items())},
        "rules": [r.rule.model_dump(mode="json") for r in rules],
        "not_checked": [n.model_dump(mode="json") for n in merged.not_checked],
        "scorecards": [c.card.model_dump(mode="json") for c in scorecards],
        "monitors": [x.spec.model_dump(mode="json", by_alias=True) for x in monitors],
    }
    if correlations:  # absent from the hash of a pack without any, so those hashes stay as they were
        content["correlations"] = [c.spec.model_dump(mode="json", by_alias=True) for c in correlations]
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
    return f"sha256:{digest}"
