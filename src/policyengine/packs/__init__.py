"""Pack format, loader and registry (names load on first use)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {"CompiledRule": "runtime", "Pack": "runtime", "load_pack": "loader", "PackFile": "schema"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(name)


if TYPE_CHECKING:
    from .loader import load_pack as load_pack
    from .runtime import CompiledRule as CompiledRule
    from .runtime import Pack as Pack
    from .schema import PackFile as PackFile
