"""Every text detector's `detect` on arbitrary text: a list of findings, each with a score in
[0, 1] and spans inside the text, never an exception, in bounded time."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detectors.base import Detector
from pipeline.core.config import OrgConfig
from tests.factories import make_post
from tests.scaling import TEXT_DETECTORS, text_detector

# Text as posts carry it: any code point (lone surrogates included, which some payloads hold),
# with the characters detectors key on made likely.
_TEXT = st.text(
    alphabet=st.characters(exclude_categories=())
    | st.sampled_from(list("@#:=\"'\n.-/ 0123456789AKIQ")),
    max_size=600,
)
FUZZ = settings(
    max_examples=60, deadline=3_000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def detectors(
    example_config: OrgConfig, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Detector]:
    data = tmp_path_factory.mktemp("data")
    return {name: text_detector(example_config, name, data) for name in TEXT_DETECTORS}


def _check(detector: Detector, text: str) -> None:
    post = make_post(1, text=text)
    findings = detector.detect([post])
    assert isinstance(findings, list)
    whole = post.all_text()
    for finding in findings:
        assert 0.0 <= finding.score <= 1.0
        for span in finding.evidence.get("spans", []):
            if "start" in span and span.get("in", "text") == "text":
                assert 0 <= span["start"] <= span["end"] <= len(whole)


FAST = [name for name in TEXT_DETECTORS if name != "harassment"]


@pytest.mark.parametrize("name", FAST)
@FUZZ
@given(text=_TEXT)
@example(text="\ud800 strictly confidential \udfff")
@example(text="AKIA" + "A" * 16 + "\n" * 3 + "-----BEGIN RSA PRIVATE KEY-----")
@example(text="password: " + "\x00" * 30)
def test_detect_takes_any_text(detectors: dict[str, Detector], name: str, text: str) -> None:
    _check(detectors[name], text)


@pytest.mark.slow
@settings(max_examples=25, deadline=10_000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
@example(text="\ud83d" * 50 + " you idiot")
def test_harassment_takes_any_text(detectors: dict[str, Detector], text: str) -> None:
    _check(detectors["harassment"], text)
