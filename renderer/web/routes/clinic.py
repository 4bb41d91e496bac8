"""The clinic's settings, for its administrators: names in English and Arabic, the letterhead
of its PDFs (address, phone, logo) and its print defaults (engine.store.clinics).

    GET  /admin/clinic     the form (``?saved=1``: after a save)
    POST /admin/clinic     save; the form again with every problem next to its field (422)

A refused form keeps everything typed; a logo chosen with it is kept in the clinic's files
and carried by the form (``pending_logo``), so it need not be chosen again. A save makes
this process read the clinic again at once (renderer.web.clinic_settings); other processes
see it within ``CLINIFORM_CLINIC_CACHE_SECONDS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.store import Store
from engine.store.clinics import (
    ADDRESS_MAX,
    KEEP,
    LANGUAGES,
    LAYOUTS,
    LOGO_MAX_BYTES,
    NAME_MAX,
    PAPERS,
    PHONE_MAX,
    ClinicChanges,
    ClinicProfile,
    check,
    logo_type,
)
from engine.store.errors import InvalidSettingsError, StoreError
from renderer.pdf.clinic import data_uri
from renderer.pdf.settings import load_settings as load_pdf_settings
from renderer.web.auth import actor
from renderer.web.clinic_settings import ClinicCache
from renderer.web.i18n import request_formatter
from renderer.web.permissions import permission
from renderer.web.services import blocking
from renderer.web.views import page

OPT = permission("clinic.manage")
TEXTS = ("name", "name_ar", "address_en", "address_ar", "phone", "languages", "layout", "paper", "timezone")
LIMITS = {"name": NAME_MAX, "name_ar": NAME_MAX, "address_en": ADDRESS_MAX, "address_ar": ADDRESS_MAX, "phone": PHONE_MAX}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(slots=True)
class ClinicForm:
    """What the form shows: the stored settings, or what was just typed."""

    values: dict[str, str]
    arabic_digits: bool
    #: the clinic has not chosen its digits (the deployment's default is shown)
    digits_default: bool = False
    remove_logo: bool = False
    #: a logo uploaded with a form that had to be corrected (its SHA-256)
    pending_logo: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _form_of(clinic: ClinicProfile, default_digits: bool) -> ClinicForm:
    chosen = clinic.pdf
    values = {"name": clinic.name, "name_ar": clinic.name_ar or "", "address_en": clinic.address.get("en", ""),
              "address_ar": clinic.address.get("ar", ""), "phone": clinic.phone, "languages": chosen.languages or "",
              "layout": chosen.layout or "", "paper": chosen.paper or "", "timezone": chosen.timezone or ""}
    digits = default_digits if chosen.arabic_digits is None else chosen.arabic_digits
    return ClinicForm(values, digits, digits_default=chosen.arabic_digits is None)


async def _page(request: Request[Any, Any, Any], form: ClinicForm | None = None, *, status_code: int = 200,
                saved: bool = False) -> Response[Any]:
    store: Store = request.app.state.store
    who = actor(request)
    clinic = await blocking(store.clinics.get, who.clinic_id)
    form = form or _form_of(clinic, request.app.state.settings.arabic_digits)
    return page(request, "admin/clinic.html", status_code=status_code, clinic=clinic, form=form, saved=saved,
                logo=await _logo(store, who, clinic.logo_sha256), pending=await _logo(store, who, form.pending_logo),
                defaults=load_pdf_settings(), choices={"languages": LANGUAGES, "layout": LAYOUTS, "paper": PAPERS},
                limits=LIMITS, logo_max_kb=LOGO_MAX_BYTES // 1024, zones=_zones(), nav_section="clinic")


async def _logo(store: Store, who: Any, sha256: str | None) -> str | None:
    """A stored logo as a data: URI for the page (None when there is none or it is gone)."""
    if not sha256:
        return None
    try:
        record, data = await blocking(store.files.get, who, sha256)
    except StoreError:
        return None
    return data_uri(record.media_type, data)


_ZONES: list[str] = []


def _zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))
    return _ZONES


@get("/admin/clinic", name="clinic-settings", opt=OPT)
async def settings_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _page(request, saved=request.query_params.get("saved") == "1")


def _messages(request: Request[Any, Any, Any], problems: dict[str, str], upload: bytes | None) -> dict[str, str]:
    """Each problem in the page's language, next to its field."""
    tr = request.state.translations
    integer = request_formatter(request).integer
    out: dict[str, str] = {}
    for key in problems:
        if key in LIMITS and key != "name":
            out[key] = tr.gettext("Too long: at most %(n)s characters.") % {"n": integer(LIMITS[key])}
        elif key == "name":
            out[key] = tr.gettext("Give the clinic's name in English.")
        elif key == "logo" and upload is not None:
            out[key] = (tr.gettext("The logo must be a PNG or JPEG image.") if logo_type(upload) is None
                        else tr.gettext("The logo is too large: at most %(kb)s KB.") % {"kb": integer(LOGO_MAX_BYTES // 1024)})
        elif key == "logo":
            out[key] = tr.gettext("The logo chosen before is no longer there: choose the file again.")
        elif key == "timezone":
            out[key] = tr.gettext("Unknown time zone: choose one from the list, such as Asia/Amman.")
        else:
            out[key] = tr.gettext("Choose one of the options.")
    return out


@post("/admin/clinic", name="clinic-settings-post", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def save(request: Request[Any, Any, Any]) -> Response[Any]:
    store: Store = request.app.state.store
    who = actor(request)
    data = await request.form()
    values = {k: str(data.get(k) or "").strip() for k in TEXTS}
    digits = data.get("arabic_digits") == "1"
    digits_default = data.get("digits_default") == "1"
    remove = data.get("remove_logo") == "1"
    pending = str(data.get("pending_logo") or "")
    pending = pending if _SHA256.fullmatch(pending) else ""
    file = data.get("logo")
    upload = (await file.read()) if isinstance(file, UploadFile) and file.filename else None
    upload = upload or None
    # the digits stay the deployment's default unless the administrator changed the box
    keep_digits = digits_default and digits == request.app.state.settings.arabic_digits
    changes = ClinicChanges(
        **values,  # type: ignore[arg-type]
        arabic_digits=KEEP if keep_digits else digits,
        logo=upload if upload is not None else (None if remove else KEEP),
        stored_logo=pending if upload is None and not remove and pending else KEEP,
    )
    form = ClinicForm(values, digits, digits_default, remove, pending)
    problems = check(changes.given())
    if upload is not None and problems and "logo" not in problems:
        # keep the good logo for the corrected form: it is not chosen again
        stored = await blocking(store.files.put, who, upload, str(logo_type(upload)))
        form.pending_logo = stored.sha256
    if not problems:
        try:
            await blocking(store.clinics.update, who, changes)
        except InvalidSettingsError as refused:
            problems = refused.problems
            form.pending_logo = ""
    if problems:
        form.errors = _messages(request, problems, upload)
        return await _page(request, form, status_code=422)
    cache: ClinicCache = request.app.state.clinic_cache
    cache.forget(who.clinic_id)
    return Redirect("/admin/clinic?saved=1", status_code=HTTP_303_SEE_OTHER)


ROUTES = [settings_page, save]
