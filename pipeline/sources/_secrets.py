"""Credentials for the platform collectors: from Airflow Connection fields or the environment.

Nothing here logs a value. `Credentials` hides its values from repr, and `redact_client_logs`
keeps the client libraries' own debug logging (tweepy prints request headers at DEBUG) from ever
writing a token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Loggers of the client libraries that may echo request headers or bodies.
CLIENT_LOGGERS = ("tweepy", "prawcore", "praw", "mastodon", "atproto", "atproto_client",
                  "httpx", "httpcore", "urllib3", "requests_oauthlib", "oauthlib")


class MissingCredentials(ValueError):
    """A collector was configured without the credentials it needs (names only, no values)."""


class Credentials:
    """Named secret values for one source; repr and str never show them."""

    def __init__(self, values: Mapping[str, str], *, source: str) -> None:
        self._values = {k: v for k, v in values.items() if v}
        self.source = source

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._values.get(key, default)

    def require(self, *keys: str, hint: str) -> list[str]:
        missing = [k for k in keys if not self._values.get(k)]
        if missing:
            raise MissingCredentials(
                f"source {self.source!r}: missing credentials {', '.join(missing)} ({hint})"
            )
        return [self._values[k] for k in keys]

    def secrets(self) -> list[str]:
        return [v for v in self._values.values() if len(v) >= 4]

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, keys={sorted(self._values)})"

    __str__ = __repr__


def resolve_credentials(
    keys: tuple[str, ...],
    *,
    source: str,
    env_prefix: str,
    given: Mapping[str, str | None] | None = None,
) -> Credentials:
    """`given` (Airflow Connection fields, lower-case keys) wins; otherwise `<env_prefix>_<KEY>`."""
    if given is not None:
        values = {k: str(given[k]) for k in keys if given.get(k)}
    else:
        values = {}
        for key in keys:
            value = os.environ.get(f"{env_prefix}_{key.upper()}")
            if value:
                values[key] = value
    return Credentials(values, source=source)


def redact_client_logs(credentials: Credentials) -> None:
    """Withhold these credentials from anything the client libraries log (one filter for the
    whole project: pipeline.core.redact). Call it after building the client, whose loggers
    must exist to get the filter."""
    from pipeline.core.redact import withhold_in_logs

    withhold_in_logs(credentials.secrets(), CLIENT_LOGGERS)
