"""The compiled model stays immutable however it is built."""

from __future__ import annotations

import dataclasses

import pytest

from engine.diagnostics import Location
from engine.model import NO_TEXT, Item, Option, new_item


def test_new_item_builds_the_same_frozen_item_as_the_class() -> None:
    kwargs = {"id": "weight", "type": "quantity", "label": NO_TEXT, "location": Location("f.yaml", 3, 5), "pointer": "/items/0", "unit": "kg", "units": ("kg",), "options": (Option("a", NO_TEXT),)}
    built, plain = new_item(**kwargs), Item(**kwargs)  # type: ignore[arg-type]
    assert type(built) is Item and built == plain and repr(built) == repr(plain)
    assert [getattr(built, f.name) for f in dataclasses.fields(Item)] == [getattr(plain, f.name) for f in dataclasses.fields(Item)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.unit = "g"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del built.unit  # type: ignore[misc]
    for item in (built, plain):  # a name that is not a field fails the same way on both
        with pytest.raises((AttributeError, TypeError)):
            item.extra = 1  # type: ignore[attr-defined]
    assert new_item("a", "text", NO_TEXT, Location("f.yaml", 1, 1), "/items/1") == Item("a", "text", NO_TEXT, Location("f.yaml", 1, 1), "/items/1")


def test_per_form_works_a_value_out_once_per_form_by_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.model as model
    from engine.model import Form, per_form

    calls: list[int] = []

    @per_form
    def size(form: Form) -> int:
        calls.append(id(form))
        return len(form.index)

    def form(n: int) -> Form:
        items = {f"q{i}": Item(f"q{i}", "text", NO_TEXT, Location("f.yaml", 1, 1), f"/items/{i}") for i in range(n)}
        return Form(key=model.DefinitionKey("form", "x", "1", "h"), title=NO_TEXT, path="f.yaml", source_text="",
                    items=tuple(items.values()), index=items, order=tuple(items), dependents={})

    one, two = form(1), form(2)
    assert [size(one), size(one), size(two), size(one)] == [1, 1, 2, 1] and len(calls) == 2
    # an equal form is another form: worked out for itself
    assert size(form(1)) == 1 and len(calls) == 3
    # bounded: past PER_FORM_KEPT forms it starts afresh, and still answers right
    monkeypatch.setattr(model, "PER_FORM_KEPT", 1)
    three = form(3)
    assert [size(three), size(two), size(two), size(three)] == [3, 2, 2, 3] and len(calls) == 6
