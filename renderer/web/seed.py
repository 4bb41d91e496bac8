"""The demo clinic: five users with known passwords (one per role), 20 patients with Arabic and Latin
names, and a few encounters and documents. `cliniform seed-demo` runs it; it does nothing
when the demo clinic already exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.observations import derive_observations
from engine.store import Actor, Store
from renderer.web.registration import FORM_ID, register
from renderer.web.services import publish_form

#: user name -> (password, display name, roles); also in README.md
DEMO_USERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "admin": ("admin-demo-pass", "Amal Admin", ("admin",)),
    "clinician": ("clinician-demo-pass", "Dr. Khaled Mansour", ("clinician",)),
    "nurse": ("nurse-demo-pass", "Nadia Nurse", ("nurse",)),
    "reception": ("reception-demo-pass", "Rana Front Desk", ("reception",)),
    "auditor": ("auditor-demo-pass", "Omar Auditor", ("auditor",)),
}

#: A birth date: ISO text, or (years, days) of age on the day the demo is seeded, for a patient
#: whose age the demo depends on (Noor is 16 on any day: her consents ask for a guardian).
Born = str | tuple[int, int]

#: (given, family, given_ar, family_ar, sex, birth date)
DEMO_PATIENTS: tuple[tuple[str, str, str, str, str, Born], ...] = (
    ("Ahmad", "Saleh", "أحمد", "صالح", "male", "1975-03-14"),
    ("Fatima", "Haddad", "فاطمة", "حداد", "female", "1988-11-02"),
    ("Layla", "Nasser", "ليلى", "ناصر", "female", "1992-06-21"),
    ("Omar", "Khalil", "عمر", "خليل", "male", "1969-01-30"),
    ("Mariam", "Abdullah", "مريم", "عبدالله", "female", "2001-09-09"),
    ("Yousef", "Odeh", "يوسف", "عودة", "male", "1958-12-12"),
    ("Huda", "Al-Masri", "هدى", "المصري", "female", "1979-04-05"),
    ("Khaled", "Zuabi", "خالد", "الزعبي", "male", "1995-07-17"),
    ("Noor", "Haddad", "نور", "حداد", "female", (16, 120)),
    ("Samir", "Qasem", "سمير", "قاسم", "male", "1983-10-10"),
    ("Aisha", "Darwish", "عائشة", "درويش", "female", "1966-05-23"),
    ("Ibrahim", "Shami", "إبراهيم", "الشامي", "male", "1990-08-08"),
    ("Rania", "Toukan", "رانيا", "طوقان", "female", "1985-01-19"),
    ("Tareq", "Hijazi", "طارق", "حجازي", "male", "1972-11-27"),
    ("Salma", "Barakat", "سلمى", "بركات", "female", "1999-03-03"),
    ("Hassan", "Jaber", "حسن", "جابر", "male", "1950-06-06"),
    ("Dina", "Saleh", "دينا", "صالح", "female", "2004-12-01"),
    ("Ali", "Mansour", "علي", "منصور", "male", "1987-02-14"),
    ("Zainab", "Kurdi", "زينب", "الكردي", "female", "1977-09-30"),
    ("Mohammad", "Ayoub", "محمد", "أيوب", "male", "1964-04-18"),
)


@dataclass(frozen=True, slots=True)
class SeedResult:
    created: bool
    clinic_id: int
    patients: int


def birth_date(born: Born, today: dt.date) -> str:
    """``born`` as an ISO date; (years, days) counts back from ``today`` (29 February's
    anniversary in a common year is the 28th)."""
    if isinstance(born, str):
        return born
    years, days = born
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:
        anniversary = today.replace(year=today.year - years, day=28)
    return (anniversary - dt.timedelta(days=days)).isoformat()


def _registration(catalog: Catalog, given: str, family: str, given_ar: str, family_ar: str, sex: str, birth: str, n: int) -> dict[str, object]:
    return {
        "given_name_en": given, "family_name_en": family, "given_name_ar": given_ar, "family_name_ar": family_ar,
        "birth_date": birth, "sex": sex, "phone": f"+96279{n:07d}", "preferred_language": "ar" if n % 3 else "en",
        "national_id": f"{9870000000 + n}",
    }


def seed_demo(store: Store, catalog: Catalog, clinic_code: str = "demo", now: dt.datetime | None = None) -> SeedResult:
    """Create the demo clinic unless it exists; ``now``: the moment it is seeded (the visits
    and the ages of DEMO_PATIENTS count back from it)."""
    existing = store.accounts.clinic_by_code(clinic_code)
    if existing is not None:
        return SeedResult(False, existing.id, 0)
    clinic = store.accounts.create_clinic(clinic_code, "Demo Family Clinic", "عيادة العائلة التجريبية")
    system = Actor.system(clinic.id)
    users = {name: store.accounts.create_user(system, name, password, display, roles)
             for name, (password, display, roles) in DEMO_USERS.items()}
    doctor = Actor(users["clinician"].id, "clinician", clinic.id)
    reception = Actor(users["reception"].id, "reception", clinic.id)
    registration = catalog.form(FORM_ID)
    vitals = catalog.form("core.vitals")
    assert registration is not None and vitals is not None, "the core pack is missing"
    now = (now or dt.datetime.now()).astimezone().replace(microsecond=0)
    patients = []
    for n, (given, family, given_ar, family_ar, sex, born) in enumerate(DEMO_PATIENTS, start=1):
        answers = _registration(catalog, given, family, given_ar, family_ar, sex, birth_date(born, now.date()), n)
        ev = evaluate(registration, answers, Context(), "en")
        assert ev.valid, (given, dict(ev.errors))
        patients.append(register(store, reception, ev, mrn=f"D-{n:06d}"))
    vitals_version = publish_form(store, doctor, vitals)
    midnight = now.replace(hour=0, minute=0, second=0)
    for k, patient in enumerate(patients[:4]):
        context = Context(patient={"sex": patient.sex, "birth_date": patient.birth_date})
        for visit in range(2):
            when = now - dt.timedelta(days=90) if visit == 0 else max(now - dt.timedelta(minutes=20 * (k + 1)), midnight)
            encounter = store.encounters.open(doctor, patient.id, kind="outpatient", reason="Follow-up", started_at=when)
            answers = {"systolic": 118 + 6 * k + 4 * visit, "diastolic": 76 + 2 * k, "heart_rate": 70 + k,
                       "weight": {"value": 70 + 3 * k - visit, "unit": "kg"}, "height": 160 + 5 * k, "pain_score": 0}
            ev = evaluate(vitals, answers, context, "en")
            doc = store.documents.create(doctor, patient_id=patient.id, definition_version_id=vitals_version.id,
                                         answers=ev.answers_json(), observations=derive_observations(ev),
                                         encounter_id=encounter.id, effective_at=when)
            if visit == 0 or k % 2 == 0:
                store.documents.sign(doctor, doc.id, base_version=doc.version)
            if visit == 0:
                store.encounters.close(doctor, encounter.id, ended_at=when + dt.timedelta(minutes=20))
    return SeedResult(True, clinic.id, len(patients))
