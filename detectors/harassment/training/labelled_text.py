"""Public labelled text for the harassment classifier: OLID and Davidson, read into one shape.

Each example says what it knows and leaves the rest unknown (None), so one multi-label model can
learn from both sets: OLID knows offensive (subtask A), targeted (subtask B: TIN) and group
targets (subtask C: GRP, our weak "identity attack" signal); Davidson knows offensive (hate speech
or offensive language) and identity attack (hate speech) but nothing about targeting.

The held-out split is fixed by a seed and stratified per data set and label combination, so every
run and every figure in docs/harassment.md uses the same held-out tweets.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.jsonl import LineError, ReadReport

OLID_FILE = "olid_training_v1.0.tsv"
DAVIDSON_FILE = "davidson_labeled_data.csv"
DATASETS = ("olid", "davidson")


@dataclass(frozen=True)
class Example:
    source: str  # "olid" or "davidson"
    id: str
    text: str
    offensive: bool | None
    targeted: bool | None
    identity_attack: bool | None

    def target(self, label: str) -> bool | None:
        value: bool | None = getattr(self, label)
        return value


def read_olid(path: Path, report: ReadReport | None = None) -> list[Example]:
    """OLID v1.0 TSV: id, tweet, subtask_a (OFF/NOT), subtask_b (TIN/UNT), subtask_c."""
    report = report if report is not None else ReadReport()
    examples = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None or header[:3] != ["id", "tweet", "subtask_a"]:
            raise ValueError(f"{path}:1: header: expected id, tweet, subtask_a, ...; got {header}")
        for row in reader:
            line = reader.line_num
            if len(row) != 5:
                report.errors.append(
                    LineError(str(path), line, "(row)", f"{len(row)} fields, not 5")
                )
                continue
            rid, text, a, b, c = row
            if a not in ("OFF", "NOT"):
                report.errors.append(LineError(str(path), line, "subtask_a", f"unknown {a!r}"))
                continue
            offensive = a == "OFF"
            # Subtask B (targeted or not) is only defined for offensive tweets: for the others it
            # stays unknown, so the head learns who an insult is aimed at, not whether there is
            # one (trained on every tweet, it had become a second offensive head).
            targeted = (b == "TIN") if offensive else None
            examples.append(Example("olid", rid, text, offensive, targeted, c == "GRP"))
            report.read += 1
    return examples


def read_davidson(path: Path, report: ReadReport | None = None) -> list[Example]:
    """Davidson et al. CSV: `class` 0 hate speech, 1 offensive language, 2 neither."""
    report = report if report is not None else ReadReport()
    examples = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"class", "tweet"} <= set(reader.fieldnames):
            raise ValueError(f"{path}:1: header: expected columns class and tweet")
        for number, row in enumerate(reader):
            line = reader.line_num
            label = (row.get("class") or "").strip()
            if label not in ("0", "1", "2"):
                report.errors.append(LineError(str(path), line, "class", f"unknown {label!r}"))
                continue
            rid = (row.get("") or str(number)).strip()
            examples.append(
                Example("davidson", rid, row["tweet"] or "", label != "2", None, label == "0")
            )
            report.read += 1
    return examples


def read_datasets(
    data_dir: Path, datasets: Sequence[str] = DATASETS, report: ReadReport | None = None
) -> dict[str, list[Example]]:
    readers = {"olid": (OLID_FILE, read_olid), "davidson": (DAVIDSON_FILE, read_davidson)}
    found = {}
    for name in datasets:
        if name not in readers:
            raise ValueError(f"unknown data set {name!r}; known: {', '.join(readers)}")
        filename, reader = readers[name]
        path = data_dir / filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing (data set {name!r})")
        found[name] = reader(path, report)
    return found


def split(
    examples: Sequence[Example], *, heldout: float = 0.1, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """A seeded split, stratified by (data set, offensive, targeted, identity attack)."""
    strata: dict[tuple[object, ...], list[Example]] = defaultdict(list)
    for ex in examples:
        # `targeted is True`: an unknown target (a non-offensive tweet) falls in the same stratum
        # as "not targeted", as it did when the label was False there, so the split is unchanged.
        strata[(ex.source, ex.offensive, ex.targeted is True, ex.identity_attack)].append(ex)
    rng = random.Random(seed)
    train, test = [], []
    for key in sorted(strata, key=repr):
        group = sorted(strata[key], key=lambda e: e.id)
        rng.shuffle(group)
        cut = round(len(group) * heldout)
        test.extend(group[:cut])
        train.extend(group[cut:])
    return train, test
