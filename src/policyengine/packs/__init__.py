"""Pack format, loader and registry."""

from .loader import CompiledRule, Pack, load_pack
from .schema import PackFile

__all__ = ["CompiledRule", "Pack", "PackFile", "load_pack"]
