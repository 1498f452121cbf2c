"""The development sets: built the same way every time, every labelled span is where it says,
and a shape is in one split only."""

from __future__ import annotations

import json

import pytest

from detectors.leaks.dev_sets import OUT_DIR, build_personal_data, build_secrets


@pytest.mark.slow
def test_builders_are_deterministic_and_spans_line_up() -> None:
    for build in (build_personal_data, build_secrets):
        first = build(per_template=2) if build is build_personal_data else build(per_shape=1)
        second = build(per_template=2) if build is build_personal_data else build(per_shape=1)
        assert first == second
        for records in first.values():
            for record in records:
                for span in record["entities"]:
                    assert 0 <= span["start"] < span["end"] <= len(record["text"])
                    assert record["text"][span["start"] : span["end"]].strip()
                assert bool(record["entities"]) == bool(record["labels"])


def test_committed_sets_keep_shapes_apart() -> None:
    for name in ("personal_data", "secrets"):
        shapes = {}
        for split in ("dev", "heldback"):
            lines = (OUT_DIR / f"{name}-{split}.jsonl").read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines]
            assert len(records) >= 700
            shapes[split] = {r["shape"] for r in records} if name == "personal_data" else set()
        assert not shapes["dev"] & shapes["heldback"]


def test_the_fresh_secrets_part_is_new_text() -> None:
    # Written after the tuning on the held-back part: none of its posts repeats one of the others.
    def texts(split: str) -> set[str]:
        lines = (OUT_DIR / f"secrets-{split}.jsonl").read_text(encoding="utf-8").splitlines()
        return {json.loads(line)["text"] for line in lines}

    fresh = texts("fresh")
    assert len(fresh) >= 300
    assert not fresh & (texts("dev") | texts("heldback"))
