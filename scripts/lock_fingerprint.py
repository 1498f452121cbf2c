"""The fingerprint of pyproject.toml's requirements, written into the lock files' first line.

`make lock` writes it; every install compares it first, so a lock that no longer matches
pyproject.toml is one clear line instead of an install of the wrong versions.

    python scripts/lock_fingerprint.py            print the fingerprint
    python scripts/lock_fingerprint.py --check F  exit 2 with one line when F does not match
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "# pyproject requirements: "


def fingerprint() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build": (ROOT / "requirements" / "build.in").read_text(encoding="utf-8"),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--check":
        lock = Path(argv[1])
        if not lock.is_file():
            print(f"{lock}: missing; run `make lock` and commit it", file=sys.stderr)
            return 2
        first = lock.read_text(encoding="utf-8").splitlines()[0]
        if first != PREFIX + fingerprint():
            print(
                f"{lock} does not match pyproject.toml: run `make lock` and commit the result",
                file=sys.stderr,
            )
            return 2
        return 0
    print(fingerprint())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
