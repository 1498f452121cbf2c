"""Realistic mixed text of any length, and a detector's CPU time on it, for the text-scaling
bench (bench/bench_text_scaling.py) and its tests.

The text mixes what each text detector looks for with what it must pass over: prose, e-mail
addresses, phone numbers, card-like digit runs, URLs, handles, quotes, confidentiality markers,
key-like strings, complaint phrasing and document titles, drawn by a seeded generator so every
window differs (a repeated block would let caches and deduplication hide the cost).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

from detectors.base import Detector
from detectors.registry import build_detectors
from pipeline.core.config import OrgConfig
from pipeline.core.models import Author
from tests.factories import make_post

TEXT_DETECTORS: tuple[str, ...] = (
    "confidential",
    "personal_data",
    "secrets",
    "complaints",
    "documents",
    "impersonation",
    "reposts",
    "harassment",
)

_WORDS = (
    "the university seminar library student module exam report committee budget draft staff "
    "campus research lecture tutor deadline results policy meeting minutes council paper review "
    "department faculty grant project building open day email phone office hours timetable"
).split()

_PIECES = (
    lambda r: f"{r.choice(['Alex', 'Sam', 'Priya', 'Jo'])}.{r.randint(1, 999)}@example.ac.uk",
    lambda r: f"+44 20 7{r.randint(100, 999)} {r.randint(1000, 9999)}",
    lambda r: f"07{r.randint(100, 999)} {r.randint(100000, 999999)}",
    lambda r: " ".join(str(r.randint(1000, 9999)) for _ in range(4)),
    lambda r: f"https://www.example.ac.uk/news/{r.randint(1, 99999)}?ref=home",
    lambda r: f"@user{r.randint(1, 99999)}",
    lambda r: '"this was said out loud"',
    lambda r: "STRICTLY CONFIDENTIAL - not for circulation",
    lambda r: "internal only, do not share",
    lambda r: r.choice(["confidential", "private", "sensitive", "restricted", "secret"]),
    lambda r: "Council minutes",
    lambda r: "my name is Jo Bloggs and I live at 4 Mile End Road",
    lambda r: f"sort code 20-{r.randint(10, 99)}-{r.randint(10, 99)} account {r.getrandbits(26)}",
    lambda r: f"NI number QQ {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} C",
    lambda r: f"api_key = 'sk_live_{r.getrandbits(96):024x}'",
    lambda r: f"AKIA{r.getrandbits(64):016X}",
    lambda r: "I want to make a formal complaint about my tutor",
    lambda r: f"Council paper C2026-{r.randint(1, 99)} draft minutes",
    lambda r: f"Exam paper SPC{r.randint(1000, 9999)} May 2027",
    lambda r: "Queen Mary University of London #QMUL",
    lambda r: f"password: hunter{r.randint(10, 99)}!",
    lambda r: f"DOB {r.randint(1, 28):02d}/{r.randint(1, 12):02d}/19{r.randint(50, 99)}",
    lambda r: f"student ID {r.randint(100000000, 999999999)}",
    lambda r: "10 Mile End Road, London E1 4NS",
)


def mixed_text(chars: int, seed: int = 1) -> str:
    """About `chars` characters of sentences, one in three carrying a sensitive-looking piece."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < chars:
        words = rng.sample(_WORDS, rng.randint(6, 14))
        if rng.random() < 0.33:
            words.insert(rng.randint(0, len(words)), rng.choice(_PIECES)(rng))
        sentence = " ".join(words).capitalize() + rng.choice([". "] * 12 + ["! ", "? ", ".\n"])
        parts.append(sentence)
        total += len(sentence)
    return "".join(parts)[:chars]


def text_detector(config: OrgConfig, name: str, data_dir: Path) -> Detector:
    """The named detector, loaded, with its caches under `data_dir`."""
    config = config.model_copy(update={"data_dir": data_dir}, deep=True)
    [detector] = build_detectors(config, [name])
    detector.ensure_loaded()
    return detector


def cpu_seconds(detector: Detector, text: str) -> float:
    """CPU time of this process (every thread) for one post of `text`, by an account that looks
    like an official one (so the impersonation detector reads its text too)."""
    author = Author(id="31337", handle="QMULNews_", display_name="QMUL News")
    post = make_post(1, text=text, author=author)
    start = time.process_time()
    detector.detect([post])
    return time.process_time() - start


def scaling(
    detector: Detector, sizes: Sequence[int], *, repeat: int = 2, seed: int = 1
) -> list[float]:
    """CPU seconds at each size, the fastest of `repeat` rounds, after a warm-up on a small text
    (first-call costs aside). Rounds alternate between the sizes, so a stretch of the shared
    machine under load (caches and memory bandwidth shared with other work) falls on both."""
    cpu_seconds(detector, mixed_text(2_000, seed + 100))
    texts = [mixed_text(size, seed) for size in sizes]
    best = [float("inf")] * len(texts)
    for _ in range(repeat):
        for i, text in enumerate(texts):
            best[i] = min(best[i], cpu_seconds(detector, text))
    return best
