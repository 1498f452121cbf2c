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

# A detector named N lives in the module detectors/N.py and registers itself on import. Modules
# are imported lazily, so `crestwatch scan --detectors personal_data` does not pay for torch.
# Shared helper modules start with an underscore; `base` is this module.
_NOT_DETECTORS = {"base"}


def register(cls: type[Detector]) -> type[Detector]:
    _REGISTRY[cls.name] = cls
    return cls


def available() -> list[str]:
    """Names of the detector modules in this installation."""
    import pkgutil
    from pathlib import Path

    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not m.name.startswith("_") and m.name not in _NOT_DETECTORS and not m.ispkg
    )


def detector_class(name: str) -> type[Detector]:
    if name not in _REGISTRY:
        if name not in available():
            raise KeyError(f"unknown detector {name!r}; known: {', '.join(available())}")
        import importlib

        importlib.import_module(f"detectors.{name}")
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
