"""Protected documents: posts (and text read from their images) that copy passages of the
University's own documents: exam papers, lecture notes, internal memos, committee papers.

`load()` fingerprints every txt, md, PDF and DOCX file under the configured folder
(``protected_documents``): overlapping passages of words, each a MinHash of its word 3-grams,
indexed with MinHash LSH at a low threshold, so a short post quoting one sentence still finds its
passage; every candidate is then checked exactly, by how much of the quote the passage contains.
Before any of that, a window is looked up in the set of every 3-gram the documents hold: a window
with fewer than `min_containment` of its 3-grams there cannot match any passage, and most posts
stop at that lookup. The index is cached under ``<data>/cache/documents/``, keyed by the files'
hashes, so an unchanged folder is not read again; an unreadable file is reported and skipped.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from detectors.base import Detector, DetectorOptions
from detectors.leaks.document_text import (
    SUFFIXES,
    UnreadableDocument,
    document_pages,
    file_sha256,
)
from pipeline.core.config import DetectorSettings, OrgConfig
from pipeline.core.files import atomic_write
from pipeline.core.models import Category, Finding, Post

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
NUM_PERM = 128
PASSAGE_WORDS, PASSAGE_STRIDE = 30, 15
# Jaccard threshold for candidates: a 15-word quote inside a 30-word passage is about 0.3.
LSH_JACCARD = 0.2
# Long windows catch long copies; short ones a single quoted sentence inside a longer post.
# A short window must share about nine words in a row with a passage to reach the threshold,
# and its evidence counts for less than a long one's.
QUERY_WINDOWS = ((30, 10, 1.0), (15, 5, 0.85))  # (words, stride, weight)
MIN_QUERY_WORDS = 10
# Bump when passages or hashing change, so old caches are not reused.
INDEX_VERSION = 3
# File or folder names that mark an exam paper ("Council paper" is not one).
_EXAM_HINTS = ("exam", "test-paper", "assessment", "quiz", "mock-paper")
_COPYRIGHT_HINTS = (
    "lecture",
    "teaching",
    "course",
    "module",
    "slides",
    "notes",
    "handout",
    "reading",
)


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _shingles(words: Sequence[str]) -> set[str]:
    if len(words) < 3:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def _gram_hashes(shingles: Iterable[str]) -> np.ndarray:
    """64-bit hashes of 3-grams, stable across processes (the set of them is cached)."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
         for s in shingles), dtype=np.uint64)


@cache
def _scheme_kwargs() -> dict[str, str]:
    """datasketch 2 asks which hashing scheme cached values came from; 1.x has only one."""
    import inspect

    from datasketch import MinHash

    return {"scheme": "affine32"} if "scheme" in inspect.signature(MinHash).parameters else {}


def _minhash(shingles: set[str], hashvalues: np.ndarray | None = None) -> MinHash:
    from datasketch import MinHash

    if hashvalues is not None:
        return MinHash(num_perm=NUM_PERM, hashvalues=hashvalues, **_scheme_kwargs())
    return next(_minhashes([shingles]))


def _minhashes(shingle_sets: Iterable[set[str]]) -> Iterator[MinHash]:
    """One MinHash per set of shingles. The permutations are drawn once for all of them
    (datasketch's generator copies one MinHash): drawn per MinHash they were most of the
    detector's time, for the same values."""
    from datasketch import MinHash

    return MinHash.generator(([s.encode() for s in shingles] for shingles in shingle_sets),
                             num_perm=NUM_PERM, **_scheme_kwargs())


@dataclass
class Passage:
    document: str  # path relative to the folder
    page: int
    text: str


@dataclass
class Match:
    passage: Passage
    containment: float
    start: int
    end: int
    weight: float = 1.0

    @property
    def score(self) -> float:
        return self.containment * self.weight


class DocumentIndex:
    """Passages of a folder's documents and their MinHash LSH.

    LSH finds candidate passages by Jaccard similarity with a low threshold (a quoted sentence
    is a small set beside a passage); each candidate is then checked exactly, by the share of
    the query's word 3-grams found in the passage (containment)."""

    def __init__(self, passages: list[Passage], hashvalues: np.ndarray, skipped: list[str],
                 grams: np.ndarray | None = None) -> None:
        self.passages = passages
        self.hashvalues = hashvalues
        self.skipped = skipped
        # Every 3-gram of every passage, hashed and sorted: a window with too few of its
        # 3-grams here matches no passage, whatever LSH would say (the lookup is exact).
        self.grams = grams if grams is not None else np.unique(np.concatenate(
            [np.zeros(0, np.uint64)]
            + [_gram_hashes(self._passage_shingles(i)) for i in range(len(passages))]))
        # Built at the first window that gets past the 3-gram lookup: most runs never need it,
        # and datasketch's LSH module takes most of a second to import (it imports SciPy).
        self._lsh: MinHashLSH | None = None
        # A passage found again and again (a document quoted by many posts, windows of one
        # post overlapping) is split into shingles once; bounded, as the folder may be large.
        self.passage_shingles = lru_cache(maxsize=4096)(self._passage_shingles)

    def _candidates(self, minhash: MinHash) -> list[int]:
        """The passages LSH finds for a window's MinHash."""
        if self._lsh is None:
            from datasketch import LeanMinHash, MinHashLSH

            lsh = MinHashLSH(threshold=LSH_JACCARD, num_perm=NUM_PERM)
            with lsh.insertion_session() as session:
                for i in range(len(self.passages)):
                    mh = LeanMinHash(seed=1, hashvalues=self.hashvalues[i], **_scheme_kwargs())
                    session.insert(i, mh, check_duplication=False)
            self._lsh = lsh
        return list(self._lsh.query(minhash))

    def _passage_shingles(self, i: int) -> set[str]:
        return _shingles([w.group(0).lower() for w in _words(self.passages[i].text)])

    # -- building ----------------------------------------------------------------------

    @classmethod
    def build(cls, folder: Path) -> DocumentIndex:
        passages: list[Passage] = []
        rows: list[np.ndarray] = []
        skipped: list[str] = []
        for path in _document_files(folder):
            rel = str(path.relative_to(folder))
            try:
                found = list(_passages(path, rel))
                passages += found
                rows += [mh.hashvalues for mh in _minhashes(
                    _shingles([w.group(0).lower() for w in _words(p.text)]) for p in found)]
            except UnreadableDocument as exc:
                log.warning("protected documents: skipped %s", exc)
                skipped.append(str(exc))
                passages = [p for p in passages if p.document != rel]
                rows = rows[: len(passages)]
        values = np.vstack(rows) if rows else np.zeros((0, NUM_PERM), dtype=np.uint64)
        return cls(passages, values, skipped)

    @classmethod
    def load_or_build(cls, folder: Path, cache_dir: Path) -> DocumentIndex:
        key = _folder_key(folder)
        meta_path, values_path = cache_dir / f"{key}.json", cache_dir / f"{key}.npy"
        grams_path = cache_dir / f"{key}.grams.npy"
        if meta_path.exists() and values_path.exists() and grams_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                values = np.load(values_path, allow_pickle=False)
                grams = np.load(grams_path, allow_pickle=False)
                passages = [Passage(**p) for p in meta["passages"]]
                if len(passages) == len(values) and grams.dtype == np.uint64:
                    log.info("protected documents: %d passages from cache %s", len(passages), key)
                    return cls(passages, values, meta.get("skipped", []), grams)
            except (ValueError, KeyError, TypeError, OSError) as exc:
                log.warning("protected documents: cache %s unusable (%s); rebuilding", key, exc)
        index = cls.build(folder)
        meta = {"passages": [p.__dict__ for p in index.passages], "skipped": index.skipped}
        # The arrays first: a reader takes the cache only once the meta file is there too.
        atomic_write(values_path, lambda h: np.save(h, index.hashvalues, allow_pickle=False))
        atomic_write(grams_path, lambda h: np.save(h, index.grams, allow_pickle=False))
        atomic_write(meta_path, lambda h: h.write(json.dumps(meta).encode("utf-8")))
        return index

    # -- matching ------------------------------------------------------------------------

    def match(self, text: str, *, min_containment: float) -> list[Match]:
        """The best-matching passage per document for windows of `text`."""
        if not self.passages:
            return []
        words = _words(text)
        if len(words) < MIN_QUERY_WORDS:
            return []
        best: dict[str, Match] = {}
        lowered = [w.group(0).lower() for w in words]
        known = self._known(_shingles(lowered))
        if len(known) < min_containment * (MIN_QUERY_WORDS - 2):
            return []  # no window can have enough of its 3-grams in any passage
        queries = []
        for size, stride, weight in QUERY_WINDOWS:
            for start, window in _windows(words, size, stride):
                shingles = _shingles(lowered[start : start + size])
                if (len(shingles) >= MIN_QUERY_WORDS - 2
                        and len(shingles & known) >= min_containment * len(shingles)):
                    queries.append((window, shingles, weight))
        for (window, shingles, weight), minhash in zip(
                queries, _minhashes(q[1] for q in queries), strict=True):
            for i in self._candidates(minhash):
                containment = len(shingles & self.passage_shingles(i)) / len(shingles)
                if containment < min_containment:
                    continue
                found = Match(
                    self.passages[i], containment, window[0].start(), window[-1].end(), weight
                )
                current = best.get(found.passage.document)
                if current is None or found.score > current.score:
                    best[found.passage.document] = found
        return sorted(best.values(), key=lambda m: -m.score)

    def _known(self, shingles: set[str]) -> set[str]:
        """Those of `shingles` that some passage has (up to a 64-bit hash collision, which can
        only let a window through to the exact check)."""
        if not len(self.grams):
            return set()
        ordered = list(shingles)
        hashes = _gram_hashes(ordered)
        at = np.searchsorted(self.grams, hashes)
        found = (at < len(self.grams)) & (self.grams[np.minimum(at, len(self.grams) - 1)]
                                          == hashes)
        return {s for s, hit in zip(ordered, found.tolist(), strict=True) if hit}


def _windows(words: list[re.Match[str]], size: int,
             stride: int) -> Iterator[tuple[int, list[re.Match[str]]]]:
    last = max(0, len(words) - size)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    for start in starts:
        yield start, words[start : start + size]


def _document_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
            yield path


def _folder_key(folder: Path) -> str:
    # The installed version, read without importing the package (see DocumentIndex._lsh).
    datasketch_version = importlib.metadata.version("datasketch")
    params = f"v{INDEX_VERSION}:{datasketch_version}:{NUM_PERM}:{PASSAGE_WORDS}:{PASSAGE_STRIDE}"
    digest = hashlib.sha256(params.encode())
    for path in _document_files(folder):
        digest.update(f"{path.relative_to(folder)}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()[:24]


def _passages(path: Path, rel: str) -> Iterator[Passage]:
    """Overlapping windows of words, page by page, so a large document is never held whole."""
    for page, text in document_pages(path):
        words = _words(text)
        if len(words) < MIN_QUERY_WORDS:
            continue
        last = max(0, len(words) - PASSAGE_WORDS)
        starts = list(range(0, last + 1, PASSAGE_STRIDE))
        if starts[-1] != last:
            starts.append(last)
        for start in starts:
            window = words[start : start + PASSAGE_WORDS]
            yield Passage(rel, page, text[window[0].start() : window[-1].end()])


def _is_exam(document: str) -> bool:
    return any(h in document.lower() for h in _EXAM_HINTS)


def _category(document: str) -> Category:
    """Exam papers and memos are confidential; lecture notes and slides are copyright."""
    lowered = document.lower()
    if _is_exam(lowered):
        return Category.confidential
    return (
        Category.copyright if any(h in lowered for h in _COPYRIGHT_HINTS) else Category.confidential
    )


class DocumentsOptions(DetectorOptions):
    # Share of a quoted passage's words that must match a protected document.
    min_containment: float = Field(default=0.5, gt=0.0, le=1.0)
    # Instead of the organisation's `protected_documents`.
    folder: Path | None = None


class DocumentsDetector(Detector):
    name = "documents"
    categories = (Category.confidential, Category.copyright)
    Options = DocumentsOptions
    options: DocumentsOptions

    def __init__(self, config: OrgConfig, settings: DetectorSettings | None = None) -> None:
        super().__init__(config, settings)
        self.index: DocumentIndex | None = None
        self.min_containment = self.options.min_containment

    def load(self) -> None:
        folder_setting = self.options.folder or self.config.protected_documents
        folder = self.config.resolve(folder_setting) if folder_setting else None
        if folder is None or not folder.is_dir():
            log.info("protected documents: no folder configured or found (%s)", folder)
            self.index = None
        else:
            cache = self.config.data_path() / "cache" / "documents"
            self.index = DocumentIndex.load_or_build(folder, cache)
            for problem in self.index.skipped:
                log.warning("protected documents: skipped %s", problem)
        self._loaded = True

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        if self.index is None:
            return []
        findings = []
        for post in posts:
            matches = self.index.match(post.all_text(), min_containment=self.min_containment)
            if not matches:
                continue
            findings.append(self._finding(post, matches, _category(matches[0].passage.document)))
            if _is_exam(matches[0].passage.document):
                # An unreleased exam paper is both confidential and the University's teaching
                # material: two breaches of the guidance, reviewed by different people.
                findings.append(self._finding(post, matches, Category.copyright))
        return findings

    def _finding(self, post: Post, matches: list[Match], category: Category) -> Finding:
        top = matches[0]
        score = round(min(0.99, top.score), 3)
        in_image = top.start >= len(post.text)
        excerpt = top.passage.text[:240]
        if _is_exam(top.passage.document):
            what = "an exam paper"
        elif category is Category.copyright:
            what = "University teaching material"
        else:
            what = "a protected University document"
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=category,
            signals=[] if category is Category.copyright else ["confidential_document"],
            score=score,
            explanation=(
                f"{'Text in an attached image' if in_image else 'Post text'} copies {what}: "
                f"{top.passage.document}, page {top.passage.page} "
                f"({top.containment:.0%} of the quoted words match)."
            ),
            evidence={
                "labels": ["document_match"]
                + (["exam_paper"] if _is_exam(top.passage.document) else []),
                "reference": top.passage.document,
                "page": top.passage.page,
                "passage": excerpt,
                "containment": round(top.containment, 3),
                "spans": [
                    {
                        "start": top.start,
                        "end": top.end,
                        "in": "image" if in_image else "text",
                        "text": post.all_text()[top.start : top.end][:240],
                    }
                ],
                "documents": [
                    {
                        "document": m.passage.document,
                        "page": m.passage.page,
                        "containment": round(m.containment, 3),
                    }
                    for m in matches[:5]
                ],
                "terms": sorted({m.passage.document for m in matches[:5]}),
            },
        )
