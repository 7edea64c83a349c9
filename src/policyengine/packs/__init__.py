"""Pack format, loader and registry (names load on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {"CompiledRule": ".runtime", "Pack": ".runtime", "load_pack": ".loader", "PackFile": ".schema"}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .loader import load_pack as load_pack
    from .runtime import CompiledRule as CompiledRule
    from .runtime import Pack as Pack
    from .schema import PackFile as PackFile
