"""The render pool: WeasyPrint in other processes, same bytes as in process, faster with two."""

from __future__ import annotations

from renderer.pdf.engine import AttachmentData, RenderRequest
from renderer.pdf.pool import PdfRenderer

HTML = '<html lang="ar" dir="rtl"><body style="font-family: \'Noto Naskh Arabic\'">العلامات الحيوية <bdi>120 mmHg</bdi></body></html>'


def test_a_worker_process_gives_the_same_bytes_as_this_process() -> None:
    request = RenderRequest(HTML, (AttachmentData("answers.json", b'{"a":1}', "answers"),))
    with PdfRenderer(workers=0) as inline:
        here = inline.render(request)
    with PdfRenderer(workers=1) as pool:
        there = pool.render(request)
        assert pool._executor is not None
    assert here == there and here.startswith(b"%PDF-")


def test_no_url_is_fetched() -> None:
    html = '<html><body><img src="file:///etc/passwd"><img src="http://example.invalid/x.png">ok</body></html>'
    with PdfRenderer(workers=0) as inline:
        pdf = inline.render(RenderRequest(html, variant=None))
    assert pdf.startswith(b"%PDF-") and b"root:" not in pdf
