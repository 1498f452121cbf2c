"""Renders a WeeklyReport as one self-contained HTML file (charts and thumbnails inline), CSV
files for each table, and a PDF printed from the HTML by headless Chromium. Without Chromium the
HTML and CSVs are still written and the PDF is skipped, with the reason."""

from __future__ import annotations

import base64
import csv
import io
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from pipeline.core.paths import SYSTEM_DEPS_HINT
from pipeline.reporting.report import Change, WeeklyReport, evidence_exists

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CATEGORY_COLOURS = {
    "harassment": "#c0392b", "impersonation": "#8e44ad", "logo_misuse": "#d35400",
    "personal_data": "#2980b9", "confidential": "#16a085", "copyright": "#27ae60",
    "reposted_work": "#7f8c8d", "complaints_legal": "#f39c12", "account_hygiene": "#34495e",
}


# The names Chromium is installed under (Debian, Ubuntu's snap shim, Google's package).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class ReportError(RuntimeError):
    pass


class ReportFiles(dict[str, Path]):
    """The files written, by name ("html", "pdf", one per CSV table); a plain dict to everything
    that reads it. `pdf_skipped` says why a PDF that was asked for is not among them."""

    pdf_skipped: str | None = None


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def charts(report: WeeklyReport) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    categories = [c for c, v in report.by_category.items() if v.this_week or v.last_week]
    figure, axis = plt.subplots(figsize=(8, 3.4))
    positions = range(len(categories))
    axis.bar([p - 0.2 for p in positions], [report.by_category[c].last_week for c in categories],
             width=0.4, label="previous week", color="#bdc3c7")
    axis.bar([p + 0.2 for p in positions], [report.by_category[c].this_week for c in categories],
             width=0.4, label=report.week, color=[CATEGORY_COLOURS.get(c, "#555")
                                                   for c in categories])
    axis.set_xticks(list(positions), [c.replace("_", " ") for c in categories], rotation=20,
                    ha="right")
    axis.set_ylabel("hits")
    axis.set_title("Hits by category, week over week")
    if categories:
        axis.legend(frameon=False)
    out["by_category"] = _png(figure)

    days = list(report.daily)
    figure, axis = plt.subplots(figsize=(8, 3.2))
    bottom = [0] * len(days)
    for category in categories:
        values = [report.daily[d].get(category, 0) for d in days]
        axis.bar([d[5:] for d in days], values, bottom=bottom, label=category.replace("_", " "),
                 color=CATEGORY_COLOURS.get(category, "#555"))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_ylabel("hits")
    axis.set_title("Hits per day")
    if categories:
        axis.legend(frameon=False, fontsize=7, ncol=3)
    out["daily"] = _png(figure)

    platforms = list(report.by_platform)
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.barh(platforms, [report.by_platform[p].this_week for p in platforms], color="#2c3e50")
    left.set_title("By platform")
    risks = [r for r in report.by_risk if report.by_risk[r].this_week]
    right.barh(risks, [report.by_risk[r].this_week for r in risks],
               color=["#7b241c", "#c0392b", "#e67e22", "#f1c40f", "#95a5a6"][:len(risks)])
    right.set_title("By risk")
    figure.tight_layout()
    out["platform_risk"] = _png(figure)
    return out


def _thumbnail(path: str, width: int = 240) -> str | None:
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


def render_html(report: WeeklyReport) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"])
    )
    environment.filters["change"] = _change
    thumbnails = {item.hit_id: _thumbnail(str(item.image_path))
                  for item in report.logo_items if evidence_exists(item)}
    return environment.get_template("weekly_report.html").render(
        report=report, charts=charts(report), thumbnails=thumbnails)


def write_csvs(report: WeeklyReport, out_dir: Path) -> list[Path]:
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "by_category": (["category", "this_week", "last_week", "change"],
                        [[k, v.this_week, v.last_week, v.delta]
                         for k, v in report.by_category.items()]),
        "by_platform": (["platform", "this_week", "last_week", "change"],
                        [[k, v.this_week, v.last_week, v.delta]
                         for k, v in report.by_platform.items()]),
        "by_risk": (["risk", "this_week", "last_week", "change"],
                    [[k, v.this_week, v.last_week, v.delta] for k, v in report.by_risk.items()]),
        "top_accounts": (["account", "platform", "hits"],
                         [list(row) for row in report.top_accounts]),
        "top_terms": (["term", "count"], [list(row) for row in report.top_terms]),
        "top_hashtags": (["hashtag", "count"], [list(row) for row in report.top_hashtags]),
        "false_positive_rate": (["detector", "false_positives", "reviewed", "rate"],
                                [[d, fp, n, round(fp / n, 3) if n else ""]
                                 for d, (fp, n) in report.false_positive_rate.items()]),
        "logo_misuse": (["hit_id", "author", "platform", "reference", "post_url"],
                        [[i.hit_id, i.author, i.platform, i.reference, i.post_url or ""]
                         for i in report.logo_items]),
        "account_hygiene": (["platform", "handle", "owner", "official", "state", "last_post_at",
                             "posts_this_week", "replies_received", "replies_unanswered"],
                            [[a.platform, a.handle, a.owner, a.official, a.state,
                              a.last_post_at.isoformat() if a.last_post_at else "",
                              a.posts_this_week, a.replies_received, a.replies_unanswered]
                             for a in report.hygiene]),
    }
    written = []
    for name, (header, rows) in tables.items():
        path = out_dir / f"{report.week}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
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
    files["pdf"] = pdf_path
    return files
