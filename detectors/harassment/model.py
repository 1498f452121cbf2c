"""The text classifier behind the harassment detector: normalising, loading and scoring.

The model runs through ONNX Runtime from a model directory holding ``model.onnx`` (int8 for the
bundled one), the tokenizer files and ``model.json`` (label names, activation, decision
thresholds). The bundled directory is ``detectors/harassment/artefact/``; `crestwatch train
harassment` writes it and `crestwatch export harassment` turns any Hugging Face classifier into
one. Neither PyTorch nor the encoder package is needed at run time.

Every token window is scored on its own, never padded into a batch with other posts: dynamic
int8 quantisation scales activations over the whole input tensor, so a batched post's score
moved with its neighbours (by up to 0.2). Windows run on a small pool of threads instead, each
ORT call single-threaded, which measured faster than padded batches on two cores and makes a
post's score a function of its own text alone.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import emoji
import numpy as np

from pipeline.core.limits import TEXT_WINDOW

log = logging.getLogger(__name__)

ARTEFACT_DIR = Path(__file__).resolve().parent / "artefact"
ONNX_FILE = "model.onnx"
META_FILE = "model.json"

# Labels the default model's heads predict. "targeted" is OLID's targeted insult or threat.
MODEL_LABELS: tuple[str, ...] = ("offensive", "targeted", "identity_attack")

# Nothing past this many characters of one text is tokenised: the detector hands the scorer
# text windows of this size (pipeline.core.limits.text_windows), so a long post is read whole.
MAX_CHARS = TEXT_WINDOW

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
    # Every emoji has a character outside ASCII; most posts have none, and the emoji package's
    # count reads the text in Python, character by character.
    if text.isascii() or not emoji.emoji_count(text):
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


def read_meta(model_dir: Path) -> dict[str, Any]:
    """A model directory's ``model.json``, with a clear error for anything else."""
    meta_path = model_dir / META_FILE
    if not (model_dir / ONNX_FILE).is_file() or not meta_path.is_file():
        if (model_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"{model_dir}: a Hugging Face model directory, not an exported one; run "
                f"`crestwatch export harassment --model-dir {model_dir} --out DIR` (needs the "
                "`train` extra) and configure DIR"
            )
        raise FileNotFoundError(
            f"{model_dir}: not a harassment model directory (no {ONNX_FILE} and {META_FILE}); "
            "`crestwatch train harassment` or `crestwatch export harassment` writes one"
        )
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    if not meta.get("labels"):
        raise ValueError(f"{meta_path}: labels: missing")
    return meta


TOKENIZER_FILE = "tokenizer.json"


def load_tokenizer(model_dir: Path) -> Any:
    """The tokenizer transformers saved beside the model (``tokenizer.json``), run by
    `tokenizers`, the library under transformers' fast tokenizers.

    Importing transformers' tokenizer classes costs 1-2.6 s per process, more than loading every
    detector together; `tokenizers` loads the same file in 0.03 s. A test pins that both give
    the same windows.
    """
    from tokenizers import Tokenizer

    path = model_dir / TOKENIZER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; export the model again to write it")
    return Tokenizer.from_file(str(path))


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class TextScorer:
    """Scores texts with an exported sequence classifier; one {label: score} dict per text."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        *,
        model_labels: Sequence[str],
        label_map: Mapping[str, str] | None = None,
        activation: Activation = "sigmoid",
        max_length: int = 128,
        max_windows: int = 4,
        threads: int | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.activation = activation
        self.max_length = max_length
        self.max_windows = max(1, max_windows)
        self.threads = max(1, threads or default_threads())
        names = [str(n) for n in model_labels]
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
        # shifted so that a score of 0.5 means "at the threshold".
        self.thresholds = dict(thresholds or {})
        if self.thresholds and activation != "sigmoid":
            raise ValueError("decision thresholds need a sigmoid (multi-label) model")
        self._shift = np.zeros(len(names), np.float64)
        for column, label in self.columns:
            t = self.thresholds.get(label)
            if t is not None:
                if not 0.0 < t < 1.0:
                    raise ValueError(f"threshold for {label!r} must be between 0 and 1, not {t}")
                self._shift[column] = math.log(t / (1.0 - t))
        # Consecutive windows overlap by `stride` tokens, so a phrase cut at a window's edge is
        # read whole in the next one.
        tokenizer.enable_truncation(max_length, stride=min(32, max_length // 4))
        tokenizer.no_padding()
        self._inputs = {i.name for i in session.get_inputs()}
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="harassment")

    @classmethod
    def from_dir(
        cls,
        model_dir: Path = ARTEFACT_DIR,
        *,
        calibrated: bool = True,
        activation: Activation | None = None,
        **kwargs: Any,
    ) -> TextScorer:
        """The exported model in `model_dir`; `calibrated` applies the decision thresholds
        chosen for it at training time, so 0.5 is the decision point."""
        import onnxruntime as ort

        meta = read_meta(model_dir)
        options = ort.SessionOptions()
        # One thread per call; parallelism comes from scoring windows on several threads.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(model_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        kwargs.setdefault("max_length", int(meta.get("max_length", 128)))
        if calibrated:
            kwargs.setdefault("thresholds", meta.get("thresholds", {}).get(meta_mode(meta)))
        return cls(
            session,
            load_tokenizer(model_dir),
            model_labels=meta["labels"],
            activation=activation or meta.get("activation", "sigmoid"),
            **kwargs,
        )

    def _windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token windows for every non-empty text, and which text each window belongs to."""
        windows: list[list[int]] = []
        owners: list[int] = []
        present = [(i, t) for i, t in enumerate(texts) if t]
        if not present:
            return windows, owners
        encodings = self.tokenizer.encode_batch([t for _, t in present])
        for (owner, _), encoding in zip(present, encodings, strict=True):
            for part in [encoding, *encoding.overflowing][: self.max_windows]:
                windows.append(list(part.ids))
                owners.append(owner)
        return windows, owners

    def _probabilities(self, window: tuple[int, ...]) -> list[float]:
        ids = np.asarray([window], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        logits = np.asarray(self.session.run(None, feed)[0][0], np.float64) - self._shift
        if self.activation == "sigmoid":
            probs = 1.0 / (1.0 + np.exp(-logits))
        else:
            exp = np.exp(logits - logits.max())
            probs = exp / exp.sum()
        return [float(p) for p in probs]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Normalise and score `texts`; an empty text scores 0 for every label."""
        cleaned = [normalise(t or "") for t in texts]
        results: list[dict[str, float]] = [dict.fromkeys(self.labels, 0.0) for _ in texts]
        windows, owners = self._windows(cleaned)
        # The same window (a repost, a copied reply) is scored once.
        unique = list(dict.fromkeys(tuple(w) for w in windows))
        scored = dict(zip(unique, self._pool.map(self._probabilities, unique), strict=True))
        for window, owner in zip(windows, owners, strict=True):
            probs, target = scored[tuple(window)], results[owner]
            for column, label in self.columns:
                target[label] = max(target[label], probs[column])
        return results


def meta_mode(meta: Mapping[str, Any]) -> str:
    """Which scoring mode's thresholds apply to the exported file ("int8" or "float32")."""
    return str(meta.get("quantisation", "int8"))
