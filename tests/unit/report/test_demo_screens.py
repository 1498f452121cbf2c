"""After the demo: the week the demo's posts were made shows their hits, the current week none,
and the pictures in the docs are made here (report pages in Chromium, `review list` and `show`
at 120x40). `CRESTWATCH_UPDATE_DOCS=1` writes them into docs/images; otherwise they go to a
temporary folder and are only checked."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.cli.commands.review import list_table, show_hit
from pipeline.core.config import load_config
from pipeline.core.paths import PROJECT_ROOT
from pipeline.reporting.render import chromium_args, write_report
from pipeline.reporting.report import build_weekly_report, iso_week, week_label
from pipeline.store.sqlite import SQLiteStore

pytestmark = pytest.mark.slow
WEEK = "2026-W47"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    exe = Path(sys.executable).with_name("crestwatch")
    subprocess.run([str(exe), "run", "--demo", "--data-dir", str(data)], check=True,
                   capture_output=True, timeout=600,
                   env={**os.environ, "CRESTWATCH_HASH_SALT": "docs"})
    return data


@pytest.fixture()
def store(demo, monkeypatch):
    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(demo))
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "docs")
    opened = SQLiteStore(demo / "crestwatch.sqlite")
    yield opened
    opened.close()


@pytest.fixture()
def images(tmp_path) -> Path:
    if os.environ.get("CRESTWATCH_UPDATE_DOCS") == "1":
        out = PROJECT_ROOT / "docs" / "images"
        out.mkdir(exist_ok=True)
        return out
    return tmp_path


def test_the_demo_week_shows_its_hits_and_the_current_week_none(store):
    config = load_config()
    start, end = iso_week(WEEK)
    stored = [h for h in store.iter_hits() if start <= h.post_created_at < end]
    report = build_weekly_report(store, config, WEEK)
    assert report.total.this_week == len(stored) > 20
    assert report.posts.this_week > report.volume.hits > 0
    now = build_weekly_report(store, config, week_label(datetime.now(UTC).date()))
    posted_now = [h for h in store.iter_hits() if h.post_created_at >= iso_week(now.week)[0]
                  and h.category.value != "account_hygiene"]
    assert not posted_now  # the demo's posts are all from November 2026
    assert all(c.this_week == 0 for k, c in now.by_category.items() if k != "account_hygiene")


def _screenshot(url: str, out: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*chromium_args(profile), "--hide-scrollbars", f"--window-size={size}",
                        f"--screenshot={out}", url], check=True, capture_output=True,
                       timeout=120)


def test_report_pictures(store, images, tmp_path):
    report = build_weekly_report(store, load_config(), WEEK)
    files = write_report(report, tmp_path / "report")
    _screenshot(files["html"].resolve().as_uri(), images / "report-top.png", "900,1300")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(files["pdf"]), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 3 <= len(pages) <= 6
    for number, page in enumerate(pages, 1):
        shutil.copy(page, images / f"report-pdf-page-{number}.png")
    assert (images / "report-top.png").stat().st_size > 20_000


def _terminal(render, out: Path, title: str) -> str:
    console = Console(record=True, width=120, height=40, file=io.StringIO(), highlight=False,
                      force_terminal=True, color_system="truecolor")
    render(console)
    text = console.export_text(clear=False)
    out.write_text(console.export_svg(title=title), encoding="utf-8")
    return text


def test_review_pictures(store, images):
    hits = store.search_hits()
    shown = hits[:9]  # nine hits fill a 40-line terminal
    text = _terminal(lambda c: c.print(list_table(shown, len(hits), 120)),
                     images / "review-list.svg", "crestwatch review list")
    assert max(len(line) for line in text.splitlines()) <= 120
    assert all(h.id in text for h in shown)
    logo = next(h for h in hits if h.category.value == "impersonation")
    text = _terminal(lambda c: show_hit(c, logo, store.get_post(logo.post_id),
                                        store.audit_trail(logo.id)),
                     images / "review-show.svg", f"crestwatch review show {logo.id}")
    assert "Evidence" in text and "{" not in text
