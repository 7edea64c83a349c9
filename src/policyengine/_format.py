"""How values read in messages and reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .lang.runtime import MISSING


def format_value(value: Any, lang: str = "zh") -> str:
    """How a value reads in a message or report."""
    if value is MISSING or value is None:
        return "（缺失）" if lang == "zh" else "(missing)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Enum):
        labels = getattr(type(value), "__labels__", None)
        if lang == "zh" and labels:
            return str(labels.get(value.value, value.value))
        return str(value.value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(format_value(v, lang) for v in value)
    if isinstance(value, BaseModel):
        name = getattr(value, "name", None) or getattr(value, "id", None)
        return str(name) if name else type(value).__name__
    return str(value)


def format_decimal(value: Decimal) -> str:
    """Plain notation, no exponent, no needless trailing zeros (156.3000 → 156.3)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    return text
