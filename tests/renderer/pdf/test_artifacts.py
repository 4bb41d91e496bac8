"""One page of each kind of print rendered to PNG under test-artifacts/pdf/, for people to
look at (Arabic joined and right to left, nothing overlapping or cut). The test checks the
images exist and are A4 at 80 dpi; the looking is done by a person (see docs/pdf.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from renderer.pdf.service import PdfFile
from tests.renderer.pdf import readback

Rendered = Callable[..., PdfFile]
KINDS = [
    ("vitals", "en", "side", 1), ("vitals", "ar", "side", 1), ("vitals", "both", "side", 1),
    ("vitals", "both", "stacked", 1), ("consent", "both", "side", 2), ("medications", "both", "side", 1),
    ("dental", "both", "side", 1), ("encounter", "ar", "side", 1), ("chart", "both", "stacked", 1),
]


@pytest.mark.parametrize(("what", "languages", "layout", "page"), KINDS)
def test_a_page_of_each_kind_as_png(rendered: Rendered, what: str, languages: str, layout: str, page: int) -> None:
    path = readback.png(rendered(what, languages, layout).data, f"{what}-{languages}-{layout}-p{page}", page)
    with Image.open(path) as image:
        assert abs(image.size[0] - 661) <= 1 and abs(image.size[1] - 935) <= 1  # A4 at 80 dpi
        assert image.convert("L").getextrema()[0] < 100  # something dark was drawn
