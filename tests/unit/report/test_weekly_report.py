"""The weekly report: its numbers on a seeded store, and its HTML drawn by headless Chromium."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pipeline.core.models import Category, Severity, Status
from pipeline.reporting.render import CATEGORY_COLOURS, chromium_args, write_report
from pipeline.reporting.report import build_weekly_report, iso_week
from tests.factories import make_hit, make_post

WEEK = "2026-W47"
START, END = iso_week(WEEK)


def hit(n, category, *, days, status=Status.new, author="7", minutes=None, detector=None):
    h = make_hit(n, category=category, detector=detector or category.value,
                 severity=Severity.high, seen=START + timedelta(days=days, hours=9),
                 author_id=author)
    h.status = status
    h.review_minutes = minutes
    return h


@pytest.fixture()
def seeded(sqlite_store, config, monkeypatch):
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "test-salt")
    hits = [
        hit(1, Category.harassment, days=0, status=Status.escalated, author="11", minutes=30),
        hit(2, Category.harassment, days=1, author="12"),
        hit(3, Category.harassment, days=2, author="12", status=Status.false_positive,
            minutes=90),
        hit(4, Category.personal_data, days=3, author="13", status=Status.resolved, minutes=60),
        hit(5, Category.logo_misuse, days=4, author="14"),
        hit(6, Category.harassment, days=-3, author="15"),  # the week before
        hit(7, Category.impersonation, days=-2, author="16"),
        hit(8, Category.impersonation, days=-1, author="16"),
        hit(9, Category.harassment, days=8, author="17"),  # the week after: not counted
    ]
    hits[4].evidence["reference"] = "qmul/crest"
    sqlite_store.upsert_hits(hits)
    # @QMUL (platform id 19094651) posted this week and answered one of two replies; @QMULNews
    # last posted 40 days ago (stale); the other accounts have no posts at all (unused).
    official = dict(author_id="19094651")
    sqlite_store.upsert_posts([
        make_post(100, created_at=START + timedelta(days=1), **official),
        make_post(101, created_at=START + timedelta(days=1, hours=2), in_reply_to="100"),
        make_post(102, created_at=START + timedelta(days=1, hours=3), in_reply_to="100"),
        make_post(103, created_at=START + timedelta(days=1, hours=5), in_reply_to="101",
                  **official),
        make_post(104, created_at=START - timedelta(days=40), author_id="5550101"),
    ])
    return sqlite_store


def test_numbers(seeded, config):
    report = build_weekly_report(seeded, config, WEEK)
    assert (report.total.this_week, report.total.last_week) == (5, 3)
    assert report.by_category["harassment"].this_week == 3
    assert report.by_category["harassment"].last_week == 1
    assert report.by_category["impersonation"].delta == -2
    assert report.by_platform["x"].this_week == 5
    # Only the account with an escalated hit is named; the others are pseudonyms.
    names = [name for name, _, _ in report.top_accounts]
    assert "@user11" in names and "@user12" not in names
    assert any(n.startswith("account-") for n in names)
    assert report.median_review_minutes == 60
    assert report.false_positive_rate == {"harassment": (1, 2), "personal_data": (0, 1)}
    assert [i.reference for i in report.logo_items] == ["qmul/crest"]
    hygiene = {a.handle: a for a in report.hygiene}
    assert (hygiene["QMUL"].state, hygiene["QMUL"].replies_received,
            hygiene["QMUL"].replies_unanswered) == ("active", 2, 1)
    assert hygiene["QMULNews"].state == "stale"
    assert hygiene["QMULLibrary"].state == "unused"
    assert sum(sum(day.values()) for day in report.daily.values()) == 5


def test_bad_week_is_refused():
    with pytest.raises(ValueError, match="use the ISO form"):
        iso_week("2026-47")


@pytest.mark.slow
def test_html_is_drawn_in_chromium_with_its_charts(seeded, config, tmp_path: Path):
    report = build_weekly_report(seeded, config, WEEK)
    files = write_report(report, tmp_path)
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    pages = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True,
                           check=True).stdout
    assert int(next(x for x in pages.splitlines() if x.startswith("Pages:")).split()[1]) >= 2
    assert "harassment,3,1,2" in (tmp_path / f"{WEEK}-by_category.csv").read_text()

    shot = tmp_path / "page.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*chromium_args(profile), "--hide-scrollbars", "--window-size=1200,1600",
                        f"--screenshot={shot}", files["html"].resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[:2] == (1600, 1200)
    # The page is drawn: a white page with dark text, not a blank or an error page.
    assert (pixels.sum(axis=2) < 200).sum() > 2000
    # The category chart is drawn: its harassment bars appear in their colour.
    red = np.array([int(CATEGORY_COLOURS["harassment"][i:i + 2], 16) for i in (1, 3, 5)])
    bar_pixels = (np.abs(pixels - red).sum(axis=2) < 30).sum()
    assert bar_pixels > 500, bar_pixels


def test_report_command(tmp_path: Path, monkeypatch):
    from pipeline.cli.app import app
    from pipeline.store.sqlite import SQLiteStore

    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "test-salt")
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    store.setup()
    store.upsert_hits([hit(1, Category.harassment, days=2), hit(2, Category.harassment, days=3)])
    store.close()
    runner = CliRunner()
    bad = runner.invoke(app, ["report", "--week", "last week", "--no-pdf", "-o", str(tmp_path)])
    assert bad.exit_code == 2 and "use the ISO form YYYY-Www" in bad.stderr
    good = runner.invoke(app, ["report", "--week", WEEK, "--no-pdf", "-o", str(tmp_path / "r")])
    assert good.exit_code == 0, good.output
    assert f"2 hits in {WEEK}" in good.stderr
    assert "Crestwatch weekly report — 2026-W47" in (
        tmp_path / "r" / f"crestwatch-{WEEK}.html").read_text()


PDF_SKIPPED = "PDF skipped: chromium not found; make system-deps installs it"


def test_without_chromium_the_report_is_html_and_csv_and_says_the_pdf_was_skipped(
    seeded, config, tmp_path: Path, no_system_deps
):
    import shutil

    from pipeline.reporting.render import CHROMIUM_NAMES

    assert not any(shutil.which(name) for name in CHROMIUM_NAMES)  # really hidden
    files = write_report(build_weekly_report(seeded, config, WEEK), tmp_path / "direct")
    assert files.pdf_skipped == PDF_SKIPPED and "pdf" not in files
    assert files["html"].is_file() and (tmp_path / "direct" / f"{WEEK}-by_category.csv").is_file()


def test_report_command_without_chromium_writes_html_and_csv_and_exits_0(
    tmp_path: Path, monkeypatch, no_system_deps
):
    from pipeline.cli.app import app
    from pipeline.store.sqlite import SQLiteStore

    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "test-salt")
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    store.setup()
    store.upsert_hits([hit(1, Category.harassment, days=2), hit(2, Category.harassment, days=3)])
    store.close()
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["report", "--week", WEEK, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines().count(PDF_SKIPPED) == 1
    assert (out / f"crestwatch-{WEEK}.html").is_file()
    assert "harassment,2,0,2" in (out / f"{WEEK}-by_category.csv").read_text()
    assert not list(out.glob("*.pdf"))


def test_a_chromium_that_fails_is_one_clear_error_not_a_traceback(
    seeded, config, tmp_path: Path, no_system_deps
):
    from pipeline.reporting.render import ReportError

    fake = no_system_deps / "chromium"
    fake.write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ReportError, match=r"Chromium failed printing the PDF \(exit 3\): simul"):
        write_report(build_weekly_report(seeded, config, WEEK), tmp_path / "r")
    assert (tmp_path / "r" / f"crestwatch-{WEEK}.html").is_file()  # written before the PDF
