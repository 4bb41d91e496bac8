"""Posted form data -> raw answers (renderer/answers.py)."""

from __future__ import annotations

from engine.catalog import Catalog
from engine.evaluator import evaluate
from renderer.answers import FormData, RowAction, apply_row_action, parse_answers, row_action


def _data(*pairs: tuple[str, str]) -> FormData:
    return FormData(pairs)


def test_top_level_cells_quantities_and_choices(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    data = _data(
        ("name", "Huda"), ("weight", "70"), ("weight.unit", "[lb_av]"),
        ("symptoms", "cough"), ("symptoms", "fever"), ("street", "Main"),
        ("meds[1].drug", "b"), ("meds[0].drug", "a"), ("meds[0].dose", "5"), ("meds[2]._row", "1"),
        ("teeth[11].depth", "3"), ("teeth[21].bleeding", "true"),
        ("not_an_item", "x"), ("double_weight", "999"),
    )
    raw = parse_answers(form, data)
    assert raw["name"] == "Huda"
    assert raw["weight"] == {"value": "70", "unit": "[lb_av]"}
    assert raw["symptoms"] == ["cough", "fever"]
    assert raw["street"] == "Main"  # items in plain groups are answers at the top level
    assert raw["meds"] == [{"drug": "a", "dose": "5"}, {"drug": "b", "dose": ""}, {"drug": "", "dose": ""}]
    assert raw["teeth"] == {"11": {"depth": "3", "bleeding": ""}, "21": {"depth": "", "bleeding": "true"}}
    assert "not_an_item" not in raw
    assert "double_weight" not in raw  # calculated: never taken from the post


def test_every_input_gets_a_value_so_defaults_do_not_come_back(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    raw = parse_answers(form, _data())
    assert raw["symptoms"] == [] and raw["smoker"] == "" and raw["meds"] == []
    assert parse_answers(form, _data(("weight", " "), ("weight.unit", "kg")))["weight"] == ""  # a unit alone is no answer


def test_row_numbers_sort_numerically(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    pairs = [(f"meds[{i}].drug", f"d{i}") for i in (10, 2, 1)]
    assert [r["drug"] for r in parse_answers(form, FormData(pairs))["meds"]] == ["d1", "d2", "d10"]


def test_files_keep_their_reference_unless_removed(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    ref = {"file": "a" * 64, "name": "x.png", "media_type": "image/png", "size": 10}
    kept = parse_answers(form, _data(("photo", '{"file": "' + "a" * 64 + '", "name": "x.png"}')))
    assert kept["photo"] == {"file": "a" * 64, "name": "x.png"}
    removed = parse_answers(form, _data(("photo", "a" * 64), ("photo.remove", "1")))
    assert removed["photo"] == ""
    uploaded = parse_answers(form, _data(("photo", "")), uploads={"photo": ref})
    assert uploaded["photo"] == ref


def test_readonly_items_keep_the_stored_answer(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    readonly = [i for i in form.index.values() if i.readonly]
    assert not readonly or parse_answers(form, _data(), previous={readonly[0].id: "kept"})[readonly[0].id] == "kept"


def test_row_actions(catalog: Catalog) -> None:
    form = catalog.form("test.widgets")
    assert form is not None
    assert row_action(form, _data(("_add_row", "meds"))) == RowAction("meds")
    assert row_action(form, _data(("_remove_row", "meds[1]"))) == RowAction("meds", 1)
    assert row_action(form, _data(("_add_row", "name"))) is None
    assert row_action(form, _data(("_remove_row", "meds[x]"))) is None
    raw = {"meds": [{"drug": "a"}, {"drug": "b"}]}
    assert apply_row_action(form, raw, RowAction("meds", 0))["meds"] == [{"drug": "b"}]
    assert apply_row_action(form, raw, RowAction("meds"))["meds"] == [{"drug": "a"}, {"drug": "b"}, {}]
    full = {"meds": [{}, {}, {}]}
    assert len(apply_row_action(form, full, RowAction("meds"))["meds"]) == 3  # max_rows: 3
    assert raw == {"meds": [{"drug": "a"}, {"drug": "b"}]}  # the input is not changed


def test_parsed_answers_evaluate_like_json_answers(catalog: Catalog) -> None:
    """The same answers typed into the web form and given as JSON evaluate the same."""
    form = catalog.form("core.vitals")
    assert form is not None
    posted = parse_answers(form, _data(("systolic", "120"), ("diastolic", "80"), ("weight", "70"),
                                       ("weight.unit", "kg"), ("height", "175"), ("height.unit", "cm")))
    web = evaluate(form, posted)
    json_ = evaluate(form, {"systolic": 120, "diastolic": 80, "weight": 70, "height": 175})
    assert web.answers_json() == json_.answers_json()
    assert web.values["bmi"] == 22.9
