"""The detector contract (`detectors.registry` finds the detectors).

A detector is built cheaply from the organisation config, loads its models or indexes once in
`load()`, and then judges whole batches: `detect(posts) -> findings`. It never does network I/O;
media arrive already fetched (``Media.path``). Thresholds, allow-lists and severity policy are
applied afterwards, once, by `pipeline.policy.engine`, not inside each detector.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from pipeline.core.config import DetectorSettings, OrgConfig
from pipeline.core.models import Category, Finding, Post

log = logging.getLogger(__name__)


class Detector(ABC):
    name: ClassVar[str]
    categories: ClassVar[tuple[Category, ...]]

    def __init__(self, config: OrgConfig, settings: DetectorSettings | None = None) -> None:
        self.config = config
        self.settings = settings or config.detector(self.name)
        self._loaded = False

    def load(self) -> None:
        """Load models, indexes and reference data. Called once, before the first batch."""
        self._loaded = True

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()
            self._loaded = True

    @abstractmethod
    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        """Judge a batch of posts; return zero or more findings per post."""
