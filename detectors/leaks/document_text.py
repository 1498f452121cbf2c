"""Text out of the protected-documents folder (txt, md, PDF, DOCX), streamed page by page.

A file that cannot be read (corrupt, encrypted, not what its name says) raises
`UnreadableDocument` with the reason; the caller reports it and goes on with the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

SUFFIXES = (".txt", ".md", ".pdf", ".docx")


class UnreadableDocument(Exception):
    pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_pages(path: Path) -> Iterator[tuple[int, str]]:
    """(page number, text) pairs; txt and DOCX count as pages of about 200 lines/paragraphs."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        yield from _text_pages(path)
    elif suffix == ".pdf":
        yield from _pdf_pages(path)
    elif suffix == ".docx":
        yield from _docx_pages(path)
    else:
        raise UnreadableDocument(f"{path.name}: unsupported file type {suffix!r}")


def _paged(parts: Iterable[str], per_page: int, sep: str) -> Iterator[tuple[int, str]]:
    """Numbered pages of `per_page` parts each, for formats that have no pages of their own."""
    page, chunk = 1, []
    for part in parts:
        chunk.append(part)
        if len(chunk) >= per_page:
            yield page, sep.join(chunk)
            page, chunk = page + 1, []
    if chunk:
        yield page, sep.join(chunk)


def _text_pages(path: Path, lines_per_page: int = 200) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from _paged(handle, lines_per_page, "")
    except OSError as exc:
        raise UnreadableDocument(f"{path.name}: cannot read: {exc.strerror}") from None


def _pdf_pages(path: Path) -> Iterator[tuple[int, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Some PDFs are "encrypted" with an empty user password; anything else is skipped.
            try:
                if not reader.decrypt(""):
                    raise UnreadableDocument(f"{path.name}: encrypted PDF (needs a password)")
            except (NotImplementedError, PdfReadError) as exc:
                raise UnreadableDocument(f"{path.name}: encrypted PDF: {exc}") from None
        for number, page in enumerate(reader.pages, start=1):
            yield number, page.extract_text() or ""
    except UnreadableDocument:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableDocument(f"{path.name}: not a readable PDF: {exc}") from None


def _docx_pages(path: Path, paragraphs_per_page: int = 200) -> Iterator[tuple[int, str]]:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableDocument(f"{path.name}: not a readable DOCX: {exc}") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        paragraphs.extend(cell.text for row in table.rows for cell in row.cells)
    yield from _paged(paragraphs, paragraphs_per_page, "\n")
