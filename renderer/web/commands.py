"""Web commands: `cliniform serve`."""

from __future__ import annotations

import argparse
import os
import sys

from renderer.web.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve the web app (uvicorn) on HOST:PORT",
        description="Serve the Cliniform web app with uvicorn. Settings come from CLINIFORM_* "
        "environment variables (see renderer/web/settings.py and docs/operations.md); --host and "
        "--port override CLINIFORM_HOST and CLINIFORM_PORT. The installed definitions are checked "
        "first: the server does not start on definitions with errors.",
    )
    serve.add_argument("--host", help="address to listen on (default: $CLINIFORM_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $CLINIFORM_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from renderer.web.app import CatalogError, load_catalog

    settings = load_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    try:
        catalog = load_catalog(settings)
    except CatalogError as error:
        print(f"cliniform serve: {error}", file=sys.stderr)
        print("fix the definitions (`cliniform check` lists every problem) and start again", file=sys.stderr)
        return 1
    os.environ["CLINIFORM_HOST"], os.environ["CLINIFORM_PORT"] = host, str(port)
    print(f"Cliniform: {len(catalog.latest_forms())} forms loaded; serving on http://{host}:{port}", flush=True)
    uvicorn.run(
        "renderer.web.app:create_app", factory=True, host=host, port=port,
        workers=args.workers if not args.reload else None, reload=args.reload,
        log_level=settings.log_level.lower(), access_log=False, proxy_headers=False,
    )
    return 0
