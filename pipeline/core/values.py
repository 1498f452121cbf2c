"""Masked values and keyed hashes for what must not be stored in clear (secrets, personal data).

A stored hit keeps enough for a reviewer (the kind of value, its first or last characters) and a
keyed hash, so the same leaked number or key can be found again across hits without keeping it.
The key is per installation: CRESTWATCH_HASH_SALT, or else a random salt created once in the data
directory (``<data>/cache/hash.salt``, readable by its owner only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

from pipeline.core.masking import MASK_CHAR

log = logging.getLogger(__name__)

SALT_ENV = "CRESTWATCH_HASH_SALT"


def load_salt(data_dir: Path | None) -> bytes:
    """The installation's hashing key (never logged)."""
    from_env = os.environ.get(SALT_ENV)
    if from_env:
        return from_env.encode()
    if data_dir is None:
        raise ValueError(f"set {SALT_ENV} or give a data directory for the hashing salt")
    path = data_dir / "cache" / "hash.salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32).hex().encode())
        log.info("created a hashing salt in %s (set %s to choose one)", path, SALT_ENV)
    return path.read_bytes().strip()


def keyed_hash(value: str, salt: bytes) -> str:
    """BLAKE2b keyed with the installation's salt; stable across runs, useless without the key."""
    normalised = "".join(value.split()).casefold()
    return hashlib.blake2b(normalised.encode(), key=salt[:64], digest_size=16).hexdigest()


def mask(value: str, *, head: int = 0, tail: int = 0) -> str:
    """Keep `head` leading and `tail` trailing characters; separators stay so the shape shows."""
    keep_from = len(value) - tail
    out = []
    for i, ch in enumerate(value):
        visible = i < head or i >= keep_from or not ch.isalnum()
        out.append(ch if visible else MASK_CHAR)
    return "".join(out)


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{MASK_CHAR * max(1, len(local) - 1)}@{domain}"
