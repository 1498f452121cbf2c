"""Files and folders the project writes hold personal data of the public and leaked secrets:
they are created readable by their owner only (0600 files, 0700 folders), whatever the umask."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents as 0700 folders. A folder that already exists is
    left as it is: it may be shared (/tmp) or the user's own choice."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for folder in missing:
        os.chmod(folder, DIR_MODE)  # mkdir's mode is narrowed by the umask, not widened
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists as a 0600 file in a 0700 folder (before a library such as sqlite3
    creates it with the umask's mode); an existing file is narrowed to 0600."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def atomic_write(
    path: Path, write: Callable[[IO[bytes]], object], *, keep_existing: bool = False
) -> bool:
    """Write a file through `write(handle)` so no reader or other writer ever sees it half
    written: the bytes go to a temporary file of a name no other process uses, in the same
    folder (a rename is atomic only within one file system), flushed to disk, then renamed
    over `path`. Two runs building the same cache at once each rename a complete file and the
    last one stays, where a shared temporary name let one run rename the other's half-written
    file or find it gone. With `keep_existing` the first complete file wins and is never
    replaced (a key that must not change under a run already using it); the return value says
    whether this call's file is the one in place."""
    private_dir(path.parent)
    # mkstemp creates the file 0600 under a random name: private and unique per writer.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if not keep_existing:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails, atomically, where another writer got there first
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
