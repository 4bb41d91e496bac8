"""Without JavaScript: plain posts give the same answers and the same errors as live."""

from __future__ import annotations

import hashlib
import json

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from renderer.answers import FormData, parse_answers

Client = TestClient[Litestar]
PATIENT = {"_sex": "female", "_birth_date": "1990-01-01"}


def _stored(response_text: str) -> dict[str, object]:
    soup = BeautifulSoup(response_text, "html.parser")
    pre = soup.find("pre", class_="json")
    assert pre is not None, soup.find(id="error-summary")
    return json.loads(pre.get_text())


def test_valid_post_gives_the_answers_the_evaluator_gives(client: Client, catalog: Catalog) -> None:
    data = {"systolic": "120", "diastolic": "80", "heart_rate": "72", "weight": "70", "weight.unit": "kg",
            "height": "175", "height.unit": "cm", "pregnant": "false", "pain_score": "0", "pain_location": "", **PATIENT}
    response = client.post("/forms/core.vitals", data=data)
    assert response.status_code == 200
    stored = _stored(response.text)
    form = catalog.form("core.vitals")
    assert form is not None
    expected = evaluate(form, parse_answers(form, FormData(data.items())), Context(patient={"sex": "female", "birth_date": "1990-01-01"}))
    assert stored == expected.answers_json()
    assert stored["bmi"] == 22.9 and stored["weight"] == {"unit": "kg", "value": 70.0}


def test_invalid_post_shows_the_same_errors_as_the_evaluator_with_a_linked_summary(client: Client, catalog: Catalog) -> None:
    data = {"systolic": "90", "diastolic": "100", "heart_rate": "fast", "pain_score": "6", **PATIENT}
    response = client.post("/forms/core.vitals", data=data)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    summary = soup.find(id="error-summary")
    assert summary is not None and not summary.has_attr("hidden") and summary["role"] == "alert"
    form = catalog.form("core.vitals")
    assert form is not None
    ev = evaluate(form, parse_answers(form, FormData(data.items())), Context(patient={"sex": "female", "birth_date": "1990-01-01"}))
    assert set(ev.errors) == {"diastolic", "heart_rate", "pain_location"}
    for path, errors in ev.errors.items():
        shown = soup.find(id=f"err-{path}").get_text(" ", strip=True)
        assert errors[0].message in shown, path
        assert soup.find(id=f"f-{path}")["aria-invalid"] == "true"
    assert [a["href"] for a in summary.find_all("a")] == ["#f-diastolic", "#f-heart_rate", "#f-pain_location"]
    assert soup.find("input", attrs={"name": "_submitted"}) is not None
    assert soup.find(id="f-heart_rate")["value"] == "fast"  # nothing typed is lost


def test_rows_are_added_and_removed_by_plain_posts(client: Client) -> None:
    response = client.post("/forms/test.widgets", data={"name": "x", "_add_row": "meds"})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find(id="f-meds-0-drug").has_attr("autofocus")
    assert soup.find(id="error-summary").has_attr("hidden")  # adding a row is not a submit
    data = {"name": "x", "meds[0].drug": "a", "meds[1].drug": "b", "_remove_row": "meds[0]"}
    soup = BeautifulSoup(client.post("/forms/test.widgets", data=data).text, "html.parser")
    assert [i["value"] for i in soup.select("input[name$='.drug']")] == ["b"]


def test_upload_is_checked_for_type_and_size(client: Client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    files = {"photo.upload": ("scan.png", png, "image/png")}
    response = client.post("/forms/test.widgets", data={"name": "x", "photo": ""}, files=files)
    assert response.status_code == 200, BeautifulSoup(response.text, "html.parser").find(id="error-summary")
    stored = _stored(response.text)
    assert stored["photo"] == {"file": hashlib.sha256(png).hexdigest(), "name": "scan.png", "media_type": "image/png", "size": len(png)}
    big = {"photo.upload": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 4096, "image/png")}
    response = client.post("/forms/test.widgets", data={"name": "x"}, files=big)
    assert response.status_code == 422 and "the limit is 1 KB" in response.text
    fake = {"photo.upload": ("x.png", b"MZ\x90\0 not an image", "image/png")}
    response = client.post("/forms/test.widgets", data={"name": "x"}, files=fake)
    assert response.status_code == 422 and "application/octet-stream are not accepted" in response.text
    # a file kept from an earlier post travels in the hidden field and is shown
    soup = BeautifulSoup(client.post("/forms/test.widgets", data={"name": ""}, files=files).text, "html.parser")
    kept = soup.find("input", attrs={"type": "hidden", "name": "photo"})["value"]
    assert json.loads(kept)["name"] == "scan.png"
    assert "scan.png" in soup.find(id="item-photo").get_text()
