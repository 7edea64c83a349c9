"""Registers the packs shipped with policyengine (the repository's ``packs/`` directory).

Installed as the ``policyengine_packs`` data package and registered under the
``policyengine`` entry-point group, so the shipped packs reach the registry through the
same hook as any third party's.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .hookspecs import hookimpl


def shipped_packs_dir() -> Path | None:
    """The installed ``policyengine_packs`` directory (a data-only namespace package)."""
    spec = importlib.util.find_spec("policyengine_packs")
    if spec is None or spec.submodule_search_locations is None:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location)
        if path.is_dir():  # editable installs also list an import hook, not a directory
            return path
    return None


@hookimpl
def policyengine_packs() -> list[Path]:
    root = shipped_packs_dir()
    if root is None:
        return []
    return sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file())
