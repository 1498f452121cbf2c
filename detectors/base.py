"""The detector contract and registry.

A detector is built cheaply from the organisation config, loads its models or indexes once in
`load()`, and then judges whole batches: `detect(posts) -> findings`. It never does network I/O;
media arrive already fetched (``Media.path``). Thresholds, allow-lists and severity policy are
applied afterwards, once, by `pipeline.policy`, not inside each detector.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

from pipeline.config import DetectorSettings, OrgConfig
from pipeline.models import Category, Finding, Post

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


_REGISTRY: dict[str, type[Detector]] = {}

# Detector modules register themselves on import; the registry imports them lazily so that
# `crestwatch scan --detectors pii` does not pay for loading torch.
_MODULES = {
    "harassment": "detectors.harassment",
    "confidential": "detectors.confidential",
    "personal_data": "detectors.personal_data",
    "impersonation": "detectors.impersonation",
    "logo": "detectors.logo",
    "keywords": "detectors.keywords",
}


def register(cls: type[Detector]) -> type[Detector]:
    _REGISTRY[cls.name] = cls
    return cls


def available() -> list[str]:
    """Names of detectors whose module exists in this installation."""
    import importlib.util

    return [n for n, m in _MODULES.items() if importlib.util.find_spec(m) is not None]


def detector_class(name: str) -> type[Detector]:
    if name not in _REGISTRY:
        module = _MODULES.get(name)
        if module is None:
            raise KeyError(f"unknown detector {name!r}; known: {', '.join(available())}")
        import importlib

        importlib.import_module(module)
    return _REGISTRY[name]


def build_detectors(
    config: OrgConfig,
    names: Sequence[str] | None = None,
    *,
    factory: Callable[[type[Detector], OrgConfig], Detector] | None = None,
) -> list[Detector]:
    """Instantiate the named detectors (default: every available one enabled in config)."""
    chosen = list(names) if names else [n for n in available() if config.detector(n).enabled]
    make = factory or (lambda cls, cfg: cls(cfg))
    return [make(detector_class(name), config) for name in chosen]
