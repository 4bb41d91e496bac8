"""Value sets classify chart records for rules."""

from __future__ import annotations

from pathlib import Path

from engine.packs import load
from engine.valuesets import Classifier

ROOT = Path(__file__).resolve().parents[2]


def test_drug_classes_annotate_records() -> None:
    result = load([ROOT / "form_definitions"])
    assert result.ok, [str(d) for d in result.diagnostics]
    classifier = Classifier(result.catalog.valuesets())
    assert classifier.classes("http://www.nlm.nih.gov/research/umls/rxnorm", "Amoxicillin") == ["penicillins"]
    assert classifier.classes(None, "aspirin") == ["antiplatelets", "nsaids"]
    assert classifier.classes(None, "paracetamol") == []
    record = classifier.annotate({"code": "warfarin", "classes": ["custom"]})
    assert record["classes"] == ["anticoagulants", "custom", "teratogens"]
