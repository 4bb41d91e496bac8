"""Every route handler of the app, module by module (one module per area)."""

from __future__ import annotations

from renderer.web.routes import (
    account,
    admin,
    audit,
    breakglass,
    cds_hooks,
    clinic,
    consents,
    documents,
    encounters,
    kiosk,
    pages,
    patients,
    pdf,
    preview,
    session,
)

ROUTES = [*pages.ROUTES, *session.ROUTES, *encounters.ROUTES, *patients.ROUTES, *documents.ROUTES, *preview.ROUTES, *cds_hooks.ROUTES, *pdf.ROUTES, *consents.ROUTES, *kiosk.ROUTES]

#: access control: the person's account, the clinic's accounts, break-glass, the audit report
ROUTES += [*account.ROUTES, *admin.ROUTES, *breakglass.ROUTES, *audit.ROUTES]
#: the clinic's own settings (letterhead, print defaults)
ROUTES += clinic.ROUTES
