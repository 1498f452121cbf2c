"""The weekly report: its numbers on a seeded store, and its HTML drawn by headless Chromium."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pipeline.core.models import Author, Category, Severity, Status
from pipeline.reporting.render import CATEGORY_COLOURS, chromium_args, write_report
from pipeline.reporting.report import build_weekly_report, iso_week
from pipeline.reporting.terms import top_terms
from tests.factories import make_hit, make_post

WEEK = "2026-W47"
START, END = iso_week(WEEK)  # November: London time is UTC


def hit(n, category, *, days, status=Status.new, author="7", minutes=None, detector=None,
        detected_days=None, severity=Severity.high, platform="x", **evidence):
    """A hit on a post made `days` after the week's start, detected `detected_days` after it
    (default: two hours after the post)."""
    posted = START + timedelta(days=days, hours=9)
    seen = (START + timedelta(days=detected_days, hours=12) if detected_days is not None
            else posted + timedelta(hours=2))
    h = make_hit(n, category=category, detector=detector or category.value,
                 severity=severity, seen=seen, author_id=author, created_at=posted,
                 platform=platform)
    h.status = status
    h.review_minutes = minutes
    h.evidence.update(evidence)
    return h


@pytest.fixture()
def seeded(sqlite_store, config, monkeypatch):
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "test-salt")
    hits = [
        hit(1, Category.harassment, days=0, status=Status.escalated, author="11", minutes=30),
        hit(2, Category.harassment, days=1, author="12"),
        hit(3, Category.harassment, days=2, author="12", status=Status.false_positive,
            minutes=90),
        hit(4, Category.personal_data, days=3, author="13", status=Status.resolved, minutes=60,
            severity=Severity.critical),
        hit(5, Category.logo_misuse, days=4, author="14", reference="qmul/crest"),
        hit(6, Category.harassment, days=-3, author="15"),  # the week before
        hit(7, Category.impersonation, days=-2, author="16"),
        hit(8, Category.impersonation, days=-1, author="16"),
        hit(9, Category.harassment, days=8, author="17"),  # the week after: not counted
        # Posted this week, read and flagged twelve days later: still this week's.
        hit(10, Category.confidential, days=5, author="18", detected_days=17),
        # Posted the week before, flagged this week: the week before's.
        hit(11, Category.confidential, days=-4, author="18", detected_days=1),
        # Posted five weeks before: only in the trend.
        hit(12, Category.harassment, days=-26, author="19"),
    ]
    sqlite_store.upsert_hits(hits)
    # The posts read: the flagged ones (with their engagement) and unflagged ones.
    flagged = [make_post(h_n, author_id=a, created_at=START + timedelta(days=d, hours=9),
                         metrics={"like_count": likes, "retweet_count": 2, "reply_count": 1},
                         author=Author(id=a, handle=f"user{a}", followers=100 * h_n))
               for h_n, a, d, likes in [(1, "11", 0, 40), (2, "12", 1, 5), (3, "12", 2, 1),
                                        (4, "13", 3, 0), (5, "14", 4, 3), (10, "18", 5, 9),
                                        (6, "15", -3, 0), (11, "18", -4, 0)]]
    quiet = [make_post(200 + n, author_id="50", created_at=START + timedelta(days=n % 7, hours=8),
                       platform="reddit" if n % 3 == 0 else "x") for n in range(30)]
    previous = [make_post(300 + n, author_id="51", created_at=START - timedelta(days=1 + n % 6))
                for n in range(10)]
    # @QMUL (platform id 19094651) posted this week and answered one of two replies; @QMULNews
    # last posted 40 days ago (stale); the other accounts have no posts at all.
    official = dict(author_id="19094651")
    sqlite_store.upsert_posts([
        *flagged, *quiet, *previous,
        make_post(100, created_at=START + timedelta(days=1), **official),
        make_post(101, created_at=START + timedelta(days=1, hours=2), in_reply_to="100"),
        make_post(102, created_at=START + timedelta(days=1, hours=3), in_reply_to="100"),
        make_post(103, created_at=START + timedelta(days=1, hours=5), in_reply_to="101",
                  **official),
        make_post(104, created_at=START - timedelta(days=40), author_id="5550101"),
    ])
    return sqlite_store


def test_hits_are_counted_by_the_day_their_posts_were_made(seeded, config):
    report = build_weekly_report(seeded, config, WEEK)
    assert (report.total.this_week, report.total.last_week) == (6, 4)
    assert report.by_category["harassment"].this_week == 3
    assert report.by_category["harassment"].last_week == 1
    assert report.by_category["confidential"].this_week == 1  # detected 12 days later
    assert report.by_category["confidential"].last_week == 1  # detected this week
    assert report.by_category["impersonation"].delta == -2
    assert report.daily[(START + timedelta(days=5)).date().isoformat()] == {"confidential": 1}
    assert sum(sum(day.values()) for day in report.daily.values()) == 6
    assert report.median_review_minutes == 60
    assert report.false_positive_rate == {"harassment": (1, 2), "personal_data": (0, 1)}
    assert report.dismissed == 1


def test_a_week_with_no_posts_has_no_hits_and_nothing_new(seeded, config):
    report = build_weekly_report(seeded, config, "2026-W50")
    assert report.total.this_week == 0 and report.posts.this_week == 0
    assert all(c.this_week == 0 for c in report.by_category.values())
    assert not report.notable and not report.logo_accounts


def test_volumes_rates_and_trend(seeded, config):
    report = build_weekly_report(seeded, config, WEEK)
    # 6 flagged posts, 30 quiet ones, 4 of the official account and its replies.
    assert report.posts.this_week == 40 and report.posts.last_week == 12
    assert report.platform_volume["reddit"].posts == 10
    x = report.platform_volume["x"]
    assert (x.posts, x.hits) == (30, 6)
    assert x.rate == pytest.approx(200.0)
    monday = report.volumes[START.date().isoformat()]
    assert monday["x"].hits == 1 and monday["x"].posts == 1 + 3 + 0  # post 1 and 3 quiet x
    assert [w.week for w in report.trend][-2:] == ["2026-W46", "2026-W47"]
    assert len(report.trend) == 8
    assert [w.hits for w in report.trend][-2:] == [4, 6]
    assert report.trend[-5].hits == 1 and report.trend[-5].by_category == {"harassment": 1}


def test_reach_engagement_and_notable_posts(seeded, config):
    report = build_weekly_report(seeded, config, WEEK)
    harassment = report.reach["harassment"]
    assert harassment.posts == 3 and harassment.followers == 100 + 200 + 300
    assert harassment.engagement == (40 + 3) + (5 + 3) + (1 + 3)
    # Open hits only (the false positive is left out); critical first, then engagement.
    notable = report.notable
    assert notable[0].post_id == "x:4" and notable[0].risk == "critical"
    assert [p.post_id for p in notable[1:3]] == ["x:1", "x:10"]
    assert "x:3" not in {p.post_id for p in notable}
    assert notable[1].engagement.likes == 40 and notable[1].text.startswith("Post number 1")


def test_accounts_are_named_only_where_the_university_has_a_reason(seeded, config):
    seeded.upsert_hits([
        hit(20, Category.impersonation, days=2, author="66", matched_account="@QMUL"),
        hit(21, Category.logo_misuse, days=2, author="66", reference="qmul/crest",
            media_index=-1),
        hit(22, Category.logo_misuse, days=3, author="66", reference="qmul/crest",
            media_index=-1),
        hit(23, Category.logo_misuse, days=3, author="67", reference="qmul/crest",
            status=Status.false_positive),
    ])
    report = build_weekly_report(seeded, config, WEEK)
    names = {name for name, _, _ in report.top_accounts}
    assert "@user11" in names  # escalated
    assert "@user66" in names  # impersonates @QMUL
    assert "@user12" not in names and any(n.startswith("account-") for n in names)
    assert [(i.handle, i.impersonates) for i in report.impersonators] == [("@user66", "@QMUL")]
    # Logo misuse: one row per account, the dismissed hit left out, same names as elsewhere.
    logos = {a.author: a for a in report.logo_accounts}
    assert logos["@user66"].posts == 2 and logos["@user66"].avatar
    assert len(logos["@user66"].hit_ids) == 2
    pseudonyms = [a for a in logos if a.startswith("account-")]
    assert len(pseudonyms) == 1 and pseudonyms[0] in names  # @user14, as in top accounts
    assert all(a.statuses == ["new"] for a in logos.values())


def test_summary_says_what_happened(seeded, config):
    lines = build_weekly_report(seeded, config, WEEK).summary
    assert lines[0] == ("40 posts about Queen Mary University of London made in 2026-W47 were "
                        "read on 2 platforms; 6 of them were flagged (150.0 per 1,000).")
    assert lines[1] == "6 hits were raised, 50% more than the week before (4)."
    assert lines[2].startswith("Most were harassment (3), ")
    assert any("1 hit was critical" in line for line in lines)
    assert lines[-1] == ("1 hit of the week was dismissed by reviewers as false positives or "
                         "whitelisted.")


def test_terms_leave_out_filler_and_the_organisation_and_fold_plurals():
    texts = ["Well, I know someone at QMUL: students are angry about the library",
             "The student union and the library again #QMUL #Library",
             "students students students (counted once in this post)"]
    terms, hashtags = top_terms(texts, ["Queen Mary University of London", "QMUL"])
    counted = dict(terms)
    assert counted["student"] == 3 and "students" not in counted
    assert counted["library"] == 2
    assert not {"well", "know", "someone", "qmul", "queen", "university"} & set(counted)
    assert hashtags == [("#library", 1), ("#qmul", 1)]


def test_bad_week_is_refused():
    with pytest.raises(ValueError, match="use the ISO form"):
        iso_week("2026-47")
    with pytest.raises(ValueError, match="2026 has no week 54"):
        iso_week("2026-W54")


def test_every_table_has_its_csv(seeded, config, tmp_path: Path):
    files = write_report(build_weekly_report(seeded, config, WEEK), tmp_path, pdf=False)
    assert "harassment,3,1,2" in (tmp_path / f"{WEEK}-by_category.csv").read_text()
    daily = (tmp_path / f"{WEEK}-daily.csv").read_text().splitlines()
    assert daily[0] == "day,platform,posts_read,flagged_posts,flagged_per_1000"
    assert f"{START.date().isoformat()},x,4,1,250.0" in daily
    for name in ("trend", "reach", "notable_posts", "impersonators", "logo_misuse"):
        assert name in {p.removeprefix(f"{WEEK}-") for p in files}


def _dom(html: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([*chromium_args(profile), "--dump-dom", html.resolve().as_uri()],
                              check=True, capture_output=True, text=True, timeout=120).stdout


def _bars(dom: str, chart: str) -> Counter[tuple[str, str]]:
    svg = re.search(rf"<svg[^>]*id=\"{chart}\".*?</svg>", dom, re.S)
    assert svg, f"{chart} not drawn"
    bars: Counter[tuple[str, str]] = Counter()
    for rect in re.finditer(r"<rect class=\"bar\"([^>]*)>", svg.group(0)):
        attrs = dict(re.findall(r"([\w-]+)=\"([^\"]*)\"", rect.group(1)))
        bars[(attrs["data-series"], attrs["data-x"])] += int(attrs["data-value"].replace(",", ""))
        # The bar drawn is as tall as its value says (a zero bar has no height).
        assert (float(attrs["height"]) > 0) == (attrs["data-value"] != "0")
    return bars


@pytest.mark.slow
def test_chromium_draws_the_charts_with_the_stores_numbers(seeded, config, tmp_path: Path):
    report = build_weekly_report(seeded, config, WEEK)
    files = write_report(report, tmp_path)
    dom = _dom(files["html"])

    # What the store holds, counted here from the stored hits and posts, not from the report.
    by_day: Counter[tuple[str, str]] = Counter()
    by_category: Counter[tuple[str, str]] = Counter()
    for stored in seeded.iter_hits():
        if START <= stored.post_created_at < END:
            day = stored.post_created_at.strftime("%a %d")
            by_day[(stored.category.value.replace("_", " "), day)] += 1
            by_category[(WEEK, stored.category.value.replace("_", " "))] += 1
    posts: Counter[tuple[str, str]] = Counter(
        (p.platform, p.created_at.strftime("%a %d")) for p in seeded.iter_posts(START, END))
    assert +_bars(dom, "chart-daily") == by_day
    assert +_bars(dom, "chart-volume") == posts
    assert Counter({k: v for k, v in _bars(dom, "chart-by-category").items()
                    if k[0] == WEEK and v}) == by_category
    assert re.search(r"id=\"kpi-hits\">6<", dom) and re.search(r"id=\"kpi-posts\">40<", dom)

    pages = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True,
                           check=True).stdout
    assert "(A4)" in pages
    assert 2 <= int(re.search(r"Pages:\s+(\d+)", pages)[1]) <= 5

    shot = tmp_path / "page.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*chromium_args(profile), "--hide-scrollbars", "--window-size=1000,2400",
                        f"--screenshot={shot}", files["html"].resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert (pixels.sum(axis=2) < 200).sum() > 2000  # dark text on a white page
    red = np.array([int(CATEGORY_COLOURS["harassment"][i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - red).sum(axis=2) < 30).sum() > 500  # harassment bars drawn


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
    assert f"2 hits on posts made in {WEEK}" in good.stderr
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
