"""Masked values and keyed hashes for what must not be stored in clear (secrets, personal data).

A stored value is replaced by its kind and a length bucket (``[•••• phone_number, 8-15 chars]``):
no character of it is kept, not its first letter, its last digits, its exact length or where its
symbols were, since any of those narrows a short value (a PIN, a Wi-Fi password) down to a guess.
A keyed hash sits beside it, so the same leaked number or key can be found again across hits
without keeping it. The key is per installation: CRESTWATCH_HASH_SALT, or else a random salt
created once in the data directory (``<data>/cache/hash.salt``, readable by its owner only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from pathlib import Path

from pipeline.core.files import atomic_write
from pipeline.core.masking import MASK_CHAR

log = logging.getLogger(__name__)

SALT_ENV = "CRESTWATCH_HASH_SALT"
# Upper bounds of the length buckets; a value longer than the last is "64+".
_BUCKETS = (7, 15, 31, 63)
_KIND = re.compile(r"[^a-z0-9_]+")


def load_salt(data_dir: Path | None) -> bytes:
    """The installation's hashing key (never logged)."""
    from_env = os.environ.get(SALT_ENV)
    if from_env:
        return from_env.encode()
    if data_dir is None:
        raise ValueError(f"set {SALT_ENV} or give a data directory for the hashing salt")
    path = data_dir / "cache" / "hash.salt"
    if not path.exists():
        # Two runs starting on an empty data folder: the first salt written is the one both use,
        # and neither reads it before it is whole.
        salt = secrets.token_bytes(32).hex().encode()
        if atomic_write(path, lambda handle: handle.write(salt), keep_existing=True):
            log.info("created a hashing salt in %s (set %s to choose one)", path, SALT_ENV)
    return path.read_bytes().strip()


def keyed_hash(value: str, salt: bytes) -> str:
    """BLAKE2b keyed with the installation's salt; stable across runs, useless without the key."""
    normalised = "".join(value.split()).casefold()
    return hashlib.blake2b(normalised.encode(), key=salt[:64], digest_size=16).hexdigest()


def length_bucket(length: int) -> str:
    """The length of a value as a range (``8-15``), never the exact count."""
    low = 1
    for high in _BUCKETS:
        if length <= high:
            return f"{low}-{high}"
        low = high + 1
    return f"{low}+"


def masked(kind: str, value: str | int) -> str:
    """What is shown and stored in place of a secret or personal detail: its kind and a length
    bucket. `value` is the value itself or its length (a span's ``end - start``)."""
    length = value if isinstance(value, int) else len(value)
    label = _KIND.sub("_", kind.casefold()).strip("_") or "value"
    return f"[{MASK_CHAR * 4} {label}, {length_bucket(length)} chars]"


def mask(value: str, *, head: int = 0, tail: int = 0) -> str:
    """Older spelling of ``masked("value", value)``. `head` and `tail` once kept leading and
    trailing characters; they are accepted so existing callers keep working, and ignored: no
    character of a value is kept. New code calls `masked` with the value's kind."""
    del head, tail
    return masked("value", value)


def mask_email(value: str) -> str:
    """An e-mail address masked whole, domain included (a personal domain names its owner)."""
    return masked("email", value)
