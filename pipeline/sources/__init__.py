"""Sources of posts. `build_sources` turns the config's `sources:` list into Source objects."""

from __future__ import annotations

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.core.paths import SAMPLES_DIR
from pipeline.sources.base import Page, Source, SourceStopped

__all__ = ["Page", "Source", "SourceStopped", "build_source", "build_sources"]


def demo_sources() -> list[Source]:
    """The bundled samples: every samples/*.jsonl file, in name order."""
    from pipeline.sources.jsonl import JsonlSource

    return [JsonlSource(p, name=f"demo:{p.stem}") for p in sorted(SAMPLES_DIR.glob("*.jsonl"))]


def build_source(
    config: OrgConfig, spec: SourceConfig, *, credentials: dict[str, str | None] | None = None
) -> Source:
    """`credentials`: Airflow Connection fields; without them, `<env_prefix>_...` variables."""
    if spec.platform in ("x", "reddit", "bluesky", "mastodon"):
        from pipeline.sources.collectors import build_collector

        return build_collector(config, spec, credentials=credentials)
    if spec.platform == "jsonl":
        from pipeline.sources.jsonl import JsonlSource

        if spec.path is None:
            raise ValueError(f"source {spec.name!r}: a jsonl source needs `path`")
        return JsonlSource(config.resolve(spec.path), name=spec.name)
    raise ValueError(f"source {spec.name!r}: no collector for platform {spec.platform!r}")


def build_sources(config: OrgConfig, *, demo: bool = False) -> list[Source]:
    if demo:
        return demo_sources()
    return [build_source(config, s) for s in config.sources if s.enabled]
