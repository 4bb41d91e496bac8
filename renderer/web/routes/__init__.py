"""Every route handler of the app, module by module (one module per area)."""

from __future__ import annotations

from renderer.web.routes import documents, encounters, pages, patients, preview, session

ROUTES = [*pages.ROUTES, *session.ROUTES, *encounters.ROUTES, *patients.ROUTES, *documents.ROUTES, *preview.ROUTES]
