"""Retries, back-off and rate limits for the platform collectors, in one place.

Each collector says how to read its client library's exceptions (`classify`); the `Retrier`
then runs the call under the project's one retry policy (`pipeline.core.http.retry_policy`):
back-off with jitter on server errors and timeouts, a wait for a rate-limit window to reset or
the rest of the run deferred (SourceConfig.on_rate_limit). Anything it cannot get past becomes
`SourceStopped`. Its messages carry HTTP statuses and times only, never
the library's exception text, so a credential can never end up in a run summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from pipeline.core.http import DEFAULT_INITIAL_WAIT, DEFAULT_MAX_WAIT, DEFAULT_TRIES, retry_policy
from pipeline.sources.base import SourceStopped

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Fault:
    """What went wrong with one request, described without any secret."""

    kind: Literal["rate_limit", "transient", "fatal"]
    detail: str  # e.g. "HTTP 503", "timeout", "HTTP 401"
    reset_at: float | None = None  # epoch seconds when a rate-limit window reopens


Classifier = Callable[[BaseException], Fault | None]


class RequestRefused(SourceStopped):
    """The platform refused a request outright (401, 403, 404, ...); `detail` says which."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Retrier:
    """Calls the client library; `classify` returns None for exceptions that are bugs."""

    def __init__(
        self,
        classify: Classifier,
        *,
        on_rate_limit: Literal["wait", "defer"] = "defer",
        attempts: int = DEFAULT_TRIES,
        max_backoff: float = DEFAULT_MAX_WAIT,
        max_rate_wait: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.classify = classify
        self.on_rate_limit = on_rate_limit
        self.attempts = attempts
        self.max_rate_wait = max_rate_wait
        self.sleep = sleep
        self.clock = clock
        self.max_backoff = max_backoff

    def _rate_wait(self, fault: Fault) -> float:
        if fault.reset_at is None:
            return 60.0
        return max(0.0, fault.reset_at - self.clock()) + 1.0

    def _retryable(self, exc: BaseException) -> bool:
        fault = self.classify(exc)
        if fault is None or fault.kind == "fatal":
            return False
        if fault.kind == "rate_limit":
            return self.on_rate_limit == "wait" and self._rate_wait(fault) <= self.max_rate_wait
        return True

    def _asked_wait(self, exc: BaseException) -> float | None:
        fault = self.classify(exc)
        return self._rate_wait(fault) if fault is not None and fault.kind == "rate_limit" else None

    def _describe(self, exc: BaseException) -> str:
        fault = self.classify(exc)
        return fault.detail if fault else type(exc).__name__

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        retrying = retry_policy(
            tries=self.attempts,
            initial_wait=DEFAULT_INITIAL_WAIT,
            max_wait=self.max_backoff,
            sleep=self.sleep,
            retry_if=self._retryable,
            asked_wait=self._asked_wait,
            max_asked_wait=self.max_rate_wait,
            describe=self._describe,
        )
        try:
            return retrying(fn, *args, **kwargs)
        except SourceStopped:
            raise
        except Exception as exc:
            fault = self.classify(exc)
            if fault is None:
                raise
            if fault.kind == "fatal":
                raise RequestRefused(self._reason(fault), fault.detail) from None
            raise SourceStopped(self._reason(fault)) from None

    def _reason(self, fault: Fault) -> str:
        if fault.kind == "rate_limit":
            reset = (f"window resets at {_when(fault.reset_at)}" if fault.reset_at
                     else "no reset time given")
            if self.on_rate_limit == "defer":
                return f"rate limited ({fault.detail}, {reset}); the rest waits for the next run"
            return (f"rate limited ({fault.detail}, {reset}); still limited after "
                    f"{self.attempts} tries or the wait exceeds {self.max_rate_wait:.0f}s")
        if fault.kind == "transient":
            return f"gave up after {self.attempts} tries: {fault.detail}"
        return f"request refused: {fault.detail}"
