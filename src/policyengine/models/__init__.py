"""Subject models: what packs evaluate, as pydantic v2 models.

Money is ``Decimal`` yuan; every field has a Chinese title (``Field.title``) used in
reports and spreadsheet headers, and an English description.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, RecordError, did_you_mean
from .base import Model, Subject, validation_error_to_record_error
from .components import (
    AnnualInspection,
    Budget,
    BudgetLine,
    Certification,
    Document,
    Equipment,
    Penalty,
    Period,
    Rating,
    Region,
    Service,
    ServiceDomain,
    Site,
    StaffMember,
    Volunteers,
)
from .subjects import (
    Application,
    Approval,
    Community,
    ContractTerms,
    Disclosure,
    Evaluation,
    Funding,
    FundingSource,
    Funds,
    Governance,
    Incubation,
    Organization,
    Outputs,
    Procurement,
    Project,
    ProjectReport,
    Station,
    StreetSupport,
)

#: The subjects this library defines; plugins may add more.
BUILTIN_SUBJECTS: dict[str, type[Subject]] = {
    m.kind_name: m for m in (Station, Project, Organization, Community, Funding)
}


def validate_record(
    data: Any,
    subjects: Mapping[str, type[Subject]],
    kind: str | None = None,
    source: str | None = None,
) -> Subject:
    """Validate a record (a mapping, or an already built model) into its subject model.

    The kind comes from ``kind`` or the record's own ``kind`` key. Raises
    :class:`RecordError` naming each bad field, with "did you mean" for unknown keys.
    """
    if isinstance(data, Subject):
        if kind is not None and data.kind_name != kind:
            raise RecordError([Problem(f"expected a {kind} record, got a {data.kind_name}", None)])
        return data
    if not isinstance(data, Mapping):
        raise RecordError([Problem(f"a record must be a mapping of fields, got {type(data).__name__}")])
    record_kind = kind or data.get("kind")
    if record_kind is None:
        raise RecordError(
            [
                Problem(
                    "the record does not say what it is",
                    None,
                    f"add `kind:` with one of {', '.join(sorted(subjects))}",
                    "record",
                )
            ]
        )
    model = subjects.get(str(record_kind))
    if model is None:
        suggestion = did_you_mean(str(record_kind), subjects)
        raise RecordError(
            [
                Problem(
                    f"unknown record kind {record_kind!r}",
                    None,
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"use one of {', '.join(sorted(subjects))}",
                    "record",
                )
            ]
        )
    payload = dict(data)
    payload.setdefault("kind", record_kind)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise validation_error_to_record_error(exc, model, source) from None


__all__ = [
    "BUILTIN_SUBJECTS",
    "AnnualInspection",
    "Application",
    "Approval",
    "Budget",
    "BudgetLine",
    "Certification",
    "Community",
    "ContractTerms",
    "Disclosure",
    "Document",
    "Equipment",
    "Evaluation",
    "Funding",
    "FundingSource",
    "Funds",
    "Governance",
    "Incubation",
    "Model",
    "Organization",
    "Outputs",
    "Penalty",
    "Period",
    "Procurement",
    "Project",
    "ProjectReport",
    "Rating",
    "Region",
    "Service",
    "ServiceDomain",
    "Site",
    "StaffMember",
    "Station",
    "StreetSupport",
    "Subject",
    "Volunteers",
    "validate_record",
]
