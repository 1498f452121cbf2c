"""A small organisation config and JSONL of posts in a temporary folder, shared by the task and
DAG tests: six posts (two carrying a confidentiality marker, by two authors, one old enough for
retention) and one malformed line that must be skipped, not fatal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from detectors.registry import available

MARKED = {"2", "5"}  # ids of the posts the confidential detector flags
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def post_lines() -> list[str]:
    lines = []
    for n in range(1, 7):
        text = f"Post {n} about Test University open day"
        if str(n) in MARKED:
            text = f"Strictly confidential: draft minutes {n}, do not share"
        created = NOW - (timedelta(days=400) if n == 6 else timedelta(hours=n))
        lines.append(json.dumps({
            "platform": "x",
            "id": str(n),
            "url": f"https://x.com/someone/status/{n}",
            "created_at": created.isoformat(),
            "text": text,
            "author": {"id": "a1" if n % 2 else "a2", "handle": f"user_a{1 if n % 2 else 2}"},
        }))
    lines.insert(3, '{"platform": "x", "id": "broken", "created_at": "not a date"}')
    return lines


def write_scenario(
    folder: Path, *, backend: str = "sqlite", index_prefix: str = "crestwatch",
    connection_id: str | None = None,
) -> Path:
    """Write posts.jsonl and config.yaml into `folder`; return the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "posts.jsonl").write_text("\n".join(post_lines()) + "\n", encoding="utf-8")
    # Only the cheap marker detector runs: these tests are about wiring, not about detection.
    detectors = {name: {"enabled": name == "confidential"} for name in available()}
    replay = {"name": "replay", "platform": "jsonl", "path": "posts.jsonl"}
    if connection_id:
        replay["connection_id"] = connection_id
    config = {
        "organisation": {"name": "Test University", "short_name": "TU"},
        "confidential_markers": ["strictly confidential"],
        "detectors": detectors,
        "retention_days": 180,
        "store": {"backend": backend, "index_prefix": index_prefix},
        "data_dir": "data",
        "sources": [
            replay,
            {"name": "paused", "platform": "jsonl", "path": "missing.jsonl", "enabled": False},
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
