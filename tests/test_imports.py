"""Every module imports on its own, in a fresh interpreter (no import-order luck)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import policyengine

#: Alembic's environment script runs only inside Alembic (it reads ``alembic.context``, which
#: Alembic sets while it migrates); tests/test_history.py migrates through it on both databases.
RUN_BY_ALEMBIC = {"policyengine.history.migrations.env"}
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(policyengine.__path__, "policyengine.")
    if m.name not in RUN_BY_ALEMBIC
)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module: str) -> None:
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-600:]


def test_import_policyengine_is_lazy_but_complete() -> None:
    code = (
        "import sys, policyengine; assert 'policyengine.evaluate.engine' not in sys.modules; "
        "assert all(getattr(policyengine, n) is not None for n in policyengine.__all__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-600:]
