"""The packs shipped with policyengine.

This module is installed as ``policyengine_packs`` and registered under the
``policyengine`` entry-point group, so the shipped packs reach the registry through the
same hook as any third party's.
"""

from __future__ import annotations

from pathlib import Path

from policyengine import hookimpl

HERE = Path(__file__).resolve().parent


@hookimpl
def policyengine_packs() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / "pack.yaml").is_file())
