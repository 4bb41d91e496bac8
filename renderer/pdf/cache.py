"""Rendered PDFs cached by the hash of exactly what was rendered.

The key is the SHA-256 of the final HTML (CSS inline, images as data: URIs, the print
stamp included), the attachments, the PDF variant and the WeasyPrint version: equal key,
equal PDF. Files live under ``<dir>/<key[:2]>/<key>.pdf``, written to a temporary file and
renamed, so any number of app processes on a host share the cache safely. The cache holds
patient data: the folder is created 0700 and files 0600; it is trimmed, oldest first, when
it grows past its size limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from renderer.pdf.engine import RenderRequest


@lru_cache(maxsize=1)
def weasyprint_version() -> str:
    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "missing"


def cache_key(request: RenderRequest) -> str:
    digest = hashlib.sha256()
    for part in (weasyprint_version(), str(request.variant), str(request.created)):
        digest.update(part.encode() + b"\0")
    digest.update(request.html.encode("utf-8") + b"\0")
    for a in request.attachments:
        digest.update(f"{a.name}\0{a.description}\0{a.relationship}\0".encode())
        digest.update(hashlib.sha256(a.data).digest())
    return digest.hexdigest()


class PdfCache:
    def __init__(self, directory: Path, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._writes = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not data.startswith(b"%PDF-"):
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: trimmed last
        return data

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._writes += 1
        if self._writes % 50 == 1:
            self.trim()

    def trim(self) -> int:
        """Delete the least recently used PDFs until the cache fits; returns how many."""
        files = []
        for path in self.directory.glob("*/*.pdf"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        removed = 0
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed
