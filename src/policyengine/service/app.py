"""The FastAPI application: ``create_app(config)``.

Why FastAPI rather than Starlette with a schema written beside it: FastAPI generates the
OpenAPI document from the same pydantic models it validates requests with, and the report's
models already exist (``evaluate/document.py``, from which ``policyengine schema report`` is
generated) — so the published schema cannot drift from the JSON, and nothing is written twice.
It is Starlette underneath (the body-size middleware here is plain ASGI), and its sync
endpoints run in a thread pool, which suits the engine: evaluation is CPU-bound and holds no
event loop.

Start-up compiles the packs (:mod:`.catalog`) and migrates the history; shutdown ends the batch
jobs still running.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from ..errors import PackError
from ..history.store import History
from . import problems
from .auth import Admin, Viewer
from .catalog import CatalogHolder
from .config import ServiceConfig
from .jobs import JobManager
from .limits import BodyLimit
from .problems import ProblemError
from .responses import PROBLEMS, JsonBody
from .routes_evaluate import router as evaluate_router
from .routes_history import router as history_router
from .routes_jobs import router as jobs_router
from .routes_packs import router as packs_router
from .schemas import Health, ReloadResult, WhoAmI

log = logging.getLogger("policyengine.service")

DESCRIPTION = """\
Evaluate social-work stations and purchased-service projects against policy packs, keep every
evaluation in a decision history, and follow failing rules until they are fixed (整改台账).

Tokens: `Authorization: Bearer pe_…` (`policyengine serve token create`). Errors are RFC 9457
problem documents (`application/problem+json`) with positions and hints. See docs/service.md.
"""


PAGES_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Service:
    config: ServiceConfig
    catalogs: CatalogHolder
    history: History
    jobs: JobManager


def create_app(config: ServiceConfig) -> FastAPI:
    """The application, with its packs compiled and its history migrated (raises
    :class:`~policyengine.errors.PackError` when a pack cannot be compiled)."""
    history = History(config.db_url, keep_inputs=config.keep_inputs)
    catalogs = CatalogHolder(config.packs)
    jobs = JobManager(config.data_dir, max(1, config.workers), history.url, config.keep_inputs)
    service = Service(config, catalogs, history, jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()
        history.close()

    app = FastAPI(
        title="policyengine",
        version=_version(),
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        default_response_class=JsonBody,
    )
    app.state.service = service
    problems.install(app)
    for router in (packs_router, evaluate_router, history_router, jobs_router, _admin_router()):
        app.include_router(router)
    app.add_middleware(
        BodyLimit, max_json_bytes=config.max_json_bytes, max_upload_bytes=config.max_upload_bytes
    )
    app.middleware("http")(_security_headers)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    from ..web import install as install_pages

    install_pages(app)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policyengine")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "0+unknown"


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    path = request.url.path
    if path.startswith("/api/") and not path.startswith("/api/v1/docs"):
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        )
    elif not path.startswith("/api/"):  # the web pages: nothing from elsewhere, no inline script
        response.headers.setdefault("Content-Security-Policy", PAGES_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the ids of the packs served now listed wherever a pack id
    goes (a client or a tester then knows them; a request naming another is still answered,
    404). Made again after each reload."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        catalog = app.state.service.catalogs.current
        ids, kinds = sorted(catalog.packs), sorted(catalog.subjects)
        for name, component in schema.get("components", {}).get("schemas", {}).items():
            if not (name.endswith("Request") or name.startswith("Body_")):
                continue  # requests only: a response's `kind` is another thing
            fields = component.get("properties", {})
            packs = fields.get("packs")
            if packs and packs.get("type") == "array" and packs.get("items", {}).get("type") == "string":
                packs["items"]["enum"] = ids
            kind = fields.get("kind", {})
            for option in [kind, *kind.get("anyOf", [])]:
                if option.get("type") == "string":
                    option["enum"] = kinds
        for path in schema.get("paths", {}).values():
            for parameter in path.get("get", {}).get("parameters", []):
                if parameter.get("name") == "pack_id":
                    parameter["schema"]["enum"] = ids
        app.openapi_schema = schema
    return app.openapi_schema


def _admin_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["service"])

    @router.get(
        "/health",
        response_model=Health,
        responses=PROBLEMS,
        summary="the service is up; its packs' generation",
    )
    def health(request: Request) -> dict[str, Any]:
        catalog = request.app.state.service.catalogs.current
        return {"status": "ok", "generation": catalog.generation, "packs": len(catalog.packs)}

    @router.get(
        "/whoami", response_model=WhoAmI, responses=PROBLEMS, summary="the token's name, role and region"
    )
    def whoami(who: Viewer) -> dict[str, Any]:
        return who.to_dict()

    @router.post(
        "/admin/reload",
        response_model=ReloadResult,
        response_class=JsonBody,
        responses=PROBLEMS,
        summary="compile the packs again and serve them; requests in flight finish on the old ones",
    )
    def reload(request: Request, who: Admin) -> JsonBody:
        holder = request.app.state.service.catalogs
        try:
            old, new = holder.reload()
        except PackError as exc:
            raise ProblemError.of(exc) from None
        log.info("packs reloaded by %s: generation %d", who.name, new.generation)
        request.app.openapi_schema = None  # the pack ids it lists
        before = {i: p.content_hash for i, p in old.packs.items()}
        return JsonBody(
            {
                "generation": new.generation,
                "packs": [
                    {"id": p.id, "version": p.version, "content_hash": p.content_hash}
                    for p in new.packs.values()
                ],
                "changed": sorted(
                    i for i, p in new.packs.items() if i in before and before[i] != p.content_hash
                ),
                "added": sorted(set(new.packs) - set(before)),
                "removed": sorted(set(before) - set(new.packs)),
            }
        )

    return router
