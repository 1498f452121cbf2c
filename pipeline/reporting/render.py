"""Renders a WeeklyReport as one self-contained HTML file (SVG charts and thumbnails inline), a
CSV file for each table, and an A4 PDF printed from the HTML by headless Chromium. Without
Chromium the HTML and CSVs are still written and the PDF is skipped, with the reason."""

from __future__ import annotations

import base64
import csv
import io
import logging
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from pipeline.core.files import FILE_MODE
from pipeline.core.paths import SYSTEM_DEPS_HINT
from pipeline.reporting.charts import Series, bar_chart, horizontal_bars
from pipeline.reporting.report import Change, Volume, WeeklyReport

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CATEGORY_COLOURS = {
    "harassment": "#c0392b", "impersonation": "#8e44ad", "logo_misuse": "#d35400",
    "personal_data": "#2980b9", "confidential": "#16a085", "copyright": "#27ae60",
    "reposted_work": "#7f8c8d", "complaints_legal": "#f39c12", "account_hygiene": "#34495e",
}
PLATFORM_COLOURS = {"x": "#1f2d3d", "reddit": "#e0592a", "bluesky": "#1185fe",
                    "mastodon": "#6364ff"}
RISK_COLOURS = {"critical": "#7b241c", "high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f",
                "info": "#95a5a6"}
PREVIOUS_COLOUR = "#bdc3c7"
THIS_COLOUR = "#1f3a5f"
RATE_COLOUR = "#117a65"


# The names Chromium is installed under (Debian, Ubuntu's snap shim, Google's package).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class ReportError(RuntimeError):
    pass


class ReportFiles(dict[str, Path]):
    """The files written, by name ("html", "pdf", one per CSV table); a plain dict to everything
    that reads it. `pdf_skipped` says why a PDF that was asked for is not among them."""

    pdf_skipped: str | None = None


def _day_label(day: str) -> str:
    return datetime.strptime(day, "%Y-%m-%d").strftime("%a %d")


def charts(report: WeeklyReport) -> dict[str, str]:
    """Inline SVG for each chart, by name."""
    out: dict[str, str] = {}
    categories = [c for c, v in report.by_category.items() if v.this_week or v.last_week]
    labels = [c.replace("_", " ") for c in categories]
    out["by_category"] = bar_chart(
        "chart-by-category", "Hits by category, this week and the week before", labels,
        [Series("previous week", [report.by_category[c].last_week for c in categories],
                PREVIOUS_COLOUR),
         Series(report.week, [report.by_category[c].this_week for c in categories], THIS_COLOUR)],
    )
    days = list(report.daily)
    week_days = [d for d in days if report.start.date().isoformat() <= d < report.end.date()
                 .isoformat()]
    shown = [c for c in categories if any(report.daily[d].get(c) for d in week_days)]
    rates = []
    for day in week_days:
        cells = report.volumes.get(day, {}).values()
        rates.append(Volume(sum(c.posts for c in cells), sum(c.hits for c in cells)).rate or 0.0)
    out["daily"] = bar_chart(
        "chart-daily", "Hits per day, by the day the posts were made",
        [_day_label(d) for d in week_days],
        [Series(c.replace("_", " "), [report.daily[d].get(c, 0) for d in week_days],
                CATEGORY_COLOURS.get(c, "#555")) for c in shown],
        stacked=True, line=Series("flagged per 1,000 posts", rates, RATE_COLOUR)
        if any(rates) else None, line_label="per 1,000 posts",
    )
    platforms = list(report.platform_volume)
    out["volume"] = bar_chart(
        "chart-volume", "Posts read per day, by platform", [_day_label(d) for d in week_days],
        [Series(p, [report.volumes.get(d, {}).get(p, Volume()).posts for d in week_days],
                PLATFORM_COLOURS.get(p, "#555")) for p in platforms],
        stacked=True, y_label="posts",
    )
    trend_categories = [c for c in CATEGORY_COLOURS
                        if any(w.by_category.get(c) for w in report.trend)]
    out["trend"] = bar_chart(
        "chart-trend", f"Hits per week, the last {len(report.trend)} weeks (by post date)",
        [w.week[5:] for w in report.trend],
        [Series(c.replace("_", " "), [w.by_category.get(c, 0) for w in report.trend],
                CATEGORY_COLOURS[c]) for c in trend_categories],
        stacked=True,
        line=Series("flagged per 1,000 posts", [w.rate or 0.0 for w in report.trend],
                    RATE_COLOUR) if any(w.posts for w in report.trend) else None,
        line_label="per 1,000 posts",
    )
    out["platform"] = horizontal_bars(
        "chart-platform", "Hits by platform",
        [(p, c.this_week, PLATFORM_COLOURS.get(p, "#2c3e50"))
         for p, c in report.by_platform.items() if c.this_week])
    out["risk"] = horizontal_bars(
        "chart-risk", "Hits by risk",
        [(r, c.this_week, RISK_COLOURS[r]) for r, c in report.by_risk.items() if c.this_week])
    return out


def _thumbnail(path: str, width: int = 200) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.thumbnail((width, width))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
    except OSError as exc:
        log.warning("no thumbnail for %s: %s", path, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _change(change: Change) -> str:
    if change.percent is None:
        return "new" if change.this_week else "–"
    sign = "+" if change.delta > 0 else ""
    return f"{sign}{change.delta} ({sign}{change.percent:.0f}%)"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def render_html(report: WeeklyReport) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"])
    )
    environment.filters["change"] = _change
    environment.filters["rate"] = _rate
    environment.filters["day"] = _day_label
    thumbnails = {item.hit_ids[0]: _thumbnail(item.image_path)
                  for item in report.logo_accounts if item.image_path}
    return environment.get_template("weekly_report.html").render(
        report=report, charts={k: Markup(v) for k, v in charts(report).items()},
        thumbnails=thumbnails, colours=CATEGORY_COLOURS)


def _tables(report: WeeklyReport) -> dict[str, tuple[list[str], list[list[object]]]]:
    def change_rows(values: dict[str, Change]) -> list[list[object]]:
        return [[k, v.this_week, v.last_week, v.delta] for k, v in values.items()]

    categories = [c for c, v in report.by_category.items() if v.this_week or v.last_week]
    return {
        "by_category": (["category", "this_week", "last_week", "change"],
                        change_rows(report.by_category)),
        "by_platform": (["platform", "this_week", "last_week", "change"],
                        change_rows(report.by_platform)),
        "by_risk": (["risk", "this_week", "last_week", "change"], change_rows(report.by_risk)),
        "daily": (["day", "platform", "posts_read", "flagged_posts", "flagged_per_1000"],
                  [[day, platform, v.posts, v.hits, round(v.rate, 2) if v.rate is not None
                    else ""] for day, cells in report.volumes.items()
                   for platform, v in cells.items()]),
        "daily_by_category": (["day", *categories],
                              [[day, *[counts.get(c, 0) for c in categories]]
                               for day, counts in report.daily.items()]),
        "trend": (["week", "posts_read", "hits", "hits_per_1000", *CATEGORY_COLOURS],
                  [[w.week, w.posts, w.hits, round(w.rate, 2) if w.rate is not None else "",
                    *[w.by_category.get(c, 0) for c in CATEGORY_COLOURS]]
                   for w in report.trend]),
        "reach": (["category", "flagged_posts", "author_followers", "engagement", "shares",
                   "views"],
                  [[c, r.posts, r.followers, r.engagement, r.shares, r.views]
                   for c, r in report.reach.items()]),
        "notable_posts": (["post_id", "posted_at", "platform", "author", "categories", "risk",
                           "status", "likes", "shares", "replies", "followers", "text", "url",
                           "hit_ids"],
                          [[p.post_id, p.posted_at.isoformat(), p.platform, p.author,
                            " ".join(p.categories), p.risk, p.status, p.engagement.likes,
                            p.engagement.shares, p.engagement.replies, p.followers or "",
                            p.text, p.url or "", " ".join(p.hit_ids)] for p in report.notable]),
        "impersonators": (["platform", "handle", "display_name", "impersonates", "risk",
                           "status", "hit_id", "url"],
                          [[i.platform, i.handle, i.display_name or "", i.impersonates, i.risk,
                            i.status, i.hit_id, i.url or ""] for i in report.impersonators]),
        "top_accounts": (["account", "platform", "hits"],
                         [list(row) for row in report.top_accounts]),
        "top_terms": (["term", "posts"], [list(row) for row in report.top_terms]),
        "top_hashtags": (["hashtag", "posts"], [list(row) for row in report.top_hashtags]),
        "false_positive_rate": (["detector", "false_positives", "reviewed", "rate"],
                                [[d, fp, n, round(fp / n, 3) if n else ""]
                                 for d, (fp, n) in report.false_positive_rate.items()]),
        "logo_misuse": (["platform", "account", "posts", "references", "avatar", "risk",
                         "statuses", "hit_ids", "post_url"],
                        [[a.platform, a.author, a.posts, " ".join(a.references), a.avatar,
                          a.risk, " ".join(a.statuses), " ".join(a.hit_ids), a.post_url or ""]
                         for a in report.logo_accounts]),
        "account_hygiene": (["platform", "handle", "owner", "official", "state", "last_post_at",
                             "posts_this_week", "replies_received", "replies_unanswered"],
                            [[a.platform, a.handle, a.owner, a.official, a.state,
                              a.last_post_at.isoformat() if a.last_post_at else "",
                              a.posts_this_week, a.replies_received, a.replies_unanswered]
                             for a in report.hygiene]),
    }


def write_csvs(report: WeeklyReport, out_dir: Path) -> list[Path]:
    written = []
    for name, (header, rows) in _tables(report).items():
        path = out_dir / f"{report.week}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        path.chmod(FILE_MODE)
        written.append(path)
    return written


def find_chromium() -> str | None:
    """The first Chromium on PATH, or None."""
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def chromium() -> str:
    if found := find_chromium():
        return found
    raise ReportError(f"chromium not found to print the PDF; {SYSTEM_DEPS_HINT}")


def chromium_args(profile: str) -> list[str]:
    # A fresh profile and no background networking: the browser only renders the local file.
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-quic", f"--user-data-dir={profile}"]


def print_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120) -> None:
    """Chromium prints the HTML; a Chromium that fails or hangs is one ReportError, not a
    traceback (the HTML and CSVs are already written by then)."""
    with tempfile.TemporaryDirectory() as profile:
        try:
            subprocess.run(
                [*chromium_args(profile), "--no-pdf-header-footer",
                 f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()],
                check=True, capture_output=True, timeout=timeout,
            )
        except subprocess.CalledProcessError as exc:
            stderr = exc.stderr.decode(errors="replace").strip()[-300:] if exc.stderr else ""
            raise ReportError(f"Chromium failed printing the PDF (exit {exc.returncode})"
                              + (f": {stderr}" if stderr else "")) from exc
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"Chromium took longer than {timeout:g} s printing the PDF") from exc
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise ReportError(f"Chromium wrote no PDF to {pdf_path}")


def write_report(report: WeeklyReport, out_dir: Path, *, pdf: bool = True) -> ReportFiles:
    """HTML and CSVs always; the PDF when asked for and Chromium is installed. A machine without
    Chromium (no system packages) still gets the report, with `pdf_skipped` saying why."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"crestwatch-{report.week}.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    # Owner-only, like every file the project writes: the report quotes (masked) posts and
    # names impersonating accounts; it is shared by mail, not by folder permissions.
    html_path.chmod(FILE_MODE)
    files = ReportFiles(html=html_path)
    for path in write_csvs(report, out_dir):
        files[path.stem] = path
    if not pdf:
        return files
    if find_chromium() is None:
        files.pdf_skipped = f"PDF skipped: chromium not found; {SYSTEM_DEPS_HINT}"
        log.info("%s", files.pdf_skipped)
        return files
    pdf_path = out_dir / f"crestwatch-{report.week}.pdf"
    print_pdf(html_path, pdf_path)
    pdf_path.chmod(FILE_MODE)
    files["pdf"] = pdf_path
    return files
