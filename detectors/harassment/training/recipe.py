"""Training the harassment classifier: fine-tune the bundled MiniLM's top layers with three heads.

Recipe (the defaults of `crestwatch train harassment`): each data set is split 90/10 by
`labelled_text.split` (seed 13, stratified) into training and held-out parts, and a further 10% of
each training part is set aside for calibration. The training parts are mixed (Davidson capped,
keeping all its hate speech and "neither" tweets, since 77% of it is offensive) and the model
learns the labels each set knows, with a masked binary cross-entropy. The calibration part then
chooses, per label and per scoring mode (int8, float32), the decision threshold with the best
macro-F1; the detector shifts its scores so that threshold reads as 0.5. The artefact is then
exported to the int8 ONNX file the detector runs ("int8"); the float32 torch model ("float32") is
measured beside it as the reference. The held-out parts, used for nothing else, are scored with
both exactly as the detector scores, and the figures are written into the artefact's model.json.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detectors.harassment.model import MODEL_LABELS, TextScorer, normalise
from detectors.harassment.training.batches import length_bucketed, pad
from detectors.harassment.training.labelled_text import DATASETS, Example, read_datasets, split
from detectors.harassment.training.torch_model import (
    base_tokenizer,
    export_artefact,
    new_classifier,
    save_artefact,
    torch_scorer,
    trained_parameter_names,
)
from pipeline.core.jsonl import ReadReport

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    epochs: float = 2.0
    trained_layers: int = 6
    learning_rate: float = 5e-5
    batch_size: int = 32
    max_length: int = 96
    heldout: float = 0.1
    calibration: float = 0.1  # of each training part, for the decision thresholds
    seed: int = 13
    datasets: tuple[str, ...] = DATASETS
    max_davidson: int | None = 8000
    threads: int = 2


@dataclass
class TrainResult:
    out_dir: Path
    train_examples: int
    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _cap_davidson(examples: list[Example], cap: int | None, seed: int) -> list[Example]:
    if cap is None or len(examples) <= cap:
        return examples
    keep = [e for e in examples if e.identity_attack or not e.offensive]
    rest = [e for e in examples if not (e.identity_attack or not e.offensive)]
    random.Random(seed).shuffle(rest)
    return keep + rest[: max(0, cap - len(keep))]


@dataclass
class Splits:
    train: list[Example]
    calibration: list[Example]  # chooses the decision thresholds, never trained on
    heldout: dict[str, list[Example]]  # per data set; only ever measured


def training_split(
    data_dir: Path, settings: TrainSettings, report: ReadReport | None = None
) -> Splits:
    """Training, calibration and (per data set) held-out examples, disjoint and reproducible."""
    sets = read_datasets(data_dir, settings.datasets, report)
    splits = Splits([], [], {})
    for name, examples in sets.items():
        part, held = split(examples, heldout=settings.heldout, seed=settings.seed)
        part, calibration = split(part, heldout=settings.calibration, seed=settings.seed + 1)
        if name == "davidson":
            # Calibrate on the mix the model was trained on, not on Davidson's 77% offensive.
            part = _cap_davidson(part, settings.max_davidson, settings.seed)
            calibration = _cap_davidson(
                calibration,
                round(settings.max_davidson * settings.calibration)
                if settings.max_davidson is not None
                else None,
                settings.seed,
            )
        splits.train.extend(part)
        splits.calibration.extend(calibration)
        splits.heldout[name] = held
    return splits


def fine_tune(
    examples: Sequence[Example],
    settings: TrainSettings,
    *,
    labels: Sequence[str] = MODEL_LABELS,
    progress: Callable[[int, int, float], None] | None = None,
) -> Any:
    """Fine-tune the top `trained_layers` encoder layers and the heads; returns the model.

    Frozen parameters do not require gradients, so autograd stops below the lowest trained
    layer; every step goes through the model's public forward.
    """
    import torch

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    tokenizer = base_tokenizer()
    model = new_classifier(labels)
    trainable = set(trained_parameter_names(model, settings.trained_layers))
    for name, param in model.named_parameters():
        param.requires_grad = name in trainable

    texts = [normalise(e.text) for e in examples]
    encoded = tokenizer(texts, truncation=True, max_length=settings.max_length)["input_ids"]
    nan = float("nan")
    targets = [
        [nan if e.target(label) is None else float(bool(e.target(label))) for label in labels]
        for e in examples
    ]
    steps_per_epoch = math.ceil(len(examples) / settings.batch_size)
    total = max(1, round(steps_per_epoch * settings.epochs))
    warmup = max(1, total // 16)
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))),
    )
    rng = random.Random(settings.seed)
    model.train()
    step = 0
    running = 0.0
    while step < total:
        for batch in length_bucketed(encoded, settings.batch_size, rng):
            if step >= total:
                break
            ids, mask = pad([encoded[i] for i in batch])
            y = torch.tensor([targets[i] for i in batch])
            known = ~torch.isnan(y)
            logits = model(input_ids=ids, attention_mask=mask).logits
            losses = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, torch.nan_to_num(y), reduction="none"
            )
            loss = (losses * known).sum() / known.sum().clamp(min=1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            value = loss.item()
            running = 0.98 * running + 0.02 * value if step > 1 else value
            if progress and (step % 20 == 0 or step == total):
                progress(step, total, running)
    model.eval()
    return model


def fit_thresholds(
    scorer: TextScorer, examples: Sequence[Example], labels: Sequence[str] = MODEL_LABELS
) -> dict[str, float]:
    """Per label, the decision threshold with the best macro-F1 on `examples` (raw scores).

    A quantised or differently trained model keeps its ranking (ROC-AUC) but moves its scores;
    re-choosing the threshold for each scoring mode keeps that shift from costing F1.
    """
    from sklearn.metrics import f1_score

    if scorer.thresholds:
        raise ValueError("fit thresholds on raw scores: build the scorer without thresholds")
    scores = scorer.score([e.text for e in examples])
    chosen: dict[str, float] = {}
    for label in labels:
        pairs = [
            (bool(e.target(label)), s.get(label, 0.0))
            for e, s in zip(examples, scores, strict=True)
            if e.target(label) is not None
        ]
        if len({t for t, _ in pairs}) < 2:
            continue
        truth = [t for t, _ in pairs]
        values = [v for _, v in pairs]
        candidates = [i / 100 for i in range(5, 96)]
        # Ties go to the threshold nearest 0.5, so a flat stretch does not drift to an edge.
        best = max(
            candidates,
            key=lambda t: (
                round(float(f1_score(truth, [v >= t for v in values], average="macro")), 4),
                -abs(t - 0.5),
            ),
        )
        chosen[label] = best
    return chosen


MODES = ("int8", "float32")  # the exported ONNX file the detector runs; the torch reference


def scorer_for(out_dir: Path, mode: str, *, calibrated: bool = True) -> TextScorer:
    if mode == "int8":
        return TextScorer.from_dir(out_dir, calibrated=calibrated)
    return torch_scorer(out_dir, calibrated=calibrated)


def calibrate(out_dir: Path, calibration: Sequence[Example]) -> dict[str, dict[str, float]]:
    """Fit and store the thresholds of both scoring modes in the artefact's model.json."""
    thresholds = {
        mode: fit_thresholds(scorer_for(out_dir, mode, calibrated=False), calibration)
        for mode in MODES
    }
    meta_path = out_dir / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["thresholds"] = thresholds
    meta["calibration_examples"] = len(calibration)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return thresholds


def heldout_metrics(
    scorer: TextScorer, heldout: dict[str, list[Example]], *, threshold: float = 0.5
) -> dict[str, dict[str, Any]]:
    """Per data set and label: macro-F1 over both classes (OffensEval's measure), F1 of the
    positive class, ROC-AUC, and support, at `threshold`."""
    from sklearn.metrics import f1_score, roc_auc_score

    results: dict[str, dict[str, Any]] = {}
    for name, examples in heldout.items():
        scores = scorer.score([e.text for e in examples])
        for label in scorer.labels:
            pairs = [
                (bool(e.target(label)), s.get(label, 0.0))
                for e, s in zip(examples, scores, strict=True)
                if label in MODEL_LABELS and e.target(label) is not None
            ]
            if not pairs or len({t for t, _ in pairs}) < 2:
                continue
            truth = [t for t, _ in pairs]
            predicted = [s >= threshold for _, s in pairs]
            results[f"{name}/{label}"] = {
                "examples": len(pairs),
                "positives": sum(truth),
                "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
                "f1_positive": round(float(f1_score(truth, predicted)), 4),
                "roc_auc": round(float(roc_auc_score(truth, [s for _, s in pairs])), 4),
            }
    return results


def export_heldout(heldout: dict[str, list[Example]], out_dir: Path) -> list[Path]:
    """Held-out tweets as labelled JSONL for `crestwatch eval --detector harassment`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, examples in heldout.items():
        path = out_dir / f"{name}_heldout.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for e in examples:
                labels = [
                    label
                    for label in MODEL_LABELS
                    if e.target(label) is not None and e.target(label)
                ]
                post = {
                    "platform": name,
                    "id": e.id,
                    "created_at": "2019-01-01T00:00:00Z",
                    "text": e.text,
                    "author": {"id": "unknown", "handle": "unknown"},
                    "labels": labels,
                }
                handle.write(json.dumps(post, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def train_harassment(
    data_dir: Path,
    out_dir: Path,
    settings: TrainSettings | None = None,
    *,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Read, split, fine-tune, save the artefact, and measure it on the held-out parts."""
    settings = settings or TrainSettings()
    report = ReadReport()
    started = time.monotonic()
    splits = training_split(data_dir, settings, report)
    if not splits.train:
        raise ValueError(f"{data_dir}: no usable training examples")
    model = fine_tune(splits.train, settings, progress=progress)
    seconds = time.monotonic() - started
    recipe = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()}
    save_artefact(
        model,
        out_dir,
        trained_layers=settings.trained_layers,
        metadata={
            "max_length": 128,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "recipe": recipe,
            "train_examples": len(splits.train),
            "train_seconds": round(seconds),
        },
    )
    metrics = measure(out_dir, splits)
    return TrainResult(
        out_dir, len(splits.train), seconds, metrics, [str(e) for e in report.errors]
    )


def recipe_of(artefact_dir: Path) -> TrainSettings:
    """The settings an artefact was trained with (its split is rebuilt from them)."""
    meta_path = artefact_dir / "model.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: missing; not a trained artefact")
    recipe = dict(json.loads(meta_path.read_text(encoding="utf-8")).get("recipe", {}))
    known = {f.name for f in fields(TrainSettings)}
    if "datasets" in recipe:
        recipe["datasets"] = tuple(recipe["datasets"])
    recipe.setdefault("calibration", 0.0)  # artefacts from before the calibration split
    return TrainSettings(**{k: v for k, v in recipe.items() if k in known})


def measure(out_dir: Path, splits: Splits) -> dict[str, Any]:
    """Export the artefact in `out_dir` to ONNX, calibrate both scoring modes, then measure them
    on the held-out parts.

    Also what `crestwatch train harassment --recalibrate` runs on an existing artefact.
    """
    if not splits.calibration:
        raise ValueError(
            f"{out_dir}: its recipe set no calibration part aside; train it again to calibrate"
        )
    export_artefact(out_dir)
    calibrate(out_dir, splits.calibration)
    metrics = {mode: heldout_metrics(scorer_for(out_dir, mode), splits.heldout) for mode in MODES}
    meta_path = out_dir / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["heldout"] = metrics
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return metrics
