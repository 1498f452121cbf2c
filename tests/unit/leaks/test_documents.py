"""Protected documents: fingerprinting a folder, bad files, the on-disk cache, big files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.leaks.documents import DocumentIndex, DocumentsDetector
from pipeline.core.config import OrgConfig
from tests.factories import make_post
from tests.unit.leaks.conftest import LEAK_DATA

MEMO_QUOTE = (
    "the University proposes to close the undergraduate programme in Astrophysics from "
    "September 2027 and to reduce academic staffing in the School by eighteen posts"
)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "documents"
    shutil.copytree(LEAK_DATA / "documents", target)
    return target


def _detector(config: OrgConfig, folder: Path, data: Path) -> DocumentsDetector:
    cfg = config.model_copy(update={"protected_documents": folder, "data_dir": data}, deep=True)
    detector = DocumentsDetector(cfg)
    detector.ensure_loaded()
    return detector


def test_match_names_document_page_and_passage(
    leak_config: OrgConfig, folder: Path, tmp_path: Path
) -> None:
    detector = _detector(leak_config, folder, tmp_path / "data")
    (finding,) = detector.detect([make_post(1, text=f"look: {MEMO_QUOTE} lol")])
    assert finding.evidence["reference"] == "memo-spcs-restructure.txt"
    assert finding.evidence["page"] == 1
    assert "Astrophysics" in finding.evidence["passage"]
    assert finding.evidence["containment"] >= 0.9
    span = finding.evidence["spans"][0]
    assert "University proposes" in span["text"] and span["in"] == "text"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated"),
        ("broken.docx", b"PK\x03\x04 this is not a real zip archive"),
        ("empty.pdf", b""),
    ],
)
def test_corrupt_files_are_reported_and_skipped(
    leak_config: OrgConfig, folder: Path, tmp_path: Path, name: str, content: bytes
) -> None:
    (folder / name).write_bytes(content)
    detector = _detector(leak_config, folder, tmp_path / "data")
    assert detector.index is not None
    assert any(name in problem for problem in detector.index.skipped)
    # The rest of the folder still matches.
    assert detector.detect([make_post(1, text=MEMO_QUOTE)])


def test_encrypted_pdf_is_reported_and_skipped(
    leak_config: OrgConfig, folder: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader, PdfWriter

    source = folder / "teaching" / "ecs401-lecture07-recursion.pdf"
    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret-owner-only", algorithm="RC4-128")
    with (folder / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    detector = _detector(leak_config, folder, tmp_path / "data")
    assert detector.index is not None
    assert any("locked.pdf" in p and "encrypted" in p for p in detector.index.skipped)
    assert not any(p.document == "locked.pdf" for p in detector.index.passages)


def test_index_is_cached_by_file_hashes(
    leak_config: OrgConfig, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    _detector(leak_config, folder, data)
    assert list((data / "cache" / "documents").glob("*.npy"))

    def no_rebuild(cls: type, folder: Path) -> DocumentIndex:
        raise AssertionError("an unchanged folder must come from the cache")

    with monkeypatch.context() as patch:
        patch.setattr(DocumentIndex, "build", classmethod(no_rebuild))
        cached = _detector(leak_config, folder, data)
        assert cached.detect([make_post(1, text=MEMO_QUOTE)])

    # A changed file changes the key: the new wording matches, the old one no longer does.
    memo = folder / "memo-spcs-restructure.txt"
    memo.write_text(
        "Minutes of the estates group. The Queens' Building roof will be replaced over the summer "
        "vacation and the Great Hall will close for six weeks while scaffolding is in place.",
        encoding="utf-8",
    )
    changed = _detector(leak_config, folder, data)
    assert not changed.detect([make_post(1, text=MEMO_QUOTE)])
    assert changed.detect(
        [
            make_post(
                2,
                text=(
                    "The Queens' Building roof will be replaced over the summer vacation "
                    "and the Great Hall will close for six weeks"
                ),
            )
        ]
    )


def test_large_text_documents_are_read_page_by_page(leak_config: OrgConfig, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    filler = "Routine paragraph {n} about timetabling rooms and booking lecture theatres.\n"
    secret = (
        "The board agreed in private session to sell the Whitechapel student residence to a "
        "private developer for sixty one million pounds before the end of the financial year.\n"
    )
    with (folder / "board-minutes.txt").open("w", encoding="utf-8") as handle:
        for n in range(5000):
            handle.write(filler.format(n=n))
            if n == 4500:
                handle.write(secret)
    detector = _detector(leak_config, folder, tmp_path / "data")
    (finding,) = detector.detect([make_post(1, text="wow: " + secret)])
    assert finding.evidence["reference"] == "board-minutes.txt"
    assert finding.evidence["page"] == 4501 // 200 + 1


def test_no_folder_means_no_findings(leak_config: OrgConfig, tmp_path: Path) -> None:
    detector = _detector(leak_config, tmp_path / "missing", tmp_path / "data")
    assert detector.index is None
    assert detector.detect([make_post(1, text=MEMO_QUOTE)]) == []


@pytest.fixture(scope="module")
def memo_index(tmp_path_factory: pytest.TempPathFactory) -> DocumentIndex:
    folder = tmp_path_factory.mktemp("documents")
    shutil.copytree(LEAK_DATA / "documents", folder, dirs_exist_ok=True)
    return DocumentIndex.build(folder)


_MEMO_WORDS = MEMO_QUOTE.split()
_OTHER_WORDS = "the of and to students campus library exam lol tonight please share".split()


_EDITS = st.lists(st.tuples(st.integers(0, len(_MEMO_WORDS) - 1),
                            st.sampled_from([*_OTHER_WORDS, ""])), max_size=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS, prefix=st.lists(st.sampled_from(_OTHER_WORDS), max_size=20),
       cut=st.integers(6, len(_MEMO_WORDS)))
def test_the_3gram_lookup_drops_no_match(memo_index: DocumentIndex, edits: list[tuple[int, str]],
                                         prefix: list[str], cut: int) -> None:
    """A quote cut short, with words replaced or deleted and text around it: the index finds
    what it finds with the lookup made to pass every 3-gram."""
    words = list(_MEMO_WORDS[:cut])
    for at, word in edits:
        if at < len(words):
            words[at] = word
    text = " ".join([*prefix, *(w for w in words if w), *prefix[:3]])
    found = memo_index.match(text, min_containment=0.5)
    everything = memo_index._known
    try:
        memo_index._known = lambda shingles: set(shingles)  # type: ignore[method-assign]
        unfiltered = memo_index.match(text, min_containment=0.5)
    finally:
        memo_index._known = everything  # type: ignore[method-assign]
    assert found == unfiltered


def test_a_post_sharing_no_3_gram_with_the_documents_never_reaches_lsh(
        memo_index: DocumentIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    monkeypatch.setattr(memo_index, "_candidates", lambda minhash: asked.append(minhash) or [])
    assert memo_index.match(" ".join(_OTHER_WORDS * 3), min_containment=0.5) == []
    assert asked == []
    memo_index.match(MEMO_QUOTE, min_containment=0.5)
    assert asked  # the quote itself goes on to LSH
