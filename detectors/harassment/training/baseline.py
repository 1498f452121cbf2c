"""The cheap reference point: the frozen bundled encoder, mean-pooled, with logistic regression.

It answers two questions the fine-tuned model cannot answer cheaply: does fine-tuning pay (same
held-out tweets, same split), and how well does "offensive" transfer between data sets (train on
OLID, test on Davidson's held-out part, and the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.harassment.model import normalise
from detectors.harassment.training.recipe import TrainSettings, training_split
from detectors.harassment.training.torch_model import base_encoder_dir

log = logging.getLogger(__name__)


def load_encoder(encoder_dir: Path | None = None) -> tuple[Any, Any]:
    """Tokenizer and frozen encoder from a local folder (default: the bundled MiniLM)."""
    from transformers import AutoModel, AutoTokenizer

    folder = encoder_dir or base_encoder_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return tokenizer, AutoModel.from_pretrained(folder, local_files_only=True).eval()


def embed_with(
    tokenizer: Any, model: Any, texts: Sequence[str], *, batch_size: int = 64, max_length: int = 64
) -> Any:
    """Mean-pooled, L2-normalised sentence embeddings, in batches of similar lengths."""
    import numpy as np
    import torch

    encoded = tokenizer([normalise(t) for t in texts], truncation=True, max_length=max_length)[
        "input_ids"
    ]
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            # The tokenizer pads with its own pad id (MPNet's is 1, not 0 as in BERT's vocabulary).
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in chunk]}, return_tensors="pt")
            ids, mask = batch["input_ids"], batch["attention_mask"]
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[chunk] = pooled.numpy()
    return out


def embed(texts: Sequence[str], *, batch_size: int = 64, max_length: int = 64) -> Any:
    """Mean-pooled, L2-normalised sentence embeddings from the frozen bundled encoder."""
    tokenizer, model = load_encoder()
    return embed_with(tokenizer, model, texts, batch_size=batch_size, max_length=max_length)


def frozen_baseline(data_dir: Path, settings: TrainSettings | None = None) -> dict[str, Any]:
    """Macro-F1 and ROC-AUC of "offensive" for every (train set -> held-out set) pair."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, roc_auc_score

    settings = settings or TrainSettings()
    splits = training_split(data_dir, settings)
    train, heldout = splits.train, splits.heldout
    names = list(heldout)
    train_by = {n: [e for e in train if e.source == n] for n in names}
    everything = [e for n in names for e in train_by[n]] + [e for n in names for e in heldout[n]]
    vectors = embed([e.text for e in everything])
    index = {id(e): i for i, e in enumerate(everything)}
    results: dict[str, Any] = {}
    for source in names:
        rows = [index[id(e)] for e in train_by[source]]
        classifier = LogisticRegression(max_iter=2000, class_weight="balanced", C=2.0)
        classifier.fit(vectors[rows], [bool(e.offensive) for e in train_by[source]])
        for target in names:
            test = heldout[target]
            probs = classifier.predict_proba(vectors[[index[id(e)] for e in test]])[:, 1]
            truth = [bool(e.offensive) for e in test]
            results[f"{source}->{target}"] = {
                "train_examples": len(rows),
                "heldout_examples": len(test),
                "macro_f1": round(float(f1_score(truth, probs >= 0.5, average="macro")), 4),
                "roc_auc": round(float(roc_auc_score(truth, probs)), 4),
            }
    return results
