"""A pass and a reviewer writing the same hits at once lose no update (SQLite: two connections
to one file, as a `crestwatch run` and a `crestwatch review` process have)."""

import threading

from pipeline.store.sqlite import SQLiteStore
from tests.factories import make_hit


def test_a_pass_refreshing_hits_never_reverts_a_reviewers_change(tmp_path):
    path = tmp_path / "store.sqlite"
    runner_side, reviewer_side = SQLiteStore(path), SQLiteStore(path)
    runner_side.setup()
    hits = [make_hit(n) for n in range(1, 41)]
    runner_side.upsert_hits(hits)
    done = threading.Event()
    failures: list[BaseException] = []

    def pass_loop() -> None:
        try:
            while not done.is_set():
                runner_side.upsert_hits(hits)  # a rerun refreshing detection fields
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    writer = threading.Thread(target=pass_loop)
    writer.start()
    expected: dict[str, str] = {}
    try:
        for round_ in range(12):
            for hit in hits:
                note = f"round {round_} on {hit.id}"
                reviewer_side.update_hit(hit.id, {"assignee": note}, actor="rev", action="assign")
                expected[hit.id] = note
    finally:
        done.set()
        writer.join()
    assert not failures
    lost = [hit_id for hit_id, note in expected.items()
            if (got := runner_side.get_hit(hit_id)) is None or got.assignee != note]
    assert lost == []
    assert len(reviewer_side.audit_trail(hits[0].id)) == 12
    runner_side.close()
    reviewer_side.close()
