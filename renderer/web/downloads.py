"""Safe ``Content-Disposition`` for files the app sends (PDFs, CSV exports, attachments).

A file name may come from patient data (an MRN, a name) or an upload. The header gets an
ASCII fallback with anything outside ``[A-Za-z0-9._-]`` replaced (no quotes, semicolons,
slashes or line breaks can reach it) and the full name in RFC 5987 / RFC 6266
``filename*=UTF-8''...`` form, percent-encoded.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, default: str = "download") -> str:
    """``name`` reduced to a plain ASCII file name (no path, no leading dot)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._")[:150]
    return cleaned or default


def content_disposition(name: str, *, inline: bool = False) -> str:
    """The header value for sending a file called ``name``."""
    kind = "inline" if inline else "attachment"
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\r", "").replace("\n", "")
    fallback = safe_filename(base)
    header = f'{kind}; filename="{fallback}"'
    if base != fallback:
        header += f"; filename*=UTF-8''{quote(base, safe='')}"
    return header
