"""After `make test-latest`: what moved against the lock, and which upgrade each failure is in.

    latest_report.py LOCK LATEST JUNIT_XML VENV

A failing test is put down to the upgraded distribution whose files hold the innermost
traceback frame outside the project (where the new behaviour surfaced); a failure raised in the
project's own code names the upgraded packages its traceback passes through, or "project code".
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import distributions
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")
FRAME = re.compile(r"^(\S+\.py):\d+", re.M)


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found.setdefault(normalise(match[1]), match[2])
    return found


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def owners(venv: Path) -> dict[str, str]:
    """Top-level import folder -> distribution name, for the packages in `venv`."""
    site = next(venv.glob("lib/python*/site-packages"))
    table: dict[str, str] = {}
    for dist in distributions(path=[str(site)]):
        for file in dist.files or ():
            top = file.parts[0]
            if not top.endswith((".dist-info", ".pth")) and top != "..":
                table.setdefault(top.removesuffix(".py"), normalise(dist.metadata["Name"]))
    return table


def main(lock: Path, latest: Path, junit: Path, venv: Path) -> None:
    old, new = pins(lock), pins(latest)
    moved = {n: (old.get(n, "-"), v) for n, v in new.items() if old.get(n) != v}
    print(f"{len(moved)} packages newer than the lock:")
    for name, (was, now) in sorted(moved.items()):
        print(f"  {name} {was} -> {now}")
    if not junit.is_file():
        print("no test results (the suite did not run)")
        return
    table = owners(venv)
    failures = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        failures += 1
        text = (problem.text or "") + (problem.get("message") or "")
        dists = []
        for path in FRAME.findall(text):
            parts = Path(path).parts
            if "site-packages" in parts:
                top = parts[parts.index("site-packages") + 1].removesuffix(".py")
                dists.append(table.get(top, top))
        upgraded = [d for d in dists if d in moved]
        culprit = upgraded[-1] if upgraded else (dists[-1] if dists else "project code")
        version = f" {moved[culprit][0]} -> {moved[culprit][1]}" if culprit in moved else ""
        message = (problem.get("message") or "").splitlines()[0][:160] if problem.get(
            "message"
        ) else ""
        print(f"FAILED {case.get('classname')}::{case.get('name')}")
        print(f"  in {culprit}{version}: {message}")
    print(f"{failures} failing tests on the newest releases" if failures else "every test passed")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*(Path(a) for a in sys.argv[1:]))
