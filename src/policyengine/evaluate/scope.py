"""Whether a pack covers a record at all: its region (province, city, county) and what it
``applies_to`` (subject kinds, station levels). A record outside is reported out of scope
(不适用本政策) with the reason, and the pack's rules do not judge it; a record that does not
state its region is judged, and the report says the region was not stated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

from ..models.base import Subject
from ..packs.runtime import Pack

REGION_LEVELS = ("province", "city", "county")
_LEVEL_ZH = {"province": "省", "city": "市", "county": "县(市、区)"}
#: Suffixes a place name may be written with or without (四川 = 四川省, 海宁 = 海宁市).
_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|特别行政区|地区|省|市|县|区|盟|旗)$")


class ScopeStatus(StrEnum):
    IN_SCOPE = "in_scope"
    OUT_OF_SCOPE = "out_of_scope"
    REGION_NOT_STATED = "region_not_stated"  # judged: the record does not say where it is


@dataclass(frozen=True)
class PackScope:
    """What a pack's scope made of one record."""

    pack: str
    status: ScopeStatus
    reason: dict[str, str]

    @property
    def judged(self) -> bool:
        return self.status is not ScopeStatus.OUT_OF_SCOPE

    def to_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "status": self.status.value, "reason": dict(self.reason)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PackScope:
        return cls(d["pack"], ScopeStatus(d["status"]), dict(d["reason"]))


@lru_cache(maxsize=4096)  # a batch names the same few places on every row
def place(name: str) -> str:
    """A place name compared without spaces and without its administrative suffix."""
    text = re.sub(r"\s+", "", name)
    short = _SUFFIX.sub("", text)
    return short if len(short) >= 2 else text


def scope_of(pack: Pack, subject: Subject) -> PackScope:
    """In scope, out of scope (with why), or judged without a stated region."""
    out = _applies_to(pack, subject)
    if out is not None:
        return out
    wanted = {k: v for k, v in (pack.meta.region or {}).items() if k in REGION_LEVELS and v}
    if not wanted:
        return PackScope(pack.id, ScopeStatus.IN_SCOPE, {"zh": "本政策不限地区", "en": "no region limit"})
    region = getattr(subject, "region", None)
    given = {k: getattr(region, k, None) for k in REGION_LEVELS} if region is not None else {}
    for key, value in wanted.items():
        have = given.get(key)
        if have and place(have) != place(value):
            where = "".join(v for k in REGION_LEVELS if (v := wanted.get(k)))
            return PackScope(
                pack.id,
                ScopeStatus.OUT_OF_SCOPE,
                {
                    "zh": f"记录所在{_LEVEL_ZH[key]}为{have},本政策适用于{where}",
                    "en": f"the record's {key} is {have}; the policy covers {where}",
                },
            )
    missing = [k for k in wanted if not given.get(k)]
    if missing:
        names = "、".join(_LEVEL_ZH[k] for k in missing)
        return PackScope(
            pack.id,
            ScopeStatus.REGION_NOT_STATED,
            {
                "zh": f"记录未写明所在{names},按本政策评估",
                "en": f"the record does not state its {', '.join(missing)}; judged by this policy",
            },
        )
    return PackScope(
        pack.id, ScopeStatus.IN_SCOPE, {"zh": "记录地区在本政策范围内", "en": "in the policy's region"}
    )


def _applies_to(pack: Pack, subject: Subject) -> PackScope | None:
    """Out of scope by subject kind or station level, else None."""
    applies = pack.meta.applies_to
    if applies is None:
        return None
    kind = subject.kind_name
    if applies.subjects and kind not in applies.subjects:
        title = type(subject).kind_title.get("zh", kind)
        return PackScope(
            pack.id,
            ScopeStatus.OUT_OF_SCOPE,
            {"zh": f"本政策不适用于{title}", "en": f"the policy does not apply to {kind} records"},
        )
    level = getattr(subject, "level", None)
    if applies.levels and level is not None:
        code = level.value if isinstance(level, Enum) else str(level)
        labels = getattr(type(level), "__labels__", {})
        label = str(labels.get(code, code))
        if code not in applies.levels and label not in applies.levels:
            shown = "、".join(str(labels.get(x, x)) for x in applies.levels)
            return PackScope(
                pack.id,
                ScopeStatus.OUT_OF_SCOPE,
                {
                    "zh": f"本政策只适用于{shown},此记录为{label}",
                    "en": f"the policy applies to {', '.join(applies.levels)} only; this is a {code}",
                },
            )
    return None
