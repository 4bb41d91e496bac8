"""Kept item fragments (renderer/web/fragments.py) draw exactly what a fresh render draws.

Every form of the test catalog, in English and Arabic, blank and with answers (valid,
invalid, hidden and shown), is drawn three times: once to fill the kept fragments, once from
them, and once after they were dropped. The second and third pages must be the same bytes,
and the second must have come from kept fragments. A changed answer must never show a kept
older one.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.model import Item
from renderer.web.fragments import PURE_WIDGETS, ItemFragments, _plain

Client = TestClient[Litestar]
PATIENT = {"_sex": "female", "_birth_date": "1990-01-01"}


def _fragments(app: Litestar) -> ItemFragments:
    kept = app.template_engine.engine.globals["item_fragments"]  # type: ignore[union-attr]
    assert isinstance(kept, ItemFragments)
    return kept


def _leaves(items: tuple[Item, ...] | list[Item], prefix: str = "") -> list[tuple[str, Item]]:
    found: list[tuple[str, Item]] = []
    for item in items:
        if item.type == "group":
            found += _leaves(item.children, prefix)
        elif not item.children:
            found.append((prefix + item.id, item))
    return found


def _answers(catalog: Catalog, form_id: str, invalid: bool) -> dict[str, str]:
    """A value for every top-level simple item: plausible ones, or wrong ones."""
    form = catalog.form(form_id)
    assert form is not None
    data: dict[str, str] = {}
    for path, item in _leaves(form.items):
        if item.calculate is not None or item.type in ("display", "signature", "attachment"):
            continue
        if item.type in ("integer", "decimal", "quantity"):
            data[path] = "abc" if invalid else "3"
        elif item.type == "boolean":
            data[path] = "true"
        elif item.type in ("single_choice", "multiple_choice") and item.options:
            data[path] = "no-such-code" if invalid else item.options[-1].code
        elif item.type == "date":
            data[path] = "2020-13-45" if invalid else "2020-02-29"
        elif item.type == "time":
            data[path] = "25:99" if invalid else "07:30"
        elif item.type == "datetime":
            data[path] = "yesterday" if invalid else "2020-02-29T07:30"
        elif item.type in ("text", "long_text"):
            data[path] = "x" * 500 if invalid else "<b>bold</b> & \"quoted\" نص"
    return data


def _page(client: Client, form_id: str, lang: str, data: dict[str, str] | None) -> str:
    if data is None:
        response = client.get(f"/forms/{form_id}?lang={lang}")
    else:
        response = client.post(f"/forms/{form_id}?lang={lang}", data={**data, **PATIENT})
    assert response.status_code in (200, 422), (form_id, lang, response.status_code, response.text[:500])
    return response.text


def _form_ids(catalog: Catalog) -> list[str]:
    return [f.id for f in catalog.latest_forms()]


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("state", ["blank", "answered", "invalid"])
def test_a_page_from_kept_fragments_is_the_page_drawn_afresh(app: Litestar, client: Client, catalog: Catalog,
                                                              lang: str, state: str) -> None:
    kept = _fragments(app)
    drawn_from_kept = 0
    for form_id in _form_ids(catalog):
        data = None if state == "blank" else _answers(catalog, form_id, invalid=state == "invalid")
        _page(client, form_id, lang, data)
        hits = kept.hits
        warm = _page(client, form_id, lang, data)
        drawn_from_kept += kept.hits - hits
        kept.clear()
        cold = _page(client, form_id, lang, data)
        assert warm == cold, f"{form_id} ({lang}, {state}): the page from kept fragments differs from a fresh one"
    assert drawn_from_kept > 50, "the pages were not drawn from kept fragments"


def test_an_answer_changed_is_never_shown_from_an_older_fragment(client: Client) -> None:
    for value in ("3", "7", "", "3"):
        soup = BeautifulSoup(_page(client, "test.widgets", "en", {"count": value, "name": "N"}), "html.parser")
        shown = soup.find(id="f-count")
        assert shown is not None and shown.get("value", "") == value
    for errors in (True, False):
        soup = BeautifulSoup(_page(client, "test.widgets", "en", {"count": "99" if errors else "4", "name": "N"}), "html.parser")
        item = soup.find(id="item-count")
        assert item is not None and ("field--invalid" in item["class"]) is errors
        assert bool(re.search(r"\b10\b", soup.find(id="err-count").get_text())) is errors


def test_the_language_and_the_digits_are_part_of_what_is_kept(app: Litestar, client: Client) -> None:
    english = BeautifulSoup(_page(client, "test.widgets", "en", None), "html.parser").find(id="item-count")
    arabic = BeautifulSoup(_page(client, "test.widgets", "ar", None), "html.parser").find(id="item-count")
    assert english is not None and arabic is not None
    assert "Count" in english.get_text() and "العدد" in arabic.get_text() and "Count" not in arabic.get_text()
    # the shared macros' own words follow the page's language too, drawn afresh, then kept
    _fragments(app).clear()
    for _ in range(2):
        page = BeautifulSoup(_page(client, "test.widgets", "ar", None), "html.parser")
        assert page.select_one("#req-name .sr-only").get_text() == "(مطلوب)"
        assert page.select_one("#item-double_weight .calc-badge").get_text() == "محسوب"
        page = BeautifulSoup(_page(client, "test.widgets", "en", None), "html.parser")
        assert page.select_one("#req-name .sr-only").get_text() == "(required)"
        assert page.select_one("#item-double_weight .calc-badge").get_text() == "calculated"


def test_only_values_spelled_out_by_their_repr_are_kept() -> None:
    import datetime as dt
    from decimal import Decimal

    assert _plain(["a", 1, 2.5, None, True, Decimal("1.10"), dt.date(2020, 2, 29), {"value": 3, "unit": "kg"}])
    assert not _plain(object()) and not _plain([object()]) and not _plain({1: "a"}) and not _plain({"a"})


def test_a_widget_that_reads_more_than_its_field_is_never_kept() -> None:
    # groups, row lists, grids, tooth charts, signatures and attachments read the form view
    # (rows, stored files): they are drawn every time
    assert not {"group", "repeating_group", "grid", "tooth_chart", "signature", "attachment"} & PURE_WIDGETS
    field_types = {"number", "quantity", "text", "long_text", "date", "time", "datetime", "boolean", "choice", "choices", "display"}
    assert field_types == PURE_WIDGETS


def test_the_kept_fragments_are_bounded(app: Litestar, client: Client) -> None:
    kept = _fragments(app)
    size = kept.size
    kept.size = 5
    try:
        kept.clear()
        _page(client, "test.widgets", "en", None)
        assert kept.misses and len(kept._html) == 5
    finally:
        kept.size = size



def test_page_kinds_numbered_again_never_reuse_a_number(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    # a number stands for a page kind in every key kept under it: with room for one kind
    # only, each new kind drops the others' numbers, and must never be given one of them
    # (it would find the fragments kept for another form or language)
    from types import SimpleNamespace

    import renderer.web.fragments as fragments

    monkeypatch.setattr(fragments, "PAGE_KINDS", 1)
    kept = ItemFragments()
    template = app.template_engine.engine.from_string("")  # type: ignore[union-attr]
    view = SimpleNamespace(form=object())
    tokens = []
    for lang in ("en", "ar", "en", "ar"):
        page = kept._page(template.new_context({"view": view, "request": SimpleNamespace(state=SimpleNamespace(locale=lang))}))
        assert page is not None
        tokens.append(page.token)
    assert len(set(tokens)) == 4 and len(kept._pages) == 1
