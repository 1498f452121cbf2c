"""A post's score is a function of its own text: never of the posts it is scored with.

The demo's posts, the OLID-style texts of the false-positive table and a few long posts are
scored in their own order, reversed, shuffled, in pages of different sizes and one at a time; a
reviewer must get the same answer for the same post, so every score must agree to 1e-6.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from detectors.harassment.detector import HarassmentDetector

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _texts() -> list[str]:
    texts = []
    for name in ("harassment.jsonl", "posts.jsonl"):
        for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line).get("text") or "")
    texts += ["you absolute idiot " * 200, "a calm post " * 300 + " you idiot"]
    return texts


def test_scores_do_not_depend_on_batch_or_order(harassment_detector: HarassmentDetector) -> None:
    scorer = harassment_detector._scorer
    assert scorer is not None
    texts = _texts()
    reference = scorer.score(texts)
    assert len(texts) > 200 and any(s["offensive"] > 0.5 for s in reference)

    reversed_scores = scorer.score(texts[::-1])[::-1]
    order = list(range(len(texts)))
    random.Random(7).shuffle(order)
    shuffled = scorer.score([texts[i] for i in order])
    unshuffled = [shuffled[order.index(i)] for i in range(len(texts))]
    pages = [s for start in range(0, len(texts), 17) for s in scorer.score(texts[start:start + 17])]
    alone = [scorer.score([t])[0] for t in texts[:40]]

    for variant in (reversed_scores, unshuffled, pages, alone):
        for got, want in zip(variant, reference, strict=False):
            assert got.keys() == want.keys()
            for label, value in want.items():
                assert abs(got[label] - value) <= 1e-6, (label, got, want)


def test_a_repeated_post_scores_like_the_original(
    harassment_detector: HarassmentDetector,
) -> None:
    scorer = harassment_detector._scorer
    assert scorer is not None
    text = "@USER you are a pathetic clown"
    once = scorer.score([text])[0]
    many = scorer.score([text, "nice talk", text, text])
    assert many[0] == many[2] == many[3] == once
