"""The score formula (detectors/harassment/scoring.py), on label scores alone (no model)."""

from __future__ import annotations

import pytest

from detectors.harassment.scoring import CONTEXT_FACTORS, harassment_score


def labels(offensive: float = 0.0, targeted: float = 0.0, identity_attack: float = 0.0,
           threat: float = 0.0) -> dict[str, float]:
    return {"offensive": offensive, "targeted": targeted, "identity_attack": identity_attack,
            "threat": threat}


def test_untargeted_offence_is_not_hidden() -> None:
    # Issue 17: a strong slur aimed at no one scored under 0.5 when the score leaned on the
    # targeted head; targeting is for severity now.
    aimed, unaimed = harassment_score(labels(0.9, targeted=1.0), []), harassment_score(
        labels(0.9, targeted=0.0), [])
    assert aimed == unaimed == (0.9, [])
    assert harassment_score(labels(0.2, identity_attack=0.7), [])[0] == pytest.approx(0.7)


@pytest.mark.parametrize("cue", sorted(CONTEXT_FACTORS))
def test_a_cue_keeps_even_certain_offence_under_the_threshold(cue: str) -> None:
    score, applied = harassment_score(labels(0.999), [cue])
    assert score < 0.5 and applied == [cue]


def test_reported_speech_has_no_factor_and_threats_stand_apart() -> None:
    # The quote was removed before scoring; what is left is the author's own words.
    assert harassment_score(labels(0.8), ["reported_speech"]) == (0.8, [])
    assert harassment_score(labels(0.1, threat=0.9), [])[0] == pytest.approx(0.9)
    sung, _ = harassment_score(labels(0.1, threat=0.9), ["lyrics"])
    assert sung == pytest.approx(0.54)
