"""The data volume full in the middle of `crestwatch run`, on a real filesystem.

The data directory (the SQLite store, the quarantine) is a tmpfs of 1.5 MiB of its own, mounted
for the test (it needs root with the right to mount, as CI has); the backfill read from
elsewhere outgrows it after a few pages. The run must stop with one clear error (the file, the
operating system's reason, the free space), no traceback, the checkpoint at the last page the
store acknowledged; once the volume has room, the rerun resumes there and stores every post and
hit exactly once.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from detectors.registry import available
from pipeline.cli.app import app
from pipeline.core.config import OrgConfig
from pipeline.policy.engine import Policy
from pipeline.run import runner
from pipeline.run.quarantine import Quarantine
from pipeline.run.runner import RunSummary, run_pass
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.sqlite import SQLiteStore
from tests.unit.run.test_quarantine import WordDetector

pytestmark = [pytest.mark.slow]

MARKER = "strictly confidential"
POSTS = 3000
PAGE = 100  # JsonlSource's page size
VOLUME = "1536k"


@pytest.fixture()
def small_volume(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "data"
    mountpoint.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={VOLUME},mode=0700", "crestwatch-test-data",
         str(mountpoint)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.fail("this test mounts a small tmpfs as the data directory, which needs root "
                    f"with the right to mount: {mount.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def write_backfill(folder: Path, data_dir: Path) -> tuple[Path, set[str], set[str]]:
    """The backfill (outside the small volume) and its config; the post ids and the ids of the
    posts that each must have one hit (every tenth carries the confidentiality marker)."""
    lines, posts, marked = [], set(), set()
    filler = "The open day programme, the library hours and the bus timetable. "
    for n in range(1, POSTS + 1):
        hit = n % 10 == 0
        text = (f"{MARKER.capitalize()}: board minutes {n}, do not share. " if hit
                else f"Post {n} about the open day. ") + filler * (1 + n % 12)
        lines.append(json.dumps({
            "platform": "x", "id": str(n), "url": f"https://x.com/someone/status/{n}",
            "created_at": f"2026-11-{1 + n % 28:02d}T10:00:00+00:00", "text": text,
            "author": {"id": f"a{n % 7}", "handle": f"user_{n % 7}"},
        }))
        posts.add(f"x:{n}")
        if hit:
            marked.add(f"x:{n}")
    source = folder / "backfill.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = {
        "organisation": {"name": "Test University", "short_name": "TU"},
        "confidential_markers": [MARKER],
        "detectors": {name: {"enabled": name == "confidential"} for name in available()},
        "store": {"backend": "sqlite"},
        "data_dir": str(data_dir),
        "sources": [{"name": "backfill", "platform": "jsonl", "path": str(source)}],
    }
    path = folder / "crestwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path, posts, marked


def crestwatch_run(monkeypatch: pytest.MonkeyPatch,
                   config: Path) -> tuple[int, str, RunSummary, list[str]]:
    """`crestwatch run` in this process: exit code, output, summary, and the checkpoints the
    store acknowledged."""
    summaries: list[RunSummary] = []
    acknowledged: list[str] = []
    real_run_pass = runner.run_pass
    real_checkpoint = SQLiteStore.set_checkpoint

    def recording_run_pass(*args: Any, **kwargs: Any) -> RunSummary:
        summaries.append(real_run_pass(*args, **kwargs))
        return summaries[-1]

    def set_checkpoint(self: SQLiteStore, source: str, value: str) -> None:
        real_checkpoint(self, source, value)
        acknowledged.append(value)

    with monkeypatch.context() as patch:
        patch.setattr(runner, "run_pass", recording_run_pass)
        patch.setattr(SQLiteStore, "set_checkpoint", set_checkpoint)
        result = CliRunner().invoke(app, ["run", "-c", str(config)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert len(summaries) == 1, result.output
    return result.exit_code, result.output, summaries[0], acknowledged


def stored(path: Path) -> tuple[list[str], list[str], str | None]:
    """Every stored post id, the post id of every stored hit, and the checkpoint."""
    with sqlite3.connect(path) as db:
        posts = [r[0] for r in db.execute("SELECT doc_id FROM posts")]
        hits = [json.loads(r[0])["post_id"] for r in db.execute("SELECT doc FROM hits")]
        row = db.execute("SELECT value FROM checkpoints WHERE source = 'backfill'").fetchone()
    db.close()
    return posts, hits, row[0] if row else None


def line(doc_id: str) -> int:
    return int(doc_id.partition(":")[2])


def test_a_full_data_volume_stops_the_run_clearly_and_the_rerun_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_volume: Path,
) -> None:
    config, posts, marked = write_backfill(tmp_path, small_volume)
    database = small_volume / "crestwatch.sqlite"

    code, output, summary, acknowledged = crestwatch_run(monkeypatch, config)
    assert code == 1
    assert "Traceback" not in output
    # It filled up mid-run: some pages were acknowledged, not all.
    assert acknowledged and len(acknowledged) < POSTS // PAGE
    assert acknowledged == [str(n) for n in range(PAGE, PAGE * len(acknowledged) + 1, PAGE)]
    last = int(acknowledged[-1])
    [error] = summary.errors
    assert "\n" not in error
    assert error.startswith(f"backfill: SQLite store {database} cannot write while ")
    assert "database or disk is full (" in error
    assert f"free on the volume holding {small_volume})" in error
    assert f"page {last // PAGE + 1} not acknowledged ({PAGE} posts: x:{last + 1}, " in error
    assert f"the checkpoint stays at '{last}'" in error
    assert summary.quarantined == 0

    post_ids, hit_posts, checkpoint = stored(database)
    assert checkpoint == str(last)  # untouched by the page that did not fit
    assert {p for p in posts if line(p) <= last} <= set(post_ids)
    assert all(line(p) <= last + PAGE for p in post_ids)  # the run stopped at that page

    # Room again (an operator grew or cleaned the volume): the rerun resumes and completes.
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_volume)], check=True)
    code, output, summary, acknowledged = crestwatch_run(monkeypatch, config)
    assert code == 0, output
    assert summary.errors == [] and summary.quarantined == 0
    assert summary.posts_read == POSTS - last
    assert acknowledged == [str(n) for n in range(last + PAGE, POSTS + 1, PAGE)]
    post_ids, hit_posts, checkpoint = stored(database)
    assert len(post_ids) == POSTS and set(post_ids) == posts  # none lost, none doubled
    assert len(hit_posts) == len(marked) and set(hit_posts) == marked
    assert checkpoint == str(POSTS)


def fill(volume: Path) -> None:
    with (volume / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC: the volume is full now


def test_an_item_the_full_quarantine_cannot_hold_stops_the_source_before_it(
    tmp_path: Path, small_volume: Path, config: OrgConfig,
) -> None:
    """A detector raises on one post while the volume holding the quarantine is full: the post
    must not be passed over (the checkpoint stays before its page); with room, the rerun holds
    it and goes on."""
    source_file = tmp_path / "posts.jsonl"
    source_file.write_text("".join(
        json.dumps({"platform": "x", "id": str(n), "created_at": "2026-11-20T10:00:00+00:00",
                    "text": "boom" if n == 150 else ("bad" if n % 10 == 0 else "fine"),
                    "author": {"id": "1", "handle": "h"}}) + "\n"
        for n in range(1, 301)))
    store = SQLiteStore(tmp_path / "store.sqlite")  # the store has room; the quarantine not
    store.setup()
    quarantine = Quarantine(small_volume / "quarantine.sqlite")
    policy = Policy(config)
    try:
        fill(small_volume)
        summary = run_pass([JsonlSource(source_file, name="posts")], store=store,
                           detectors=[WordDetector(config)], policy=policy,
                           quarantine=quarantine)
        [error] = summary.errors
        assert error.startswith(f"posts: quarantine {small_volume / 'quarantine.sqlite'} "
                                "cannot write while holding an item: database or disk is full")
        assert "page 2 not acknowledged" in error
        assert store.get_checkpoint("posts") == "100" and quarantine.count() == 0

        (small_volume / "filler").unlink()
        summary = run_pass([JsonlSource(source_file, name="posts")], store=store,
                           detectors=[WordDetector(config)], policy=policy,
                           quarantine=quarantine)
        assert summary.errors == [] and summary.posts_read == 200
        assert [i.location for i in quarantine.items()] == ["x:150"]
        assert store.get_checkpoint("posts") == "300"
        assert {p.doc_id for p in store.iter_posts()} == {f"x:{n}" for n in range(1, 301)}
        assert len(store.search_hits()) == 29  # every tenth post but x:150, the one held
    finally:
        quarantine.close()
        store.close()


def test_a_data_volume_full_before_the_run_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_volume: Path,
) -> None:
    config, _, _ = write_backfill(tmp_path, small_volume)
    fill(small_volume)
    result = CliRunner().invoke(app, ["run", "-c", str(config)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [message] = [x for x in result.output.splitlines() if x.strip()]
    assert f"{small_volume / 'crestwatch.sqlite'} cannot write while " in message
    assert "database or disk is full (0 B free on the volume holding" in message
