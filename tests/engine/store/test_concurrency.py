"""Real races on both backends: two engines, two threads, one barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from engine.store import Actor, ConflictError, Database, Store
from engine.store.records import DefinitionRecord, PatientRecord


def race(database_url: str, workers: list[Callable[[Store], Any]]) -> list[Any]:
    """Run each worker in its own thread with its own engine, released together."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int, work: Callable[[Store], Any]) -> None:
        db = Database.from_url(database_url)
        try:
            store = Store(db)
            barrier.wait(timeout=30)
            results[index] = work(store)
        except Exception as exc:  # the result under test, not a test failure
            results[index] = exc
        finally:
            db.dispose()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_writers_same_draft_same_base_one_wins_nothing_lost(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord, database_url: str,
) -> None:
    for round_ in range(5):
        doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                     answers={"note": "start"})
        answers = [{"note": f"writer A round {round_}"}, {"note": f"writer B round {round_}"}]
        def writer(answer: dict[str, str], doc_id: int = doc.id) -> Callable[[Store], Any]:
            return lambda s: s.documents.save_draft(actor, doc_id, base_version=1, answers=answer)

        results = race(database_url, [writer(a) for a in answers])
        conflicts = [r for r in results if isinstance(r, ConflictError)]
        wins = [r for r in results if not isinstance(r, Exception)]
        assert (len(wins), len(conflicts)) == (1, 1), results
        winner, conflict = wins[0], conflicts[0]
        assert winner.version == 2 and conflict.current_version == 2
        assert conflict.current_answers == winner.answers
        stored = store.documents.revisions(actor, doc.id)
        kept = {r.kind: r.answers for r in stored}
        assert sorted([kept["draft"]["note"], kept["conflict"]["note"]]) == sorted(a["note"] for a in answers)
        assert store.documents.get(actor, doc.id).document.answers == winner.answers
    assert store.verify_audit().ok


def test_concurrent_audit_appends_keep_one_unbroken_chain(
    store: Store, actor: Actor, patient: PatientRecord, database_url: str,
) -> None:
    def reader(s: Store) -> int:
        for _ in range(15):
            s.patients.get(actor, patient.id)
        return 15

    results = race(database_url, [reader] * 4)
    assert results == [15] * 4
    result = store.verify_audit()
    assert result.ok, result.message()
    assert result.checked == 2 + 60  # clinic, patient, then the reads


def test_publishing_the_same_version_at_once_gives_one_version(
    store: Store, actor: Actor, database_url: str,
) -> None:
    import hashlib

    source = "schema: cliniform/form@1\nid: core.race\nversion: 1.0.0\n"
    digest = hashlib.sha256(source.encode()).hexdigest()

    def publish(s: Store) -> object:
        return s.definitions.publish(actor, kind="form", def_id="core.race", version="1.0.0",
                                     source_text=source, content_hash=digest)

    first, second = race(database_url, [publish, publish])
    assert first == second and not isinstance(first, Exception), (first, second)
    assert len(store.definitions.versions(actor, "form", "core.race")) == 1
