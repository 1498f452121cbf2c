"""Long posts are read window by window: padding cannot push an insult out of the model's sight."""

from __future__ import annotations

import random

import pytest

from detectors.harassment import detector as detector_module
from detectors.harassment.context import read_cues
from detectors.harassment.detector import HarassmentDetector
from detectors.harassment.scoring import harassment_score
from pipeline.core import limits
from tests.factories import make_post

INSULT = "You are a worthless idiot and a pathetic piece of shit, everyone hates you."
THREAT = "I know where you live, watch your back"
NEUTRAL = (
    "The library opens at nine on weekdays.",
    "The seminar on coastal erosion starts after lunch in room four.",
    "Registration for the spring modules closes on Friday afternoon.",
    "Our alumni newsletter features the new chemistry building this month.",
    "Parking near the east gate is limited during the open day.",
)
# Scores move a little with the neutral words beside the insult in its 128-token window.
TOLERANCE = 0.05


def padding(chars: int, seed: int = 7) -> str:
    """`chars` characters of varied neutral sentences (varied, so windows are not all alike)."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < chars:
        parts.append(rng.choice(NEUTRAL))
        total += len(parts[-1]) + 1
    return " ".join(parts)[:chars].rsplit(" ", 1)[0] + " "


def _score(detector: HarassmentDetector, text: str) -> float:
    found = detector.detect([make_post(1, text=text)])
    return found[0].score if found else 0.0


@pytest.mark.parametrize("chars", [6_000, 50_000])
def test_an_insult_after_padding_scores_as_high_as_alone(
    harassment_detector: HarassmentDetector, chars: int
) -> None:
    alone = _score(harassment_detector, INSULT)
    assert alone >= 0.9
    text = padding(chars) + INSULT
    [finding] = harassment_detector.detect([make_post(1, text=text)])
    assert finding.score >= alone - TOLERANCE
    window = finding.evidence["window"]
    # The evidence says which window held it: the one that ends with the insult.
    assert window["offset"] <= text.index(INSULT)
    assert window["offset"] + window["length"] == len(text)


def test_an_insult_in_the_middle_of_a_window_is_read(
    harassment_detector: HarassmentDetector,
) -> None:
    # 3,000 characters into a window is past the first four token windows of 128 tokens.
    text = padding(8_500) + INSULT + " " + padding(8_000, seed=3)
    assert _score(harassment_detector, text) >= _score(harassment_detector, INSULT) - TOLERANCE


def test_a_threat_span_in_a_later_window_points_into_the_post(
    harassment_detector: HarassmentDetector,
) -> None:
    text = padding(20_000) + THREAT
    [finding] = harassment_detector.detect([make_post(1, text=text)])
    span = finding.evidence["spans"][0]
    assert span["start"] > 20_000 - 6_000
    assert text[span["start"] : span["end"]] == span["text"]


def test_a_short_posts_score_is_that_of_its_own_text(
    harassment_detector: HarassmentDetector,
) -> None:
    """One window, scored as before, whatever else is in the batch."""
    short = make_post(1, text=INSULT)
    long = make_post(2, text=padding(12_000) + THREAT)
    found = {f.post_id: f for f in harassment_detector.detect([short, long])}
    cue = read_cues(INSULT, harassment_detector._allow_names)
    assert harassment_detector._scorer is not None
    [model] = harassment_detector._scorer.score([cue.model_text])
    labels = harassment_detector._labels(cue, model)
    expected, _ = harassment_score(labels, cue.context)
    assert found[short.doc_id].score == round(expected, 4)
    assert "window" not in found[short.doc_id].evidence
    assert "truncated_at" not in found[short.doc_id].evidence


def test_padding_alone_stays_below_the_threshold(harassment_detector: HarassmentDetector) -> None:
    assert _score(harassment_detector, padding(20_000)) < 0.5


def test_text_past_the_limit_is_reported_as_cut(
    harassment_detector: HarassmentDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A smaller limit, so the test reads 20,000 characters and not a megabyte.
    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 20_000)
    monkeypatch.setattr(detector_module, "MAX_TEXT_CHARS", 20_000)
    text = INSULT + " " + padding(20_010) + INSULT
    [finding] = harassment_detector.detect([make_post(1, text=text)])
    assert finding.evidence["truncated_at"] == 20_000
    assert finding.evidence["window"]["offset"] == 0
