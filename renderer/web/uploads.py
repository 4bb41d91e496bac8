"""Uploaded files -> file references the evaluator checks (type, size) and the store keeps.

The media type is taken from the file's first bytes where we know the format, not from what
the browser claims; the store (or the preview, which keeps nothing) decides where bytes go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from litestar.datastructures import UploadFile

from engine.model import Form
from engine.types import TYPES
from renderer.live import changed_item

#: (magic prefix, media type) for the formats clinics upload
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

#: where bytes go: returns the SHA-256 they are kept under
Keeper = Callable[[bytes, str], Awaitable[str]]


async def hash_only(content: bytes, media_type: str) -> str:
    """The preview's keeper: stores nothing, names the bytes by their hash."""
    return hashlib.sha256(content).hexdigest()


#: declared types believed for files whose bytes we cannot recognise: formats a browser
#: never runs (HTML, SVG, XML, scripts and anything else stay application/octet-stream)
INERT_DECLARED = frozenset({"text/plain", "text/csv", "application/dicom"})


def sniff(content: bytes, declared: str | None) -> str:
    """The media type the bytes show; a declared type only for inert formats we cannot
    recognise."""
    for prefix, media_type in MAGIC:
        if content.startswith(prefix):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    claimed = (declared or "").split(";")[0].strip().lower()
    # a file that claims a format we recognise but does not start like one is not that
    # format; one that claims an active format (text/html, image/svg+xml) is not trusted
    return claimed if claimed in INERT_DECLARED else "application/octet-stream"


async def file_refs(form: Form, pairs: Iterable[tuple[str, Any]], keep: Keeper = hash_only) -> dict[str, dict[str, Any]]:
    """References for the files posted with a form (``<path>.upload`` fields), by path."""
    refs: dict[str, dict[str, Any]] = {}
    for name, value in pairs:
        if not name.endswith(".upload") or not isinstance(value, UploadFile) or not value.filename:
            continue
        hit = changed_item(form, name)
        if hit is None or TYPES[hit[0].type].widget not in ("attachment", "signature"):
            continue
        content = await value.read()
        if not content:
            continue
        media_type = sniff(content, value.content_type)
        refs[hit[1]] = {
            "file": await keep(content, media_type),
            "name": value.filename.replace("\\", "/").rsplit("/", 1)[-1][:200],
            "media_type": media_type,
            "size": len(content),
        }
    return refs
