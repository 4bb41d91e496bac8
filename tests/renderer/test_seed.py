"""The demo seed: the patients whose age the demo and the consent tests depend on keep that
age whatever day the demo is seeded (Noor Haddad, demo patient 9, is 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.functions import whole_years
from engine.store import Actor, Database, Store, upgrade
from renderer.web.seed import DEMO_PATIENTS, birth_date, seed_demo

NOOR = 9


@pytest.mark.parametrize("today", [dt.date(2026, 12, 3), dt.date(2028, 2, 28), dt.date(2028, 3, 1),
                                   dt.date(2032, 2, 29), dt.date(2040, 1, 1)])
def test_noor_is_16_on_any_day_and_every_other_patient_an_adult(today: dt.date) -> None:
    ages = [whole_years(dt.date.fromisoformat(birth_date(born, today)), today) for *_, born in DEMO_PATIENTS]
    assert ages[NOOR - 1] == 16
    assert all(age >= 18 for n, age in enumerate(ages, start=1) if n != NOOR)


def test_a_fixed_birth_date_is_kept_and_a_29_february_anniversary_falls_on_the_28th() -> None:
    assert birth_date("1975-03-14", dt.date(2030, 1, 1)) == "1975-03-14"
    assert birth_date((16, 0), dt.date(2028, 2, 29)) == "2012-02-29"
    assert birth_date((17, 0), dt.date(2028, 2, 29)) == "2011-02-28"
    assert birth_date((16, 120), dt.date(2028, 6, 1)) == "2012-02-02"


def test_the_seeded_chart_of_noor_is_16_years_old(tmp_path: Path, catalog: Catalog) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'seed.db'}")
    upgrade(db)
    store = Store(db)
    seeded_at = dt.datetime(2028, 3, 1, 10, 0, tzinfo=dt.UTC)  # after the 18th birthday of a fixed 2010-02-28
    clinic = seed_demo(store, catalog, now=seeded_at).clinic_id
    noor = store.patients.get(Actor.system(clinic), NOOR)
    assert (noor.given_name, noor.family_name) == ("Noor", "Haddad")
    assert noor.birth_date is not None and whole_years(noor.birth_date, seeded_at.date()) == 16
    db.dispose()
