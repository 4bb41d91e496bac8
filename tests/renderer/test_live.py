"""The live endpoint: one changed answer in, only the affected fragments out (out-of-band)."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]
HX = {"HX-Request": "true"}
VITALS_SHOWN = ["blood_pressure", "systolic", "diastolic", "heart_rate", "weight", "height", "bmi", "pregnant", "pain_score"]


def _live(client: Client, form: str, data: dict[str, Any], lang: str = "en", pressed: str | None = None) -> BeautifulSoup:
    """A live post; ``pressed``: the name of the button that sent it (htmx's HX-Trigger-Name)."""
    headers = HX if pressed is None else {**HX, "HX-Trigger-Name": pressed}
    response = client.post(f"/forms/{form}/live?lang={lang}", data=data, headers=headers)
    assert response.status_code == 200, response.text[:500]
    soup = BeautifulSoup(response.text, "html.parser")
    assert all(el.has_attr("hx-swap-oob") for el in soup.find_all(recursive=False)), "only out-of-band fragments"
    assert not soup.select("[hx-swap-oob] [hx-swap-oob]"), "no nested out-of-band fragments"
    return soup


def _ids(soup: BeautifulSoup) -> set[str]:
    return {el["id"] for el in soup.find_all(recursive=False)}


def test_bmi_updates_and_the_typed_input_is_not_swapped(client: Client) -> None:
    data = {"weight": "70", "weight.unit": "kg", "height": "175", "height.unit": "cm", "_changed": "height", "_visible": VITALS_SHOWN}
    soup = _live(client, "core.vitals", data)
    # no rule reads height or BMI: no alert slot is sent, the cards on the page stay
    assert _ids(soup) == {"err-height", "req-height", "item-bmi"}
    assert soup.find(id="f-bmi").get_text(strip=True) == "22.9 kg/m²"
    assert soup.find(id="f-height") is None  # the field being typed in keeps its element


def test_unit_change_counts_as_a_change_of_the_quantity(client: Client) -> None:
    data = {"weight": "154.3", "weight.unit": "[lb_av]", "height": "175", "height.unit": "cm", "_changed": "weight.unit", "_visible": VITALS_SHOWN}
    soup = _live(client, "core.vitals", data)
    assert {"err-weight", "item-bmi"} <= _ids(soup)
    assert soup.find(id="f-bmi").get_text(strip=True).startswith("22.9")


def test_conditional_item_appears_and_disappears(client: Client) -> None:
    soup = _live(client, "core.vitals", {"pain_score": "5", "_changed": "pain_score", "_visible": VITALS_SHOWN})
    wrapper = soup.find(id="item-pain_location")
    assert wrapper is not None and not wrapper.has_attr("hidden")
    assert wrapper.find(id="req-pain_location").get_text(strip=True).startswith("*")
    assert wrapper.find("input", attrs={"name": "_visible", "value": "pain_location"}) is not None
    # the item was not touched yet: its "required" error waits until submit
    assert wrapper.find(id="err-pain_location").get_text(strip=True) == ""
    soup = _live(client, "core.vitals", {"pain_score": "0", "pain_location": "knee", "_changed": "pain_score", "_visible": [*VITALS_SHOWN, "pain_location"]})
    assert soup.find(id="item-pain_location").has_attr("hidden")


def test_required_marker_follows_required_when_without_swapping_the_input(client: Client) -> None:
    shown = [*VITALS_SHOWN, "pain_location"]
    soup = _live(client, "core.vitals", {"pain_score": "2", "_changed": "pain_score", "_visible": shown})
    assert soup.find(id="req-pain_location").get_text(strip=True) == ""
    assert soup.find(id="f-pain_location") is None
    soup = _live(client, "core.vitals", {"pain_score": "7", "_changed": "pain_score", "_visible": shown})
    assert soup.find(id="req-pain_location").get_text(strip=True).startswith("*")


def test_errors_of_the_changed_item_and_its_dependents(client: Client) -> None:
    soup = _live(client, "core.vitals", {"heart_rate": "fast", "_changed": "heart_rate", "_visible": VITALS_SHOWN})
    assert soup.find(id="err-heart_rate").get_text(" ", strip=True) == "Error: Enter a whole number."
    assert soup.find(id="err-systolic") is None  # untouched required items stay quiet
    soup = _live(client, "core.vitals", {"systolic": "90", "diastolic": "100", "_changed": "systolic", "_visible": VITALS_SHOWN})
    assert "lower than systolic" in soup.find(id="err-diastolic").get_text()
    soup = _live(client, "core.vitals", {"systolic": "", "_changed": "systolic", "_visible": VITALS_SHOWN})
    assert "required" in soup.find(id="err-systolic").get_text()  # cleared by the person: say so


def test_messages_in_arabic(client: Client) -> None:
    soup = _live(client, "core.vitals", {"heart_rate": "سريع", "_changed": "heart_rate", "_visible": VITALS_SHOWN}, lang="ar")
    assert "أدخل عددًا صحيحًا" in soup.find(id="err-heart_rate").get_text()
    soup = _live(client, "core.vitals", {"heart_rate": "٧٢", "_changed": "heart_rate", "_visible": VITALS_SHOWN}, lang="ar")
    assert soup.find(id="err-heart_rate").get_text(strip=True) == ""  # Arabic-Indic digits are numbers


def test_add_and_remove_rows(client: Client) -> None:
    soup = _live(client, "test.widgets", {"_add_row": "meds", "_visible": ["meds"]}, pressed="_add_row")
    group = soup.find(id="item-meds")
    assert group is not None
    assert group.find(id="f-meds-0-drug").has_attr("autofocus")
    assert group.find("input", attrs={"name": "meds[0]._row"}) is not None
    data = {"meds[0].drug": "a", "meds[1].drug": "b", "meds[2].drug": "c", "_remove_row": "meds[1]", "_visible": ["meds"]}
    soup = _live(client, "test.widgets", data, pressed="_remove_row")
    assert [i["value"] for i in soup.select("#item-meds input[name$='.drug']")] == ["a", "c"]
    assert soup.find("button", attrs={"name": "_add_row"}).has_attr("autofocus")
    full = {f"meds[{i}].drug": "x" for i in range(3)} | {"_visible": ["meds"], "_add_row": "meds"}
    soup = _live(client, "test.widgets", full, pressed="_add_row")
    assert len(soup.select("#item-meds .repeat-row")) == 3  # max_rows
    assert soup.find("button", attrs={"name": "_add_row"}).has_attr("disabled")


def test_cell_change_updates_the_calculation_in_its_row(client: Client) -> None:
    data = {"meds[0].drug": "a", "meds[0].dose": "5", "meds[1].drug": "b", "meds[1].dose": "7",
            "_changed": "meds[1].dose", "_visible": ["meds", "meds[0].drug", "meds[0].dose", "meds[0].double_dose",
                                                     "meds[1].drug", "meds[1].dose", "meds[1].double_dose"]}
    soup = _live(client, "test.widgets", data)
    assert soup.find(id="item-meds-1-double_dose").find("output").get_text(strip=True) == "14"
    assert soup.find(id="err-meds-1-dose") is not None
    assert soup.find(id="f-meds-1-dose") is None


def test_grid_cell_errors(client: Client) -> None:
    data = {"teeth[11].depth": "40", "_changed": "teeth[11].depth", "_visible": ["teeth", "teeth[11].depth"]}
    soup = _live(client, "test.widgets", data)
    assert "at most 12" in soup.find(id="err-teeth-11-depth").get_text()


def test_after_a_submit_the_summary_follows_live_changes(client: Client) -> None:
    soup = _live(client, "core.vitals", {"systolic": "120", "_changed": "systolic", "_submitted": "1", "_visible": VITALS_SHOWN})
    summary = soup.find(id="error-summary")
    assert summary is not None and summary.has_attr("hx-swap-oob")
    links = [a["href"] for a in summary.find_all("a")]
    assert links == ["#f-diastolic"]


def test_unknown_form_is_404(client: Client) -> None:
    assert client.post("/forms/nope/live", data={}, headers=HX).status_code == 404


def test_rule_cards_follow_the_answers(client: Client) -> None:
    soup = _live(client, "core.vitals", {"systolic": "190", "diastolic": "95", "_changed": "systolic", "_visible": VITALS_SHOWN})
    slot = soup.find(id="alert-core-hypertensive_crisis")
    assert slot is not None and slot.find(class_="alert--critical") is not None
    # only the rules that read the changed answer are run and sent again
    assert {el["id"] for el in soup.select(".alert-slot")} == {"alert-core-hypertensive_crisis"}
    soup = _live(client, "core.vitals", {"systolic": "120", "diastolic": "80", "_changed": "systolic", "_visible": VITALS_SHOWN})
    assert soup.find(id="alert-core-hypertensive_crisis").find(class_="alert") is None
    soup = _live(client, "core.vitals", {"heart_rate": "130", "_changed": "heart_rate", "_visible": VITALS_SHOWN})
    assert {el["id"] for el in soup.select(".alert-slot")} == {"alert-core-tachycardia", "alert-core-bradycardia"}
    assert soup.find(id="alert-core-tachycardia").find(class_="alert--warning") is not None


def _vitals(**answers: str) -> dict[str, Any]:
    """Every vitals answer, as the browser posts the whole form on each round-trip."""
    data = {"systolic": "", "diastolic": "", "heart_rate": "", "weight": "", "weight.unit": "kg", "height": "",
            "height.unit": "cm", "pain_score": "", "pain_location": "", "_visible": VITALS_SHOWN}
    return {**data, **answers}


def test_round_trips_of_a_page_re_evaluate_only_what_changed(client: Client, monkeypatch: Any) -> None:
    import engine.incremental

    runs: list[set[str]] = []
    reevaluate = engine.incremental.reevaluate
    monkeypatch.setattr(engine.incremental, "reevaluate", lambda previous, changes: runs.append(set(changes)) or reevaluate(previous, changes))
    _live(client, "core.vitals", _vitals(weight="70", _changed="weight"))
    assert runs == []  # the page's first round-trip: a full evaluation
    soup = _live(client, "core.vitals", _vitals(weight="70", height="175", _changed="height"))
    assert runs == [{"height"}]
    assert soup.find(id="f-bmi").get_text(strip=True) == "22.9 kg/m²"
    soup = _live(client, "core.vitals", _vitals(weight="70", height="175", pain_score="6", _changed="pain_score"))
    assert runs[-1] == {"pain_score"}
    assert not soup.find(id="item-pain_location").has_attr("hidden")
    # another language: evaluated afresh, its messages in Arabic
    soup = _live(client, "core.vitals", _vitals(weight="70", height="abc", pain_score="6", _changed="height"), lang="ar")
    assert len(runs) == 2  # no re-evaluation: a full one
    assert any("\u0600" <= ch <= "\u06ff" for ch in soup.find(id="err-height").get_text())


def test_a_kept_evaluation_gives_what_a_fresh_worker_gives(app: Any, client: Client) -> None:
    from renderer.web.formpost import LiveEvaluations

    steps = [_vitals(weight="70", _changed="weight"), _vitals(weight="70", height="175", _changed="height"),
             _vitals(weight="700", height="175", _changed="weight"), _vitals(weight="70", height="175", pain_score="9", _changed="pain_score")]
    kept = [str(_live(client, "core.vitals", step)) for step in steps]
    fresh = []
    for step in steps:
        app.state.live_evaluations = LiveEvaluations()
        fresh.append(str(_live(client, "core.vitals", step)))
    assert kept == fresh


def test_a_page_opened_in_arabic_by_link_gets_its_live_fragments_in_arabic(client: Client) -> None:
    """The signed-in person's language is English; the page came from /forms/core.vitals?lang=ar."""
    data = {"weight": "70", "weight.unit": "kg", "height": "abc", "height.unit": "cm", "_changed": "height", "_visible": VITALS_SHOWN}
    page = {**HX, "HX-Current-URL": "http://testserver.local/forms/core.vitals?lang=ar"}
    arabic = BeautifulSoup(client.post("/forms/core.vitals/live", data=data, headers=page).text, "html.parser")
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic.find(id="err-height").get_text())
    english = BeautifulSoup(client.post("/forms/core.vitals/live", data=data, headers=HX).text, "html.parser")
    assert not any("\u0600" <= ch <= "\u06ff" for ch in english.find(id="err-height").get_text())


def test_a_button_counts_only_when_it_sent_the_round_trip(client: Client) -> None:
    # htmx adds the focused button to a post that typing sent: someone who types in a row
    # and tabs onto its Remove button must not lose the row (nor the typed value to a
    # "Use the last value" button, nor get a row added)
    data = {"meds[0].drug": "a", "meds[1].drug": "b", "_remove_row": "meds[1]", "_changed": "meds[1].drug", "_visible": ["meds"]}
    assert _ids(_live(client, "test.widgets", data)) == {"item-meds-1-drug"}  # the typed cell only: no row removed
    pressed = _live(client, "test.widgets", data, pressed="_remove_row")
    assert [i["value"] for i in pressed.select("#item-meds input[name$='.drug']")] == ["a"]
    added = {"meds[0].drug": "a", "_add_row": "meds", "_changed": "meds[0].drug", "_visible": ["meds"]}
    assert _ids(_live(client, "test.widgets", added, pressed="_remove_row")) == {"item-meds-0-drug"}  # another button sent it
