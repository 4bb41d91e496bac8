"""PDF downloads: a document, an encounter summary, a chart summary.

    GET /documents/{id}/pdf          ?lang=en|ar|both  &layout=side|stacked  &inline=1
    GET /encounters/{id}/pdf
    GET /patients/{id}/chart.pdf

Rendering runs in the PDF process pool (renderer.pdf), never in the server's event loop;
the PdfService is made on first use and kept on ``app.state.pdf`` (its processes stop with
the app). Every download is audited (``export``) by the service. PDFs hold patient data:
they are sent ``Cache-Control: no-store``.
"""

from __future__ import annotations

import threading
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath

from engine.store import NotFoundError
from renderer.pdf.service import PdfFile, PdfService
from renderer.pdf.settings import load_settings
from renderer.web.auth import actor
from renderer.web.downloads import content_disposition
from renderer.web.permissions import permission
from renderer.web.services import blocking

OPT = permission("documents.export")
_lock = threading.Lock()


def pdf_service(request: Request[Any, Any, Any]) -> PdfService:
    """The app's PdfService (created once, on the first PDF request)."""
    state = request.app.state
    with _lock:
        service: PdfService | None = state.get("pdf")
        if service is None:
            service = PdfService(state.store, state.catalog, load_settings())
            state.pdf = service
            request.app.on_shutdown.append(service.close)
    return service


def _response(pdf: PdfFile, inline: bool) -> Response[bytes]:
    return Response(pdf.data, media_type=pdf.media_type, headers={
        "Content-Disposition": content_disposition(pdf.filename, inline=inline),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


async def _download(request: Request[Any, Any, Any], kind: str, ident: int) -> Response[bytes]:
    query = request.query_params
    service = pdf_service(request)
    try:
        pdf = await blocking(getattr(service, kind), actor(request), ident, languages=query.get("lang") or None,
                             layout=query.get("layout") or None, action="export")
    except NotFoundError as error:
        raise NotFoundException(str(error)) from error
    except ValueError as error:
        raise ValidationException(str(error)) from error
    return _response(pdf, query.get("inline") == "1")


@get("/documents/{document_id:int}/pdf", name="document_pdf", opt=OPT)
async def document_pdf(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[bytes]:
    """A stored document as PDF/A-3b, against the form version it was captured with."""
    return await _download(request, "document", document_id)


@get("/encounters/{encounter_id:int}/pdf", name="encounter_pdf", opt=OPT)
async def encounter_pdf(request: Request[Any, Any, Any], encounter_id: FromPath[int]) -> Response[bytes]:
    """An encounter and every document recorded in it."""
    return await _download(request, "encounter", encounter_id)


@get("/patients/{patient_id:int}/chart.pdf", name="chart_pdf", opt=OPT)
async def chart_pdf(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[bytes]:
    """The chart summary: allergies, problems, medications, vital signs, recent activity."""
    return await _download(request, "chart", patient_id)


ROUTES = [document_pdf, encounter_pdf, chart_pdf]
