"""The detector contract (`detectors.registry` finds the detectors).

A detector is built cheaply from the organisation config, loads its models or indexes once in
`load()`, and then judges whole batches: `detect(posts) -> findings`. It never does network I/O;
media arrive already fetched (``Media.path``). It reports a score and signals; thresholds,
allow-lists and severity are the policy's (`pipeline.policy.engine`), applied once afterwards.

Each detector declares its options as a pydantic model (`Options`); the config's
``detectors.<name>.options`` is validated against it when the detector is built, so a typo or a
wrong type is an error naming the file, the key and the problem.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.core.config import ConfigError, DetectorSettings, OrgConfig
from pipeline.core.history import History, HistoryUpdate
from pipeline.core.models import Category, Finding, Post

log = logging.getLogger(__name__)


class DetectorOptions(BaseModel):
    """A detector's options; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_options(
    options_model: type[DetectorOptions], config: OrgConfig, name: str, raw: object
) -> DetectorOptions:
    try:
        return options_model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            where = f"detectors.{name}.options" + (f".{key}" if key else "")
            problem = "unknown option" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"{config.source}: {where}: {problem}")
        raise ConfigError("\n".join(problems)) from None


class Detector(ABC):
    name: ClassVar[str]
    categories: ClassVar[tuple[Category, ...]]
    Options: ClassVar[type[DetectorOptions]] = DetectorOptions

    def __init__(self, config: OrgConfig, settings: DetectorSettings | None = None) -> None:
        self.config = config
        self.settings = settings or config.detector(self.name)
        self.options = parse_options(self.Options, config, self.name, self.settings.options)
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


class RendersEvidence(ABC):
    """A detector whose hits carry a picture for a reviewer (the logo detector's outlined match).
    The runner asks for it only for findings the policy admitted, so nothing is drawn or written
    for what no reviewer will see (an authorised account's logo, a whitelisted image)."""

    @abstractmethod
    def render_evidence(self, finding: Finding, post: Post) -> dict[str, object]:
        """Evidence fields to add to the admitted finding (e.g. image_path, image_url)."""


class UsesHistory(ABC):
    """A detector that reads the store's history (pipeline/core/history.py: accounts seen,
    official posts, works others could copy). The runner hands it the store before each page
    (`use_history`) and, once the store has acknowledged the page, writes
    `history_update(posts, findings)`; the detector never writes it itself. Without a store
    (`crestwatch scan`, `eval`) `history` is None and each batch stands alone."""

    history: History | None = None

    def use_history(self, history: History | None) -> None:
        self.history = history

    @abstractmethod
    def history_update(self, posts: Sequence[Post], findings: Sequence[Finding]) -> HistoryUpdate:
        """What this page adds to the history."""
