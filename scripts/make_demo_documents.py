"""Write the demo's protected documents (config key protected_documents) into config/documents/.

Invented University documents that the confidential-material detectors compare posts against:
an exam paper (text and PDF), lecture notes (DOCX), a confidential memo (PDF), a Senate paper
(text) and an embargoed press release (text). PDFs get a real text layer (fpdf2 with an embedded
DejaVu font), so text extraction reads them back. Dates inside the files are fixed, so reruns
produce the same documents.

    .venv/bin/python scripts/make_demo_documents.py
"""

from __future__ import annotations

import logging
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import demo_document_texts as texts
from _drawing import FONT_DIR, PROJECT_ROOT
from docx import Document
from docx.shared import Pt
from fpdf import FPDF

log = logging.getLogger("make_demo_documents")

DOCUMENTS_DIR = PROJECT_ROOT / "config" / "documents"
FIXED_DATE = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


def write_pdf(path: Path, title: str, body: str, *, banner: str | None = None) -> None:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("Queen Mary University of London")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    if banner:
        pdf.set_font("DejaVu", "B", 12)
        pdf.set_text_color(170, 0, 0)
        pdf.cell(0, 8, banner, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
    pdf.set_font("DejaVu", "", 10.5)
    for paragraph in body.split("\n\n"):
        # A paragraph keeps its own line breaks (headers, addresses); wrapped text flows.
        lines = paragraph.splitlines()
        if lines and (lines[0].startswith("Question") or lines[0][:2].rstrip(".").isdigit()):
            pdf.set_font("DejaVu", "B", 10.5)
            pdf.multi_cell(0, 5.5, lines[0], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10.5)
            lines = lines[1:]
        if lines:
            pdf.multi_cell(0, 5.5, _reflow(lines), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))


def _reflow(lines: list[str]) -> str:
    """Join the source's hard-wrapped lines (long ones) so the PDF wraps them to its own width."""
    out: list[str] = []
    for line in lines:
        if out and len(out[-1].rsplit("\n", 1)[-1]) >= 85 and not line.startswith("("):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def write_docx(path: Path, blocks: list[tuple[str, str]]) -> None:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    for kind, text in blocks:
        if kind == "heading":
            document.add_heading(text, level=1)
        elif kind == "subheading":
            document.add_heading(text, level=2)
        else:
            document.add_paragraph(text)
    props = document.core_properties
    props.title = texts.LECTURE_TITLE
    props.author = "Dr Priya Venkataraman"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_modified_by = "Dr Priya Venkataraman"
    props.revision = 1
    document.save(str(path))
    _fix_zip_dates(path)


def _fix_zip_dates(path: Path) -> None:
    """A DOCX is a zip whose entries carry the time of saving; fix them so reruns match."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(
                zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6]),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def main() -> None:
    # Only this script's progress lines: font subsetting logs a great deal at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    DOCUMENTS_DIR.mkdir(parents=True, exist_ok=True)
    outputs = {
        "ECS401U-exam-paper-2027.txt": lambda p: p.write_text(texts.EXAM_PAPER, encoding="utf-8"),
        "ECS401U-exam-paper-2027.pdf": lambda p: write_pdf(p, texts.EXAM_TITLE, texts.EXAM_PAPER),
        "SPA5219-lecture-07-hydrogen-atom.docx": lambda p: write_docx(p, texts.LECTURE_NOTES),
        "COO-memo-estates-restructuring.pdf": lambda p: write_pdf(
            p, texts.MEMO_TITLE, texts.MEMO, banner="STRICTLY CONFIDENTIAL"
        ),
        "Senate-SEN-2026-41-degree-classification.txt": lambda p: p.write_text(
            texts.SENATE_PAPER, encoding="utf-8"
        ),
        "press-release-embargoed-pancreatic-test.txt": lambda p: p.write_text(
            texts.EMBARGO_RELEASE, encoding="utf-8"
        ),
    }
    for name, write in outputs.items():
        path = DOCUMENTS_DIR / name
        write(path)
        log.info("wrote %s (%d bytes)", path.relative_to(PROJECT_ROOT), path.stat().st_size)


if __name__ == "__main__":
    main()
