"""Every route handler of the app, module by module (one module per area)."""

from __future__ import annotations

from renderer.web.routes import pages, preview

ROUTES = [*pages.ROUTES, *preview.ROUTES]
