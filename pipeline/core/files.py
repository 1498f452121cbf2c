"""Files and folders the project writes hold personal data of the public and leaked secrets:
they are created readable by their owner only (0600 files, 0700 folders), whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

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
