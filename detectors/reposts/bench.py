"""Precision and recall of the reposted-work detector's text side on copies built from public
posts, with the split fixed by a seed before anything is measured.

    .venv/bin/python -m detectors.reposts.bench --data DATA/olid_training_v1.0.tsv [--seed 21]

Every text of the file (a TSV's `tweet` column, or one text per line) with at least 12 words is
an original by its own account. A third of them get a later copy by another account, made the
ways reposts are made: word for word, with a comment added before or after, with a word or two
changed, shortened, with the emoji and punctuation changed. A sixth get a copy that credits the
original's author ("via @...", "h/t @..."), and the rest are left alone: the credited copies and
every original are the negatives. Originals and copies are dealt to a development and a
held-out part by the seed; the detector's settings were fixed before this was written, and the
held-out part is reported once. The posts are read as one batch (no store is needed).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.core.models import Author, Post

MIN_WORDS = 12
_COMMENTS = ("so true", "this!!", "can't stop thinking about this", "saw this today",
             "Follow for more!", "honestly", "lol", "my thoughts exactly", "👀", "🔥🔥")
_CREDITS = ("via @{h}", "h/t @{h}", "(credit: @{h})", "from @{h}")


def read_texts(path: Path) -> list[str]:
    if path.suffix == ".tsv":
        with path.open(encoding="utf-8") as handle:
            rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            return [row.get("tweet") or "" for row in rows]
    return path.read_text(encoding="utf-8").splitlines()


def _edit(text: str, rng: random.Random, pool: list[str]) -> tuple[str, str]:
    words = text.split()
    way = rng.choice(["verbatim", "comment_after", "comment_before", "word_changed",
                      "shortened", "restyled"])
    if way == "comment_after":
        return f"{text} {rng.choice(_COMMENTS)}", way
    if way == "comment_before":
        return f"{rng.choice(_COMMENTS)} {text}", way
    if way == "word_changed":
        for _ in range(1 + (len(words) > 25)):
            at = rng.randrange(len(words))
            words[at] = rng.choice(rng.choice(pool).split() or ["so"])
        return " ".join(words), way
    if way == "shortened":
        return " ".join(words[: max(MIN_WORDS - 2, int(len(words) * 0.85))]), way
    if way == "restyled":
        return text.upper().replace(".", "!").replace(",", "") + " 😂", way
    return text, way


def build(texts: list[str], seed: int) -> tuple[list[Post], dict[str, tuple[bool, str, str]]]:
    """Posts in time order and, for each post id, (is an uncredited copy, how, part)."""
    rng = random.Random(seed)
    usable = [t.strip() for t in texts if len(t.split()) >= MIN_WORDS]
    rng.shuffle(usable)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts: list[Post] = []
    truth: dict[str, tuple[bool, str, str]] = {}

    def add(n: str, text: str, author: str, minutes: int, label: bool, how: str, part: str) -> None:
        post = Post(platform="x", id=n, text=text, created_at=start + timedelta(minutes=minutes),
                    author=Author(id=author, handle=author))
        posts.append(post)
        truth[post.doc_id] = (label, how, part)

    for number, text in enumerate(usable):
        part = "held_out" if rng.random() < 0.5 else "development"
        author = f"author{number}"
        add(f"o{number}", text, author, number, False, "original", part)
        roll = rng.random()
        later = number + rng.randrange(1, 5000)
        if roll < 1 / 3:
            copy, how = _edit(text, rng, usable)
            add(f"c{number}", copy, f"copier{number}", later, True, how, part)
        elif roll < 1 / 2:
            credit = rng.choice(_CREDITS).format(h=author)
            add(f"k{number}", f"{text} {credit}", f"sharer{number}", later, False, "credited",
                part)
    posts.sort(key=lambda p: p.created_at)
    return posts, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--limit", type=int, default=4000, help="originals used")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRESTWATCH_DATA_DIR"] = tmp
        from detectors.registry import build_detectors
        from pipeline.core.config import load_config

        config = load_config()
        threshold = config.detector("reposts").threshold
        detector = build_detectors(config, ["reposts"])[0]
        texts = read_texts(args.data)
        posts, truth = build(texts[: args.limit * 2], args.seed)
        # One batch: without a store the detector's batch is all it remembers, and it finds
        # what the store's work history would across pages (tests/unit/reposts checks that the
        # two give the same findings).
        found = {f.post_id for f in detector.detect(posts) if f.score >= threshold}
    for part in ("development", "held_out"):
        ids = [k for k, (_, _, p) in truth.items() if p == part]
        positives = {k for k in ids if truth[k][0]}
        flagged = found & set(ids)
        tp = len(flagged & positives)
        precision = tp / len(flagged) if flagged else 1.0
        recall = tp / len(positives) if positives else 0.0
        print(f"{part}: {len(ids)} posts, {len(positives)} uncredited copies; flagged "
              f"{len(flagged)}; precision {precision:.3f}, recall {recall:.3f}")
        for how in sorted({truth[k][1] for k in ids}):
            mine = [k for k in ids if truth[k][1] == how]
            hit = sum(k in found for k in mine)
            print(f"  {how:15} {hit:5} of {len(mine):5} flagged")


if __name__ == "__main__":
    main()
