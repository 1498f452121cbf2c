"""Building one pipeline pass from the organisation config: the one place that does it.

`crestwatch run` and the Airflow ingest task both call `build_pass`, so a pass has the same
sources, enrichers, detectors and policy whichever way it was started. Building is cheap and
opens no connection; detectors load their models in `Pass.load()`, so a missing model is one
clear error before the first post is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Detector
from detectors.registry import build_detectors
from pipeline.core.config import OrgConfig
from pipeline.enrich.base import Enricher, build_enrichers
from pipeline.sources import Source, build_source, demo_sources


@dataclass
class Pass:
    """What one pass runs: where posts come from, what enriches and judges them."""

    config: OrgConfig
    sources: list[Source]
    detectors: list[Detector]
    enrichers: list[Enricher] = field(default_factory=list)

    def load(self, progress: Callable[[str], object] | None = None) -> None:
        """Load every detector's models and indexes; raises `DetectorLoadError` naming it."""
        for detector in self.detectors:
            if progress:
                progress(detector.name)
            try:
                detector.ensure_loaded()
            except Exception as exc:  # noqa: BLE001 - any load failure is reported by name
                raise DetectorLoadError(
                    f"detector {detector.name} could not load: {type(exc).__name__}: {exc}"
                ) from exc


class DetectorLoadError(RuntimeError):
    """A detector's model, index or reference data could not be loaded."""


def build_pass(
    config: OrgConfig,
    *,
    demo: bool = False,
    source_names: Sequence[str] | None = None,
    detector_names: Sequence[str] | None = None,
    credentials: Mapping[str, Any] | None = None,
) -> Pass:
    """The pass the config describes.

    `demo` reads the bundled samples and fetches nothing over the network; `source_names`
    limits the pass to those configured sources (one Airflow task per source); `credentials`
    are the fields of an Airflow Connection for that one source (without them a collector
    reads its `<env_prefix>_...` environment variables).
    """
    if demo:
        sources = demo_sources()
    else:
        specs = [s for s in config.sources if s.enabled]
        if source_names is not None:
            wanted = list(source_names)
            by_name = {s.name: s for s in config.sources}
            for name in wanted:
                if name not in by_name:
                    known = ", ".join(by_name) or "none"
                    raise ValueError(f"no source named {name!r} in the config (sources: {known})")
                if not by_name[name].enabled:
                    raise ValueError(f"source {name!r} is disabled in the config")
            specs = [by_name[name] for name in wanted]
        creds = dict(credentials) if credentials is not None else None
        sources = [build_source(config, spec, credentials=creds) for spec in specs]
    return Pass(
        config=config,
        sources=sources,
        detectors=build_detectors(config, detector_names),
        enrichers=build_enrichers(config, offline=demo),
    )
