"""The pack file format, as pydantic models. ``policyengine schema pack`` prints its JSON Schema."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ..models.values import bounded
from .matrix_tag import MatrixTag
from .sections import Section

ID_RE = r"^[a-z][a-z0-9_]*$"
RULE_ID_RE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: Any) -> Any:
    """A bare string is the Chinese text."""
    if isinstance(value, str):
        return {"zh": value}
    return value


class Text(_Strict):
    """Text in Chinese (shown by default) and English."""

    zh: str = Field(min_length=1, description="Chinese text (默认显示)")
    en: str | None = Field(default=None, description="English text")

    def get(self, lang: str) -> str:
        if lang == "en" and self.en:
            return self.en
        return self.zh


BiText = Annotated[Text, BeforeValidator(_text, json_schema_input_type=str | Text)]


def _cite(value: Any) -> Any:
    """A bare string is the clause."""
    if isinstance(value, str):
        return {"clause": value}
    return value


class Cite(_Strict):
    """Where in which source document a rule or value comes from."""

    source: str | None = Field(
        default=None, description="Id of an entry in `sources:` (defaults to the pack's first)"
    )
    clause: str = Field(min_length=1, description='Clause, e.g. "七(一)3" or "六(二)1"')
    quote: str | None = Field(default=None, description="Short quote of the source text")


CiteField = Annotated[Cite, BeforeValidator(_cite, json_schema_input_type=str | Cite)]


def _quote_required(whose: str) -> Any:
    """A validator: the ``cite`` of a rule, monitor or batch check must quote the source."""

    def check(cls: type, v: Cite) -> Cite:
        if not v.quote:
            raise ValueError(f"{whose} cite needs a `quote` of the source text")
        return v

    return field_validator("cite")(check)


class Source(_Strict):
    """A policy document the pack encodes."""

    id: str = Field(pattern=ID_RE, description="Short id used by `cite.source`")
    title: BiText
    authority: BiText | None = None
    number: str | None = Field(default=None, description="Document number (文号)")
    published: date | None = None
    file: str | None = Field(default=None, description="File name of the captured text, if any")
    url: str | None = None
    section: Section | None = Field(default=None, description="The part of the file the pack covers")


class Effective(_Strict):
    """When the policy applies (both ends included). Outside it, every rule is not applicable."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AppliesTo(_Strict):
    """Which subjects a pack judges at all; a record outside is reported out of scope."""

    subjects: list[str] = Field(default_factory=list, description="subject kinds (default: all)")
    levels: list[str] = Field(
        default_factory=list,
        description="station levels, by code or Chinese label (default: all), e.g. township_station",
    )


class PackMeta(_Strict):
    """Who and what the pack is."""

    id: str = Field(pattern=ID_RE, description="Pack id, e.g. lanzhou_2022")
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.]+)?$")
    title: BiText
    authority: BiText | None = None
    region: dict[str, str] | None = Field(
        default=None,
        description="province / city / county the policy covers: a record elsewhere is out of scope",
    )
    applies_to: AppliesTo | None = None
    effective: Effective | None = None
    description: BiText | None = None


ParamScalar = bool | date | int | Decimal | str
ParamValueType = ParamScalar | list[ParamScalar]

#: A number in a pack (scorecard points, bands, grades): within the record bounds.
PackNumber = Annotated[Decimal, AfterValidator(bounded)]


class ParamValue(_Strict):
    """One dated value of a parameter, with its citation."""

    value: ParamValueType
    cite: CiteField
    note: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        """Floats as the decimals written; every number within the record bounds (13 digits
        before the point, 15 after), so that no parameter prints or compares unlike a record."""
        if isinstance(v, list):
            return [cls._one(x) for x in v]
        return cls._one(v)

    @staticmethod
    def _one(v: Any) -> Any:
        if isinstance(v, bool):
            return v
        if isinstance(v, float):
            v = Decimal(repr(v))
        if isinstance(v, (int, Decimal)):
            checked = bounded(Decimal(v))
            return v if isinstance(v, int) else checked
        return v


class Parameter(_Strict):
    """A number or list the rules use, with values dated from when they apply."""

    title: BiText
    unit: str | None = Field(default=None, description="yuan, m2, people, ratio, days, ...")
    description: BiText | None = None
    values: dict[date, ParamValue] = Field(min_length=1)
    matrix: MatrixTag | None = Field(default=None, description="Its row in the policy matrix")

    @model_validator(mode="after")
    def _same_kind(self) -> Parameter:
        kinds = {_kind(v.value) for v in self.values.values()}
        if len(kinds) > 1:
            raise ValueError(f"values of one parameter must be of one kind, got {sorted(kinds)}")
        return self


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


class Rule(_Strict):
    """A requirement: when it applies, what must hold, and where it comes from."""

    id: str = Field(pattern=RULE_ID_RE, description="Unique id, e.g. staffing.certified")
    title: BiText
    subject: str = Field(description="station, project, organization, community or funding")
    when: str | None = Field(default=None, description="Applicability condition")
    require: str = Field(min_length=1, description="Condition that must hold")
    severity: Literal["error", "warning", "info"] = "error"
    cite: CiteField
    message: BiText = Field(description="Shown when the rule fails; {expr} shows a value")
    note: str | None = None

    _quote = _quote_required("a rule's")


class NotChecked(_Strict):
    """A clause the pack deliberately does not check, and why."""

    cite: CiteField
    reason: BiText
    capture_loss: bool = Field(default=False, description="The clause's figure was lost in the capture")


class Removal(_Strict):
    """What a pack that `extends:` another drops from it."""

    parameters: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    scorecards: list[str] = Field(default_factory=list)
    monitors: list[str] = Field(default_factory=list)
    correlations: list[str] = Field(default_factory=list)


class Band(_Strict):
    """A half-open range [min, max) and the points it earns (max omitted: no upper end)."""

    min: PackNumber
    max: PackNumber | None = None
    points: PackNumber = Field(ge=0)


class Indicator(_Strict):
    """One scored item. Exactly one of `condition`, `value` + `bands`, or `rule`."""

    id: str = Field(pattern=ID_RE)
    title: BiText
    points: PackNumber = Field(gt=0, description="Most points this indicator can give")
    condition: str | None = Field(default=None, description="All points when true, none when false")
    value: str | None = Field(default=None, description="A number placed in `bands`")
    bands: list[Band] | None = None
    rule: str | None = Field(default=None, description="All points when this rule passes")
    cite: CiteField


class Dimension(_Strict):
    id: str = Field(pattern=ID_RE)
    title: BiText
    indicators: list[Indicator] = Field(min_length=1)


class Grade(_Strict):
    """A score range [min, max) and its label (max omitted: up to the total)."""

    min: PackNumber
    max: PackNumber | None = None
    label: BiText


class Scorecard(_Strict):
    """Weighted indicators → a score and a grade."""

    id: str = Field(pattern=ID_RE)
    title: BiText
    subject: str
    total: PackNumber = Field(gt=0)
    weights_from: BiText = Field(
        description="Who set the weights: the policy (cite it) or the assessor (say so plainly)"
    )
    dimensions: list[Dimension] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)


class EventFilter(_Strict):
    """Which events: a type, and optionally fields that must have given values."""

    type: str
    where: dict[str, str] = Field(default_factory=dict)


class Window(_Strict):
    """A calendar-aware duration: days or months (2 months after Jan 31 is Mar 31)."""

    days: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)


class During(_Strict):
    """A date range; each end a date or `param.name`."""

    from_: date | str = Field(alias="from")
    to: date | str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Monitor(_Strict):
    """An event-time rule checked over an event log (see docs/monitoring.md).

    These are the fields every monitor has; each kind adds its own (its model subclasses this
    one, in ``policyengine.monitor.kinds``). A pack file is read with :class:`MonitorEntry`,
    which keeps the kind's fields for the loader to check against the kind's model.
    """

    id: str = Field(pattern=RULE_ID_RE)
    title: BiText
    kind: str
    severity: Literal["error", "warning", "info"] = "error"
    cite: CiteField
    message: BiText
    note: str | None = None

    _quote = _quote_required("a monitor's")


class MonitorEntry(Monitor):
    """A ``monitors:`` entry as read: the common fields checked, the kind's fields kept."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Correlation(_Strict):
    """A check across the records of one batch (``policyengine assess``), not of one record:
    e.g. one member of staff on two projects at once (see docs/pack-format.md).

    These are the fields every correlation has; each kind adds its own (its model subclasses
    this one, e.g. :class:`NoOverlapCorrelation`). A pack file is read with
    :class:`CorrelationEntry`, which keeps the kind's fields for the loader to check.
    """

    id: str = Field(pattern=RULE_ID_RE, description="Unique id, e.g. staffing.no_double_assignment")
    title: BiText
    kind: str = Field(description="What is compared across the records: no_overlap")
    subject: str = Field(description="The kind of record it judges: station, project, ...")
    severity: Literal["error", "warning", "info"] = "error"
    cite: CiteField
    message: BiText = Field(description="Shown for each conflict; {key} {other} {overlap} ...")
    note: str | None = None

    _quote = _quote_required("a correlation's")


class CorrelationEntry(Correlation):
    """A ``correlations:`` entry as read: the common fields checked, the kind's fields kept."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class ItemPeriod(_Strict):
    """Fields of each item that narrow the record's period to the item's own stint."""

    start: str | None = Field(default=None, description="e.g. joined: the item's first day")
    end: str | None = Field(default=None, description="e.g. left: the item's last day")


class NoOverlapCorrelation(Correlation):
    """No key (a staff id) on two records whose periods overlap, both ends included."""

    kind: Literal["no_overlap"]
    items: str = Field(description="List field of the record whose items carry the key, e.g. staff")
    key: str = Field(description="Field of each item that says who it is, e.g. id")
    period: str | None = Field(
        default=None, description="Field of the record with `start` and `end`, e.g. period"
    )
    item_period: ItemPeriod | None = Field(
        default=None, description="Fields of each item narrowing the period, e.g. {start: joined, end: left}"
    )


class PackFile(_Strict):
    """The whole of a ``pack.yaml``."""

    pack: PackMeta
    extends: str | None = Field(
        default=None, description="Id (or relative path) of a pack this one builds on"
    )
    sources: list[Source] = Field(default_factory=list)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    remove: Removal | None = None
    not_checked: list[NotChecked] = Field(default_factory=list)
    scorecards: list[Scorecard] = Field(default_factory=list)
    monitors: list[MonitorEntry] = Field(default_factory=list)
    correlations: list[CorrelationEntry] = Field(
        default_factory=list, description="Checks across the records of one batch (assess only)"
    )

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict[str, Parameter]) -> dict[str, Parameter]:
        for name in v:
            if not re.match(ID_RE, name):
                raise ValueError(f"parameter name {name!r} must be lower_snake_case")
        return v
