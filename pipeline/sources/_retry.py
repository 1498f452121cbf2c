"""Retries, back-off and rate limits for the platform collectors, in one place.

One rule for every source: an answer that is not a well-formed page (a bad or cut body, the
wrong content type, a timeout: `BadAnswer`, raised by the HTTP layer in _transport.py or by a
collector's own check of the page's shape) is a retryable fault, like a 5xx. Each collector
says how to read the rest of its client library's exceptions (`classify`); the `Retrier` then
runs the call under the project's one retry policy (`pipeline.core.http.retry_policy`):
back-off with jitter on faults, a wait for a rate-limit window to reset or the rest of the run
deferred (SourceConfig.on_rate_limit). Anything it cannot get past becomes `SourceStopped`, so
the runner keeps the checkpoint where it was and runs the other sources; that includes an
exception nobody classified, which is logged with its type only. Messages carry HTTP statuses,
times and the transport's own reasons, never the library's exception text, so neither a
credential nor a piece of a body can end up in a run summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from pipeline.core.http import DEFAULT_INITIAL_WAIT, DEFAULT_MAX_WAIT, DEFAULT_TRIES, retry_policy
from pipeline.sources._transport import find_bad_answer
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


def page_fault(exc: BaseException) -> Fault | None:
    """The fault every platform shares: an answer that was not a well-formed page."""
    bad = find_bad_answer(exc)
    return Fault("transient", bad.reason) if bad is not None else None


class Retrier:
    """Calls the client library; `classify` returns None for exceptions it does not know."""

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
        self._platform_classify = classify
        self.on_rate_limit = on_rate_limit
        self.attempts = attempts
        self.max_rate_wait = max_rate_wait
        self.sleep = sleep
        self.clock = clock
        self.max_backoff = max_backoff

    def classify(self, exc: BaseException) -> Fault | None:
        return page_fault(exc) or self._platform_classify(exc)

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
                # Not a fault any collector knows (a bug here or in the library): logged by type,
                # as its text may hold a body or a URL. It refuses this call only: an item's
                # own call (a comment tree, a thread) is skipped and reported, a page's call
                # stops this source instead of the whole run.
                name = type(exc).__name__
                log.error("unexpected %s from a client library call", name)
                log.debug("the unexpected error", exc_info=True)
                raise RequestRefused(f"stopped on an unexpected {name} (see the log)",
                                     f"unexpected {name}") from None
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
