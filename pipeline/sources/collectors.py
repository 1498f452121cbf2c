"""Builds the platform collectors (X, Reddit, Bluesky, Mastodon) from a `sources:` entry.

Credentials come from `credentials` (an Airflow Connection's fields, passed by the ingest DAG)
or, without it, from environment variables `<env_prefix>_<KEY>` (default prefix
`CRESTWATCH_<PLATFORM>`), e.g. CRESTWATCH_X_BEARER_TOKEN.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.sources._retry import Retrier
from pipeline.sources._secrets import resolve_credentials
from pipeline.sources._transport import Timeouts
from pipeline.sources.base import Source

# Credential keys per platform, and which generic Connection field (login/password) carries one.
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {
    "x": ("bearer_token",),
    "reddit": ("client_id", "client_secret", "user_agent"),
    "bluesky": ("handle", "app_password"),
    "mastodon": ("access_token", "instance"),
}
# Platforms whose collector reads the registry accounts' own posts and replies (`kind: hygiene`).
HYGIENE_PLATFORMS = ("x", "reddit", "bluesky", "mastodon")
CONNECTION_FIELDS: dict[str, dict[str, str]] = {
    "x": {"password": "bearer_token"},
    "reddit": {"login": "client_id", "password": "client_secret"},
    "bluesky": {"login": "handle", "password": "app_password"},
    "mastodon": {"password": "access_token", "host": "instance"},
}


def connection_credentials(
    platform: str, fields: Mapping[str, object | None]
) -> dict[str, str | None]:
    """Map an Airflow Connection's fields (login, password, extra keys) to credential keys."""
    out: dict[str, str | None] = {}
    extra = fields.get("extra")
    if isinstance(extra, Mapping):
        out.update({str(k): None if v is None else str(v) for k, v in extra.items()})
    for field, key in CONNECTION_FIELDS[platform].items():
        if fields.get(field):
            out[key] = str(fields[field])
    for key in CREDENTIAL_KEYS[platform]:
        if fields.get(key):
            out[key] = str(fields[key])
    return out


def build_collector(
    config: OrgConfig,
    spec: SourceConfig,
    *,
    credentials: Mapping[str, object | None] | None = None,
) -> Source:
    platform = spec.platform
    given = connection_credentials(platform, credentials) if credentials is not None else None
    creds = resolve_credentials(
        CREDENTIAL_KEYS[platform], source=spec.name, given=given,
        env_prefix=spec.env_prefix or f"CRESTWATCH_{platform.upper()}",
    )
    if spec.kind == "hygiene" and platform not in HYGIENE_PLATFORMS:
        raise ValueError(f"source {spec.name!r}: account hygiene is collected for "
                         f"{', '.join(HYGIENE_PLATFORMS)}")
    timeouts = Timeouts(connect=spec.connect_timeout, deadline=spec.deadline)
    if platform == "x":
        import pipeline.sources.x as x

        return x.XSource(config, creds, kind=spec.kind, name=spec.name, max_pages=spec.max_pages,
                         retrier=Retrier(x.classify, on_rate_limit=spec.on_rate_limit),
                         timeouts=timeouts)
    if platform == "reddit":
        import pipeline.sources.reddit as reddit

        return reddit.RedditSource(
            config, creds, name=spec.name, kind=spec.kind, max_pages=spec.max_pages,
            retrier=Retrier(reddit.classify, on_rate_limit=spec.on_rate_limit),
            timeouts=timeouts)
    if platform == "bluesky":
        import pipeline.sources.bluesky as bluesky

        return bluesky.BlueskySource(
            config, creds, name=spec.name, kind=spec.kind, max_pages=spec.max_pages,
            retrier=Retrier(bluesky.classify, on_rate_limit=spec.on_rate_limit),
            timeouts=timeouts)
    import pipeline.sources.mastodon as mastodon

    return mastodon.MastodonSource(config, creds, kind=spec.kind, name=spec.name,
                                   max_pages=spec.max_pages, on_rate_limit=spec.on_rate_limit,
                                   timeouts=timeouts)
