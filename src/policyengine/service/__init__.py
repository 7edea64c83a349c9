"""The HTTP service (``policyengine serve``; the ``service`` extra): a FastAPI application over
the library, every evaluation kept in the decision history (:mod:`policyengine.history`).

    create_app(ServiceConfig(...))   the ASGI application (packs compiled, history migrated)

docs/service.md describes the API. Names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {"create_app": ".app", "ServiceConfig": ".config"}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .app import create_app as create_app
    from .config import ServiceConfig as ServiceConfig
