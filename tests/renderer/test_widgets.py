"""Every item type renders through its widget template, in English and Arabic."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import evaluate
from engine.types import TYPES
from renderer.fields import APPEARANCE_WIDGETS, FormView, dom_id, label
from renderer.web.views import TEMPLATE_DIR

Client = TestClient[Litestar]


def _soup(client: Client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def test_every_widget_has_a_template_and_the_test_form_uses_every_type(catalog: Catalog) -> None:
    for item_type in TYPES.values():
        assert (TEMPLATE_DIR / "widgets" / f"{item_type.widget}.html").is_file(), item_type.name
    for (item_type_name, appearance), widget in APPEARANCE_WIDGETS.items():  # an appearance's own widget
        assert item_type_name in TYPES and (TEMPLATE_DIR / "widgets" / f"{widget}.html").is_file(), appearance
    form = catalog.form("test.widgets")
    assert form is not None
    assert {i.type for i in form.index.values()} == set(TYPES)


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_item_renders_with_a_wrapper_label_and_error_slot(client: Client, catalog: Catalog, locale: str) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    soup = _soup(client, f"/forms/test.widgets?lang={locale}")
    for item in form.index.values():
        if item.parent and form.index[item.parent].type in ("repeating_group", "grid"):
            continue  # cells: checked below, per row
        wrapper = soup.find(id=f"item-{dom_id(item.id)}")
        assert wrapper is not None, item.id
        assert f"field--{TYPES[item.type].widget}" in wrapper["class"]
        if TYPES[item.type].is_input and item.type not in ("group",):
            assert wrapper.find(id=f"err-{dom_id(item.id)}") is not None, item.id
    assert soup.html["lang"] == locale
    assert soup.html["dir"] == ("rtl" if locale == "ar" else "ltr")


def test_inputs_are_labelled_and_described(client: Client) -> None:
    soup = _soup(client, "/forms/test.widgets")
    for control in soup.select("#answers-form input.input, #answers-form textarea, #answers-form select[name]:not([name$='.unit'])"):
        ident = control.get("id")
        assert ident, control
        if control.has_attr("aria-labelledby"):  # a grid cell: named by its row and column headers
            headers = [soup.find(id=ref) for ref in control["aria-labelledby"].split()]
            assert len(headers) == 2 and all(h is not None and h.name == "th" for h in headers), ident
        else:
            assert soup.find("label", attrs={"for": ident}) is not None, ident
        assert "err-" in control.get("aria-describedby", ""), ident
    name = soup.find(id="f-name")
    assert name["aria-required"] == "true" and name["aria-describedby"] == "help-name err-name"
    assert soup.find(id="req-name").get_text(strip=True).startswith("*")


def test_widget_specifics(client: Client) -> None:
    soup = _soup(client, "/forms/test.widgets")
    assert soup.find(id="f-count")["inputmode"] == "numeric"
    assert soup.find(id="f-ratio")["inputmode"] == "decimal"
    assert [o["value"] for o in soup.find(id="f-weight-unit").find_all("option")] == ["kg", "[lb_av]"]
    assert soup.find(id="f-seen_on")["type"] == "date"
    assert soup.find(id="f-seen_at")["type"] == "datetime-local"
    assert soup.find(id="f-wake")["type"] == "time"
    assert {i["value"] for i in soup.select("input[name=smoker]")} == {"true", "false", ""}
    assert len(soup.select("input[type=radio][name=colour]")) == 3  # 2 options + "no answer"
    assert soup.find("select", id="f-city") is not None  # 6 options: a select
    assert soup.find("select", id="f-size") is not None  # appearance: select
    assert len(soup.select("input[type=checkbox][name=symptoms]")) == 2
    photo = soup.find(id="f-photo")
    assert photo["type"] == "file" and photo["name"] == "photo.upload" and photo["accept"] == "image/png,image/jpeg"
    assert "Signing on screen is not available yet" in soup.find(id="item-consent_sign").get_text()
    assert soup.find(id="f-double_weight").name == "output"
    assert "field--calculated" in soup.find(id="item-double_weight")["class"]
    assert soup.find(id="item-packs").has_attr("hidden")  # visible_when smoker == true
    assert soup.find("fieldset", id="f-address").find(id="f-street") is not None
    assert soup.find(id="item-meds").find("button", attrs={"name": "_add_row", "value": "meds"}) is not None
    grid = soup.find(id="item-teeth").find("table")
    assert [th.get_text(" ", strip=True) for th in grid.find("thead").find_all("th")] == ["Depth 0–12", "Bleeding"]
    depth = grid.find(id="f-teeth-11-depth")
    assert depth["name"] == "teeth[11].depth"
    assert [soup.find(id=ref).get_text() for ref in depth["aria-labelledby"].split()] == ["Upper right central", "Depth 0–12"]
    assert not grid.find("label") and not grid.find(class_="hint")  # one header per row and column, no per-cell label
    assert [o["value"] for o in grid.find(id="f-teeth-11-bleeding").find_all("option")] == ["", "true", "false"]
    assert "Answer what you know." in soup.find(id="item-intro").get_text()


def test_arabic_labels_and_missing_translation_markers(client: Client) -> None:
    soup = _soup(client, "/forms/test.widgets?lang=ar")
    assert soup.find("label", attrs={"for": "f-name"}).get_text().startswith("الاسم")
    notes = soup.find("label", attrs={"for": "f-notes"})
    assert notes.find("span", attrs={"lang": "en"}).get_text() == "Notes"
    assert notes.find("abbr", class_="untranslated").get_text() == "EN"
    blue = soup.find(id="f-colour-1").parent
    assert blue.find("abbr", class_="untranslated") is not None
    assert soup.find("h1").get_text(strip=True) == "كل عناصر الإدخال"
    assert soup.find("button", attrs={"value": "check", "class": "button--primary"}).get_text() == "تحقق من الإجابات"


def test_label_fallback_unit() -> None:
    from engine.model import Text

    assert label(Text({"en": "Weight", "ar": "الوزن"}), "ar").missing is False
    fallback = label(Text({"en": "Weight"}), "ar")
    assert (fallback.text, fallback.lang) == ("Weight", "en")
    assert dom_id("meds[0].dose") == "meds-0-dose"
    assert dom_id("teeth[a b].depth") == "teeth-a_20b-depth"


def test_values_show_in_inputs_and_calculations(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    ev = evaluate(form, {"weight": {"value": "70.0", "unit": "kg"}, "count": 3, "seen_on": "2024-05-01", "meds": [{"drug": "x", "dose": 2.5}]})
    view = FormView(ev)
    assert view.field(form.index["weight"]).input_value == "70.0"  # what was typed stays
    assert view.field(form.index["count"]).input_value == "3"
    assert view.field(form.index["double_weight"]).display_value == "140"
    assert view.field(form.index["double_dose"], "meds[0].double_dose").display_value == "5"
    assert view.rows(form.index["meds"]) == ["0"]
    assert view.rows(form.index["teeth"]) == ["11", "21"]


def test_values_survive_a_round_trip_through_the_page(client: Client) -> None:
    """What a plain post sends back comes back in the inputs (nothing lost on errors)."""
    data = {"name": "", "count": "12x", "weight": "70", "weight.unit": "[lb_av]", "symptoms": ["fever"], "meds[0].drug": "aspirin"}
    response = client.post("/forms/test.widgets", data=data)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find(id="f-count")["value"] == "12x"
    assert soup.find(id="f-weight-unit").find("option", selected=True)["value"] == "[lb_av]"
    assert soup.find(id="f-symptoms-1").has_attr("checked")
    assert soup.find(id="f-meds-0-drug")["value"] == "aspirin"


def test_templates_have_no_inline_script_or_handlers() -> None:
    """CSP without inline script: no <script> bodies, no on* attributes in any template."""
    import re

    for path in Path(TEMPLATE_DIR).rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+=", text), path
