"""The bundled harassment model, loaded once per session (loading it is the slow part)."""

from __future__ import annotations

import pytest

from detectors.harassment.detector import HarassmentDetector
from pipeline.core.config import OrgConfig


@pytest.fixture(scope="session")
def harassment_detector(example_config: OrgConfig) -> HarassmentDetector:
    detector = HarassmentDetector(example_config)
    detector.ensure_loaded()
    return detector


@pytest.fixture(scope="session")
def harassment_without_context(
    example_config: OrgConfig, harassment_detector: HarassmentDetector
) -> HarassmentDetector:
    """The same model with the false-positive cues turned off, to measure what they change."""
    config = example_config.model_copy(deep=True)
    config.detectors["harassment"].options["context"] = False
    detector = HarassmentDetector(config)
    detector._scorer = harassment_detector._scorer  # one model in memory, not two
    detector._loaded = True
    return detector
