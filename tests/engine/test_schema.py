"""The fast structure check (engine.schema.fast_validator_for) gives jsonschema's verdict.

check_structure trusts the fast validator when it passes a document, and asks jsonschema
for every error otherwise; so the two must agree on every document, valid or not. Checked
here on every shipped definition, every conformance case's source, and on single
mutations of a valid form at each place a text, an item or an option may go wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.reader import read_text
from engine.schema import KINDS, fast_validator_for, validator_for

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "conformance" / "definitions"


def _fast_verdict(schema_id: str, data: Any) -> bool:
    try:
        fast_validator_for(schema_id)(data)
    except Exception:
        return False
    return True


def _agree(data: Any) -> None:
    schema_id = data.get("schema") if isinstance(data, dict) else None
    if schema_id not in KINDS:
        return
    assert _fast_verdict(schema_id, data) == validator_for(schema_id).is_valid(data), data


def _shipped() -> Iterator[Any]:
    for folder in ("form_definitions", "rules", "workflows", "specialties"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            doc, _ = read_text(path.read_text("utf-8"), str(path))
            if doc is not None:
                yield doc.data


def _conformance_sources() -> Iterator[Any]:
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text("utf-8"))["cases"]:
            texts = [case["source"]] if "source" in case else []
            texts += [f if isinstance(f, str) else f.get("source", "") for f in (case.get("files") or {}).values()]
            for text in texts:
                doc, _ = read_text(text, "case.yaml") if isinstance(text, str) else (None, [])
                if doc is not None:
                    yield doc.data


def test_verdicts_agree_on_shipped_definitions_and_conformance_cases() -> None:
    seen = 0
    for data in [*_shipped(), *_conformance_sources()]:
        _agree(data)
        seen += 1
    assert seen >= 60


BASE = {
    "schema": "cliniform/form@1", "id": "demo.base", "version": "1.0.0", "title": {"en": "T", "ar": "ت"},
    "items": [
        {"id": "a", "type": "single_choice", "label": {"en": "A", "ar": "أ"}, "help": "plain text",
         "options": [{"code": "x", "display": {"en": "X", "ar": "س"}, "score": 1}]},
        {"id": "g", "type": "group", "label": "Group", "items": [{"id": "b", "type": "integer", "label": {"en": "B"}, "min": 0}]},
    ],
}  # fmt: skip

TEXTS = ["", "x", {}, {"en": ""}, {"en": "x"}, {"EN": "x"}, {"en": 1}, {"en-GB": "x"}, {"en_gb": "x"}, 1, None, True, ["x"]]


@pytest.mark.parametrize("text", TEXTS, ids=repr)
@pytest.mark.parametrize("where", ["title", "label", "help", "display", "nested_label"])
def test_verdicts_agree_on_every_shape_of_text(where: str, text: Any) -> None:
    data = copy.deepcopy(BASE)
    target = {
        "title": (data, "title"),
        "label": (data["items"][0], "label"),
        "help": (data["items"][0], "help"),
        "display": (data["items"][0]["options"][0], "display"),
        "nested_label": (data["items"][1]["items"][0], "label"),
    }[where]
    target[0][target[1]] = text
    _agree(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["items"][0].pop("id"),
        lambda d: d["items"][0].update(colour="red"),
        lambda d: d["items"][0]["options"].append({"code": "y"}),
        lambda d: d["items"][0]["options"][0].update(score="high"),
        lambda d: d["items"][1]["items"][0].update(min=[0]),
        lambda d: d["items"][1]["items"].append({"id": "Bad", "type": "text"}),
        lambda d: d["items"][1]["items"].append({"id": "c", "type": "text", "code": {"system": "s", "code": "1"}}),
        lambda d: d["items"][1]["items"].append({"id": "c", "type": "text", "code": [{"system": "s"}]}),
        lambda d: d.update(items=[]),
        lambda d: d.update(tests=[{"name": "t", "answers": {}, "expect": {"valid": True}}]),
        lambda d: d.update(tests=[{"name": "t", "answers": {}, "expect": {"errors": {"a": 1}}}]),
    ],
)
def test_verdicts_agree_on_broken_items(change: Any) -> None:
    data = copy.deepcopy(BASE)
    _agree(data)
    change(data)
    _agree(data)
