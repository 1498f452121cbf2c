"""Harassment detector throughput against a plain `transformers` pipeline with the same model.

In one run, on the same 2,000 posts:
  (a) `transformers.pipeline("text-classification")` called post by post, as a user would write
      it, with the same fine-tuned float32 torch model (needs the `train` extra);
  (b) the detector in process: the exported int8 ONNX model, with its cue layer, and once more
      with the cue layer off;
  (c) `crestwatch scan` of the same posts as JSONL in a new process, harassment only and then
      every detector: end to end, process start and model loading included.
It prints posts per second, the speed-up ratios, peak memory, and, with --data, macro-F1 of the
"offensive" label on OLID held-out tweets for each, so a speed-up that costs quality shows. The
cue layer changes what the model reads (quotes removed, look-alike names masked), and OLID counts
a quoted insult as offensive, so the run without it isolates what the speed-ups cost.

    .venv/bin/python bench/bench_harassment.py --data ../shared/data/text
(without --data it scores 2,000 generated posts and reports speed only).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger("bench_harassment")


def _posts(data: Path | None, n: int) -> tuple[list[str], list[bool | None]]:
    if data is None:
        rng = random.Random(7)
        words = "the uni library lecture exam you are great idiot love hate campus today".split()
        texts = [" ".join(rng.choices(words, k=rng.randint(4, 60))) for _ in range(n)]
        return texts, [None] * n
    from detectors.harassment.training.recipe import TrainSettings, training_split

    heldout = training_split(data, TrainSettings()).heldout
    examples = (heldout["olid"] + heldout.get("davidson", []))[:n]
    return [e.text for e in examples], [
        e.offensive if e.source == "olid" else None for e in examples
    ]


def _macro_f1(
    truth: list[bool | None], scores: list[float], threshold: float = 0.5
) -> float | None:
    from sklearn.metrics import f1_score

    pairs = [(t, s >= threshold) for t, s in zip(truth, scores, strict=True) if t is not None]
    if not pairs:
        return None
    return float(f1_score([t for t, _ in pairs], [p for _, p in pairs], average="macro"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder with OLID (and Davidson) files")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import torch
    from transformers import AutoTokenizer, pipeline

    from detectors.harassment.detector import HarassmentDetector
    from detectors.harassment.model import ARTEFACT_DIR
    from pipeline.core.config import load_config
    from pipeline.core.models import Post

    torch.set_num_threads(args.threads)
    texts, truth = _posts(args.data, args.posts)
    posts = [
        Post.model_validate(
            {
                "platform": "bench",
                "id": str(i),
                "text": t,
                "created_at": "2026-01-01T00:00:00Z",
                "author": {"id": "a", "handle": "a"},
            }
        )
        for i, t in enumerate(texts)
    ]
    log.info("%d posts, %d threads", len(posts), args.threads)

    from detectors.harassment.training.torch_model import load_artefact

    model, meta = load_artefact(ARTEFACT_DIR)
    # A user of the plain pipeline would apply the decision threshold training chose for the
    # float32 model; the detector applies its own mode's threshold by shifting its scores.
    plain_threshold = float(meta.get("thresholds", {}).get("float32", {}).get("offensive", 0.5))
    tokenizer = AutoTokenizer.from_pretrained(ARTEFACT_DIR, local_files_only=True)
    plain = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    started = time.perf_counter()
    plain_scores = []
    for text in texts:
        out = plain(text, top_k=None, function_to_apply="sigmoid", truncation=True, max_length=128)
        plain_scores.append(next(o["score"] for o in out if o["label"] == "offensive"))
    plain_seconds = time.perf_counter() - started
    plain_peak = _peak_mb()

    config = load_config()
    rate_plain = len(posts) / plain_seconds
    log.info("plain pipeline loop      : %7.1f posts/s (%.1f s)", rate_plain, plain_seconds)
    f1_plain = _macro_f1(truth, plain_scores, plain_threshold)
    for context in (True, False):
        config.detectors["harassment"].options["context"] = context
        detector = HarassmentDetector(config)
        detector.ensure_loaded()
        started = time.perf_counter()
        findings = []
        for start in range(0, len(posts), 256):
            findings.extend(detector.detect(posts[start : start + 256]))
        seconds = time.perf_counter() - started
        by_post = {f.post_id: f.evidence["label_scores"]["offensive"] for f in findings}
        scores = [by_post.get(p.doc_id, 0.0) for p in posts]
        # The finding's score is what the policy compares with the threshold: it adds threats
        # and identity attacks and applies the cue layer's factors.
        flagged = {f.post_id: f.score for f in findings}
        finding_scores = [flagged.get(p.doc_id, 0.0) for p in posts]
        rate = len(posts) / seconds
        name = "detector, int8 ONNX" + ("" if context else ", no cues")
        log.info(
            "%-25s: %7.1f posts/s (%.1f s), %.2fx the plain loop",
            name,
            rate,
            seconds,
            rate / rate_plain,
        )
        f1 = _macro_f1(truth, scores)
        if f1_plain is not None and f1 is not None:
            scored = sum(t is not None for t in truth)
            log.info(
                "  OLID held-out macro-F1 (offensive, %d tweets): pipeline %.4f, %s %.4f "
                "(%+.2f points)",
                scored,
                f1_plain,
                name,
                f1,
                100 * (f1 - f1_plain),
            )
            f1_score_ = _macro_f1(truth, finding_scores)
            log.info("  same, the finding's score against OLID's offensive label: %.4f",
                     f1_score_)
    log.info(
        "peak RSS                 : %7.0f MB after the plain loop, %.0f MB at the end",
        plain_peak,
        _peak_mb(),
    )
    _scan(posts, rate_plain)


def _scan(posts: list, rate_plain: float) -> None:
    """`crestwatch scan` in a fresh process: what a user or an Airflow task pays end to end."""
    import json
    import subprocess
    import tempfile

    cli = Path(sys.executable).with_name("crestwatch")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        path.write_text(
            "".join(json.dumps(p.model_dump(mode="json")) + "\n" for p in posts), encoding="utf-8"
        )
        runs = (("harassment only", ["--detectors", "harassment"]), ("every detector", []))
        for label, extra in runs:
            started = time.perf_counter()
            subprocess.run(
                [str(cli), "scan", str(path), *extra], check=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - started
            rate = len(posts) / seconds
            log.info(
                "crestwatch scan, %-15s: %7.1f posts/s (%.1f s, process start included), "
                "%.2fx the plain loop",
                label, rate, seconds, rate / rate_plain,
            )


if __name__ == "__main__":
    main()
