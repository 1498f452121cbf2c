"""The text the classifier reads (one normaliser for training and scoring); training batches."""

from __future__ import annotations

import random

import pytest

from detectors.harassment.model import ARTEFACT_DIR, load_tokenizer, normalise
from detectors.harassment.training.batches import length_bucketed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@USER @USER @USER you are a clown", "@USER you are a clown"),
        ("@ann @bob_2 @carl.x you are a clown", "@USER you are a clown"),
        ("RT @USER: hello @USER @USER", "hello @USER"),
        ("you 😂😂😂 ok", "you face with tears of joy ok"),
        ("here 🖕🖕 and 🔪", "here middle finger and kitchen knife"),
        ("🔪🖕🔪", "kitchen knife middle finger kitchen knife"),
        ("a 👍🏽 b", "a thumbs up medium skin tone b"),
        ("see https://example.org/x &amp; more", "see URL & more"),
        ("no emoji here", "no emoji here"),
        ("nul\x00mark 😂", "nul mark face with tears of joy"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_survives_lone_surrogates_and_caps_length() -> None:
    assert normalise("\ud800 fine 😂") == "? fine face with tears of joy"
    assert len(normalise("😂 x " * 50_000, max_chars=500)) <= 500


def test_emoji_no_longer_reach_the_encoder_as_unknown_tokens() -> None:
    tokenizer = load_tokenizer(ARTEFACT_DIR)
    unknown = tokenizer.token_to_id("[UNK]")
    text = "@USER 🖕 🤡 🔪 😡"
    assert unknown in tokenizer.encode(text).ids
    assert unknown not in tokenizer.encode(normalise(text)).ids


WINDOW_TEXTS = [
    "hello you idiot",
    " ".join(["word"] * 1000),
    "émoji 🤡 text, Привет, 你好 " * 80,
    "a",
    "@USER " * 300 + "you are pathetic",
]


def test_windows_are_the_ones_transformers_tokenizer_makes() -> None:
    """The detector runs the saved tokenizer.json through `tokenizers`; transformers' own
    tokenizer, asked for the same truncation, stride and overflow, must give the same windows."""
    from transformers import AutoTokenizer

    from detectors.harassment.model import TextScorer

    scorer = TextScorer.from_dir(max_windows=100)
    windows, owners = scorer._windows(WINDOW_TEXTS)
    reference = AutoTokenizer.from_pretrained(ARTEFACT_DIR, local_files_only=True)(
        WINDOW_TEXTS,
        truncation=True,
        max_length=128,
        stride=32,
        return_overflowing_tokens=True,
    )
    assert windows == [list(ids) for ids in reference["input_ids"]]
    assert owners == list(reference["overflow_to_sample_mapping"])
    assert owners.count(1) > 4  # the long text really was read in several windows


def test_length_bucketed_batches_cover_every_example_once_and_pad_little() -> None:
    rng = random.Random(3)
    encoded = [[0] * rng.randint(3, 96) for _ in range(5000)]
    batches = length_bucketed(encoded, 32, random.Random(1))
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(encoded)))
    assert all(1 <= len(b) <= 32 for b in batches)

    def padded(groups: list[list[int]]) -> int:
        return sum(len(g) * max(len(encoded[i]) for i in g) for g in groups)

    plain = list(range(len(encoded)))
    random.Random(1).shuffle(plain)
    unsorted = [plain[i : i + 32] for i in range(0, len(plain), 32)]
    assert padded(batches) < 0.6 * padded(unsorted)
    # A new epoch draws new batches; the same seed draws the same ones.
    assert length_bucketed(encoded, 32, random.Random(1)) == batches
    assert length_bucketed(encoded, 32, random.Random(2)) != batches


def test_the_bundled_model_reads_emoji_insults() -> None:
    """Before emoji were spelled out every one of these scored about 0.1: all read as [UNK]."""
    from detectors.harassment.model import TextScorer

    insults = ["@USER you 🤡", "@USER 💩"]
    benign = ["great lecture today 👏👏", "exam results out 🎉", "@USER 😂😂 love this"]
    scores = [s["offensive"] for s in TextScorer.from_dir().score(insults + benign)]
    assert min(scores[: len(insults)]) > 0.4
    assert max(scores[len(insults) :]) < 0.15
