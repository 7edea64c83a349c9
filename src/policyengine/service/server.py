"""``policyengine serve``: the application on uvicorn.

It listens on 127.0.0.1 unless ``--host`` says otherwise (anything else is a decision: put it
behind a reverse proxy with TLS). ``--port 0`` takes any free port; the address is printed
on stderr either way, once the packs are compiled and the server listens.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from ..errors import PolicyEngineError, Problem
from .config import ServiceConfig
from .limits import MIB


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    from ..history.store import keep_inputs_default

    if args.workers < 1 or args.max_upload_mb < 1:
        raise PolicyEngineError(
            [Problem("--workers and --max-upload-mb must be 1 or more", None, None, "usage")]
        )
    return ServiceConfig(
        db_url=args.db,
        packs=tuple(args.pack) if args.pack else None,
        keep_inputs=args.keep_inputs or keep_inputs_default(),
        data_dir=args.data_dir,
        workers=args.workers,
        max_upload_bytes=args.max_upload_mb * MIB,
    )


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    config = config_from_args(args)
    app = create_app(config)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise PolicyEngineError(
            [
                Problem(
                    f"cannot listen on {args.host}:{args.port}: {exc.strerror}",
                    None,
                    "give another --port",
                    "usage",
                )
            ]
        ) from None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    catalog = app.state.service.catalogs.current
    db = app.state.service.history.engine.url.render_as_string(hide_password=True)
    print(
        f"policyengine serve: http://{shown}:{port}/api/v1 ({len(catalog.packs)} packs; "
        f"OpenAPI /api/v1/openapi.json; history {db})",
        file=sys.stderr,
        flush=True,
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=10)
    )
    server.run(sockets=[sock])
    return 0
