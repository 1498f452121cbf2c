"""Personal data and secrets on the development sets (detectors/leaks/dev_sets.py): precision and
recall per entity kind, the share of each true span the masks cover, the false-positive rate on
posts with nothing to find, and posts per second, all from one run.

    .venv/bin/python bench/bench_leaks.py                 # the dev split
    .venv/bin/python bench/bench_leaks.py --split heldback
    .venv/bin/python bench/bench_leaks.py --split fresh      # secrets only

A found span counts as a true positive when it overlaps a labelled span of the same kind (for
secrets: any labelled secret); every other found span is a false positive. The detectors run as
the pipeline runs them, through `detect(posts)`, at their configured threshold (0.5), with the
spans from each finding's evidence.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.leaks.dev_sets import OUT_DIR  # noqa: E402
from pipeline.core.config import load_config  # noqa: E402
from pipeline.core.models import Post  # noqa: E402
from pipeline.core.paths import PROJECT_ROOT  # noqa: E402

log = logging.getLogger("bench_leaks")
CONFIG = PROJECT_ROOT / "config" / "example.yaml"


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return int(a["start"]) < int(b["end"]) and int(b["start"]) < int(a["end"])


def score_spans(
    records: list[dict[str, Any]], found: dict[str, list[dict[str, Any]]], *, any_kind: bool
) -> dict[str, Any]:
    """Per-kind tp/fp/fn, the covered share of true spans, and the post-level false-positive
    rate. `found` maps post id -> spans with kind, start, end."""
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    covered: dict[str, list[float]] = defaultdict(list)
    negatives = flagged_negatives = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    for record in records:
        truth = record["entities"]
        spans = found.get(record["id"], [])
        if not truth:
            negatives += 1
            flagged_negatives += bool(spans)
        for span in spans:
            same = [
                t for t in truth if _overlaps(span, t) and (any_kind or t["kind"] == span["kind"])
            ]
            kind = span["kind"] if not any_kind else "secret"
            if same:
                tp[kind] += 1
            else:
                fp[kind] += 1
                false_alarms.append(f"{span['kind']}: {record['text'][:160]!r}")
        for t in truth:
            kind = t["kind"]
            hits = [s for s in spans if _overlaps(s, t) and (any_kind or s["kind"] == kind)]
            if not hits:
                fn[kind] += 1
                misses.append(f"{kind}: {record['text'][:160]!r}")
                covered[kind].append(0.0)
                continue
            chars = set(range(int(t["start"]), int(t["end"])))
            seen = {i for s in hits for i in range(int(s["start"]), int(s["end"]))}
            covered[kind].append(len(chars & seen) / max(1, len(chars)))
    kinds = sorted(set(tp) | set(fp) | set(fn))
    rows = {}
    for kind in kinds:
        # A true span found by two overlapping spans is one recall hit: recall counts truths.
        found_truths = len([c for c in covered[kind] if c > 0])
        support = len(covered[kind])
        rows[kind] = {
            "support": support,
            "tp": tp[kind],
            "fp": fp[kind],
            "precision": tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0,
            "recall": found_truths / support if support else 1.0,
            "coverage": sum(covered[kind]) / support if support else 1.0,
        }
    all_tp, all_fp = sum(tp.values()), sum(fp.values())
    support = sum(len(v) for v in covered.values())
    found_truths = sum(len([c for c in v if c > 0]) for v in covered.values())
    rows["overall"] = {
        "support": support,
        "tp": all_tp,
        "fp": all_fp,
        "precision": all_tp / (all_tp + all_fp) if all_tp + all_fp else 1.0,
        "recall": found_truths / support if support else 1.0,
        "coverage": sum(sum(v) for v in covered.values()) / support if support else 1.0,
    }
    return {
        "kinds": rows,
        "negatives": negatives,
        "false_positive_rate": flagged_negatives / negatives if negatives else 0.0,
        "misses": misses,
        "false_alarms": false_alarms,
    }


def run_detector(
    name: str, records: list[dict[str, Any]]
) -> tuple[dict[str, list[dict[str, Any]]], float, float]:
    """Spans at or above the threshold in each post's finding, and the wall and CPU seconds
    `detect` took (after `load()`)."""
    from detectors.registry import build_detectors
    from pipeline.policy.engine import Policy

    config = load_config(CONFIG)
    config = config.model_copy(update={"data_dir": Path(tempfile.mkdtemp())}, deep=True)
    os.environ.setdefault("CRESTWATCH_HASH_SALT", "bench-only-salt")
    (detector,) = build_detectors(config, [name])
    detector.ensure_loaded()
    posts = [Post.model_validate(r) for r in records]
    started, cpu = time.perf_counter(), time.process_time()
    findings = detector.detect(posts)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    threshold = Policy(config).threshold(name)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        for span in finding.evidence.get("spans", []):
            if float(span.get("score", finding.score)) >= threshold:
                found[finding.post_id.split(":", 1)[1]].append(span)
    return found, elapsed, cpu


def _print(
    title: str, result: dict[str, Any], posts: int, seconds: float, cpu: float, show: int
) -> None:
    print(f"\n{title}: {posts} posts, {result['negatives']} with nothing to find")
    print(f"{'kind':<16}{'support':>8}{'tp':>6}{'fp':>6}", end="")
    print(f"{'precision':>11}{'recall':>8}{'coverage':>10}")
    for kind, row in result["kinds"].items():
        print(
            f"{kind:<16}{row['support']:>8}{row['tp']:>6}{row['fp']:>6}"
            f"{row['precision']:>11.3f}{row['recall']:>8.3f}{row['coverage']:>10.3f}"
        )
    print(
        f"false-positive rate (posts with nothing to find that were flagged): "
        f"{result['false_positive_rate']:.3%}"
    )
    # The machine may be shared: CPU time is this process's own, wall time includes waiting.
    print(
        f"speed: {posts / cpu:,.0f} posts per CPU second "
        f"(ratio to 1,000: {posts / cpu / 1000:.2f}),"
        f" {posts / seconds:,.0f} posts per wall second; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for line in result["misses"][:show]:
        print("  missed", line)
    for line in result["false_alarms"][:show]:
        print("  false ", line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # fresh: secrets only, shapes written after the tuning on the held-back part's first reading.
    parser.add_argument("--split", choices=["dev", "heldback", "fresh"], default="dev")
    parser.add_argument("--data", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--show", type=int, default=0, help="print this many misses and false alarms"
    )
    parser.add_argument("--only", choices=["personal_data", "secrets"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name, any_kind in (("personal_data", False), ("secrets", True)):
        if args.only and args.only != name:
            continue
        if not (args.data / f"{name}-{args.split}.jsonl").exists():
            print(f"{name}: no {args.split} part")
            continue
        records = _read(args.data / f"{name}-{args.split}.jsonl")
        found, seconds, cpu = run_detector(name, records)
        result = score_spans(records, found, any_kind=any_kind)
        _print(f"{name} ({args.split})", result, len(records), seconds, cpu, args.show)


if __name__ == "__main__":
    main()
