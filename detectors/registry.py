"""Which detectors this installation has, and building them from the organisation config.

A detector family is a package under ``detectors/`` whose ``__init__.py`` names its detectors in
``DETECTORS`` ({detector name: "module:Class"}, relative to the package). Only that mapping is
read to list them; a detector's module is imported when the detector is built, so `crestwatch
scan --detectors personal_data` does not pay for the harassment model's runtime. A new family is
a new folder: nothing else needs to change. ``common`` holds helpers shared between families.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from functools import cache

import detectors
from detectors.base import Detector
from pipeline.core.config import ConfigError, OrgConfig

_HELPERS = {"common"}
# Configured under `detectors:` for their threshold and severity, but judged elsewhere
# (pipeline/reporting/hygiene.py).
_NOT_DETECTORS = {"account_hygiene"}


@cache
def _manifest() -> dict[str, str]:
    """Detector name -> "detectors.<family>.<module>:<Class>", from every family package."""
    found: dict[str, str] = {}
    for module in sorted(pkgutil.iter_modules(detectors.__path__), key=lambda m: m.name):
        if not module.ispkg or module.name in _HELPERS:
            continue
        package = importlib.import_module(f"detectors.{module.name}")
        for name, target in getattr(package, "DETECTORS", {}).items():
            if name in found:
                raise ValueError(f"detector {name!r} is named by two packages")
            found[name] = f"detectors.{module.name}.{target}"
    return found


def available() -> list[str]:
    """Names of the detectors in this installation."""
    return sorted(_manifest())


def detector_class(name: str) -> type[Detector]:
    target = _manifest().get(name)
    if target is None:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(available())}")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Detector)) or cls.name != name:
        raise TypeError(f"{target} is not the Detector named {name!r}")
    return cls


def check_configured_names(config: OrgConfig) -> None:
    unknown = sorted(set(config.detectors) - set(_manifest()) - _NOT_DETECTORS)
    if unknown:
        known = ", ".join(available())
        raise ConfigError("\n".join(
            f"{config.source}: detectors.{name}: unknown detector (known: {known})"
            for name in unknown
        ))


def build_detectors(
    config: OrgConfig,
    names: Sequence[str] | None = None,
    *,
    factory: Callable[[type[Detector], OrgConfig], Detector] | None = None,
) -> list[Detector]:
    """Instantiate the named detectors (default: every available one enabled in config). Each
    validates its options on construction; a config naming a detector this installation does
    not have is refused (a typo would otherwise turn nothing off, or nothing on)."""
    check_configured_names(config)
    chosen = list(names) if names else [n for n in available() if config.detector(n).enabled]
    make = factory or (lambda cls, cfg: cls(cfg))
    return [make(detector_class(name), config) for name in chosen]
