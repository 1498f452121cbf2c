"""A detector family is a folder: a new package under detectors/ with its options model is
found, built, validated and judged by the policy without touching any other file."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import detectors
from detectors import registry
from pipeline.core.config import ConfigError, DetectorSettings, OrgConfig
from pipeline.core.models import Severity
from pipeline.policy.engine import Policy
from tests.factories import make_post

FAMILY = {
    "__init__.py": 'DETECTORS = {"echo": "detector:EchoDetector"}\n',
    "detector.py": '''
        from pydantic import Field

        from detectors.base import Detector, DetectorOptions
        from pipeline.core.models import Category, Finding


        class EchoOptions(DetectorOptions):
            word: str = "echo"
            score: float = Field(default=0.95, ge=0, le=1)


        class EchoDetector(Detector):
            name = "echo"
            categories = (Category.harassment,)
            Options = EchoOptions

            def detect(self, posts):
                return [
                    Finding(post_id=p.doc_id, detector=self.name, category=Category.harassment,
                            score=self.options.score, explanation="says the word")
                    for p in posts if self.options.word in p.text
                ]
    ''',
}


@pytest.fixture()
def echo_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    package = tmp_path / "echo"
    package.mkdir()
    for name, text in FAMILY.items():
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.setattr(detectors, "__path__", [*detectors.__path__, str(tmp_path)])
    registry._manifest.cache_clear()
    yield
    registry._manifest.cache_clear()
    for module in [m for m in sys.modules if m.startswith("detectors.echo")]:
        del sys.modules[module]


def test_a_new_family_folder_is_found_and_built(echo_family: None, example_config: OrgConfig
                                                 ) -> None:
    assert "echo" in registry.available()
    example_config = example_config.model_copy(deep=True)  # the fixture is shared
    example_config.detectors["echo"] = DetectorSettings(options={"word": "hello"})
    (detector,) = registry.build_detectors(example_config, ["echo"])
    post = make_post(1, text="hello there")
    (finding,) = detector.detect([post, make_post(2, text="nothing")])
    # A detector without default rules gets the generic policy: high from a score of 0.9.
    decision = Policy(example_config).decide(finding, post)
    assert decision.admitted and decision.severity is Severity.high


def test_the_new_family_options_are_validated(echo_family: None, example_config: OrgConfig
                                              ) -> None:
    example_config = example_config.model_copy(deep=True)
    example_config.detectors["echo"] = DetectorSettings(options={"score": 2})
    with pytest.raises(ConfigError, match="detectors.echo.options.score: Input should be less"):
        registry.build_detectors(example_config, ["echo"])


def test_without_the_folder_the_name_is_unknown(example_config: OrgConfig) -> None:
    example_config = example_config.model_copy(deep=True)
    example_config.detectors["echo"] = DetectorSettings()
    with pytest.raises(ConfigError, match="detectors.echo: unknown detector"):
        registry.build_detectors(example_config)
