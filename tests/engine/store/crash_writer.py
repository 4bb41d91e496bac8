"""Writer process for the crash test: saves a stream of documents into a SQLite store and
prints each document id on stdout once its transaction has committed.

    python -m tests.engine.store.crash_writer sqlite:///path.db COUNT OBSERVATIONS
"""

from __future__ import annotations

import sys

from engine.store import Actor, Database, ObservationRow, Store


def answers(i: int, observations: int) -> dict[str, object]:
    return {"i": i, **{f"q{k}": i * 1000 + k for k in range(observations)}}


def main(url: str, count: int, observations: int) -> None:
    store = Store(Database.from_url(url))
    clinic = store.accounts.clinic_by_code("north")
    assert clinic is not None
    actor = Actor(None, "clinician", clinic.id)
    patient = store.patients.search(actor, "CRASH-1")[0]
    form = store.definitions.find(actor, "form", "core.vitals")
    for i in range(count):
        rows = [ObservationRow(f"q{k}", "local", f"c{k}", value_num=i * 1000 + k) for k in range(observations)]
        doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                     answers=answers(i, observations), observations=rows)
        sys.stdout.write(f"{doc.id} {i}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
