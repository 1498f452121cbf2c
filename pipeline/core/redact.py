"""Secrets withheld from log records, whatever library makes them.

A logger's filters only see records made on that very logger, not those its children pass up,
so the filter goes on the named loggers and on every child of them that exists: call
`withhold_in_logs` after the library has made its loggers (importing it is enough for urllib3).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

WITHHELD = "<withheld>"


class _Withhold(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is dropped, not crashed on
            return False
        if any(secret in message for secret in self.secrets):
            # Longest first: a secret that contains another is withheld whole.
            for secret in sorted(self.secrets, key=len, reverse=True):
                message = message.replace(secret, WITHHELD)
            record.msg, record.args = message, None
        return True


_FILTER = _Withhold()


def withhold_in_logs(secrets: Iterable[str], loggers: Iterable[str]) -> None:
    """From now on, records of `loggers` (and their existing children) show none of `secrets`
    (values shorter than 4 characters are ignored: they would blank out ordinary words)."""
    _FILTER.secrets.update(s for s in secrets if len(s) >= 4)
    tops = set(loggers)
    names = tops | {name for name in logging.root.manager.loggerDict
                    if any(name.startswith(f"{top}.") for top in tops)}
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
