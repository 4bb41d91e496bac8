"""The application factory: `create_app(settings)` builds a configured Litestar app.

Nothing is read at import time: settings come in (tests build their own), the definition
catalog is loaded here (or passed in), and every piece of state lives on ``app.state``.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from litestar import Litestar, Request
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from engine.catalog import Catalog
from engine.packs import default_pack_roots, load
from engine.store import Database, Store
from engine.store.errors import OutOfScopeError
from renderer.web import logs
from renderer.web.auth import guard, secret_key
from renderer.web.clinic_settings import ClinicCache, arabic_digits
from renderer.web.csrf import csrf_field
from renderer.web.errors import http_error, out_of_scope, server_error
from renderer.web.formpost import LiveEvaluations
from renderer.web.fragments import install as install_fragments
from renderer.web.headers import security_headers
from renderer.web.i18n import JINJA_FILTERS, JINJA_GLOBALS, negotiate, translations, use_request
from renderer.web.permissions import PermissionsError, check_routes, load_policy
from renderer.web.routes import ROUTES
from renderer.web.settings import PROJECT_ROOT, WebSettings, load_settings
from renderer.web.views import STATIC_DIR, TEMPLATE_DIR


class CatalogError(RuntimeError):
    """The installed definitions have errors; the app refuses to start on them."""


class _Environment(Environment):
    """Jinja2's environment, but a template without globals of its own reads the
    environment's globals dict itself. Jinja wraps it in a ChainMap per template, which every
    render and every include walks in Python (to copy it into the new context, to list its
    names): a fifth of drawing a form item afresh."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return self.globals if not d else super().make_globals(d)

    # Jinja adds globals given with a template's name into that template's globals: here the
    # environment's own, every template's. Both ways in refuse them (the app passes none).
    def get_template(self, name: str | Template, parent: str | None = None,
                     globals: MutableMapping[str, Any] | None = None) -> Template:
        return super().get_template(name, parent, _none_of_its_own(globals))

    def select_template(self, names: Iterable[str | Template], parent: str | None = None,
                        globals: MutableMapping[str, Any] | None = None) -> Template:
        return super().select_template(names, parent, _none_of_its_own(globals))


def _none_of_its_own(given: MutableMapping[str, Any] | None) -> None:
    if given:
        raise TypeError("templates take no globals of their own here: add them to env.globals")


def template_environment() -> Environment:
    """Jinja2 with autoescaping everywhere and undefined names as errors."""
    env = _Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(JINJA_GLOBALS)
    env.globals["csrf_field"] = csrf_field
    env.filters.update(JINJA_FILTERS)
    install_fragments(env)
    # the shared widget macros (label, help, errors...) as `m` in every template: built once,
    # not imported (and rebuilt) by each of a page's hundreds of includes
    env.globals["m"] = env.get_template("forms/_macros.html").make_module()
    return env


def load_catalog(settings: WebSettings) -> Catalog:
    """Load the installed packs; raise CatalogError listing every error diagnostic."""
    roots = list(settings.pack_roots) if settings.pack_roots is not None else default_pack_roots(PROJECT_ROOT)
    result = load(roots)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:
        raise CatalogError("the definitions have errors:\n" + "\n".join(str(d) for d in errors))
    return result.catalog


async def _set_locale(request: Request[Any, Any, Any]) -> None:
    settings: WebSettings = request.app.state.settings
    locale = negotiate(request, settings.locales)
    request.state.locale = locale
    request.state.translations = translations(settings.locale_dir, locale)
    # Arabic-Indic digits: the clinic's choice (kept per process for a few seconds), only
    # looked up for an Arabic page; static files render nothing
    static = bool(request.route_handler.opt.get("static"))
    request.state.arabic_digits = locale == "ar" and not static and await arabic_digits(request)
    use_request(request)


def create_app(settings: WebSettings | None = None, *, catalog: Catalog | None = None,
               store: Store | None = None, after_response: Any = None) -> Litestar:
    """A Cliniform web app for ``settings`` (default: read from the environment).

    The database must be migrated (`cliniform db upgrade`); the app refuses to start otherwise.
    """
    settings = settings or load_settings()
    logs.configure(settings.log_level)
    catalog = catalog if catalog is not None else load_catalog(settings)
    store = store if store is not None else Store(Database.from_settings(settings.store))
    static = create_static_files_router(
        path="/static", directories=[STATIC_DIR], name="static", include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600, public=True), opt={"public": True, "static": True},
    )
    policy = load_policy(settings.permissions_file)
    app = Litestar(
        route_handlers=[*ROUTES, static],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(template_environment())),
        plugins=[HTMXPlugin()],
        middleware=[logs.request_logging],
        exception_handlers={HTTPException: http_error, OutOfScopeError: out_of_scope, Exception: server_error},
        before_request=_set_locale,
        before_send=[security_headers],
        after_response=after_response,
        guards=[guard],
        on_startup=[store.check_migrated],
        state=State({"settings": settings, "catalog": catalog, "store": store, "policy": policy,
                     "secret": secret_key(settings, PROJECT_ROOT / "var"),
                     "clinic_cache": ClinicCache(settings.clinic_cache_seconds), "live_evaluations": LiveEvaluations()}),
        request_max_body_size=(settings.max_upload_kb + 1024) * 1024,
        multipart_form_part_limit=settings.max_form_fields,
        openapi_config=None,
        debug=settings.debug,
    )
    problems = check_routes(policy, ((route.path, handler.opt) for route in app.routes
                                     for handler in (route.route_handlers if isinstance(route, HTTPRoute) else [route.route_handler])))
    if problems:
        raise PermissionsError("\n".join(problems))
    return app


def serve_app() -> Litestar:
    """The app as `cliniform serve` runs it: built, then the long-lived objects (compiled
    definitions, templates) frozen out of the garbage collector, so its full passes stop
    walking them mid-request; and the GIL handed between the event loop and the store's
    worker threads every 0.5 ms instead of 5 ms. Both showed as latency spikes under load
    (live round-trip p99 at 300 requests/s: 141 ms before, 22 ms after; docs/PERFORMANCE.md)."""
    app = create_app(after_response=GcSettler())
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.0005)
    return app


class GcSettler:
    """``after_response`` hook: freeze what the first requests built to last (templates
    compiled on first use, locale data, the store's compiled statements, pooled connections)
    out of the garbage collector too, after the 200th and the 2,000th response.

    A full collection walks every tracked object that is not frozen, and stops the event
    loop while it does: with those objects left in, one took 27-100 ms under load, the
    live round-trip's p99 (docs/PERFORMANCE.md). Garbage is collected just before each
    freeze, so only live objects are frozen; a frozen object is still freed when its last
    reference goes, only a cycle among frozen objects stays (a one-time, bounded amount).
    """

    AT = (200, 2_000)

    def __init__(self) -> None:
        self.responses = 0

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        self.responses += 1
        if self.responses in self.AT:
            gc.collect()
            gc.freeze()
