"""Web commands: `cliniform serve`, `cliniform seed-demo`."""

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

    seed = subparsers.add_parser(
        "seed-demo",
        help="create the demo clinic: one user per role and 20 patients",
        description="Create the demo clinic (code $CLINIFORM_CLINIC, default `demo`) in the database "
        "($CLINIFORM_DATABASE_URL): users admin, clinician, nurse, reception and auditor with the passwords printed "
        "here and in README.md, 20 patients with Arabic and Latin names, and a few encounters and "
        "vital-sign documents. Does nothing when the clinic exists. Run `cliniform db upgrade` first.",
    )
    seed.set_defaults(handler=cmd_seed)


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
    from engine.store import Database, NotMigratedError, check_migrated

    try:
        check_migrated(Database.from_settings(settings.store))
    except NotMigratedError as error:
        print(f"cliniform serve: {error}", file=sys.stderr)
        return 1
    os.environ["CLINIFORM_HOST"], os.environ["CLINIFORM_PORT"] = host, str(port)
    print(f"Cliniform: {len(catalog.latest_forms())} forms loaded; serving on http://{host}:{port}", flush=True)
    uvicorn.run(
        "renderer.web.app:serve_app", factory=True, host=host, port=port,
        workers=args.workers if not args.reload else None, reload=args.reload,
        log_level=settings.log_level.lower(), access_log=False,
        # behind a TLS-terminating proxy: believe its X-Forwarded-For/-Proto (client address
        # for the sign-in throttle and the audit trail; https for Secure cookies and HSTS)
        proxy_headers=bool(settings.forwarded_allow_ips), forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from engine.store import Database, NotMigratedError, Store, check_migrated
    from renderer.web.app import CatalogError, load_catalog
    from renderer.web.seed import DEMO_USERS, seed_demo

    settings = load_settings()
    db = Database.from_settings(settings.store)
    try:
        check_migrated(db)
        catalog = load_catalog(settings)
    except (NotMigratedError, CatalogError) as error:
        print(f"cliniform seed-demo: {error}", file=sys.stderr)
        return 1
    result = seed_demo(Store(db), catalog, settings.clinic)
    if result.created:
        print(f"Demo clinic '{settings.clinic}' created with {result.patients} patients.")
    else:
        print(f"Demo clinic '{settings.clinic}' already exists; nothing changed.")
    print("Sign in with:")
    for name, (password, display, roles) in DEMO_USERS.items():
        print(f"  {name:<10} password {password:<22} ({display}; {', '.join(roles)})")
    return 0
