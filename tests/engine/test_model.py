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
