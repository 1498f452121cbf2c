"""Secrets and personal details are stored masked: in evidence, and in the hit's post text."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from pipeline.core.masking import redact, redact_post
from pipeline.core.models import Hit
from pipeline.core.values import keyed_hash, load_salt, mask, mask_email, masked
from pipeline.policy.engine import Policy
from tests.factories import make_post

AWS_KEY = "AKIA" + "Q3EGRT7YH2LMN5PX"
PHONE = "07700 900123"


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("07700 900123", "phone_number", "[•••• phone_number, 8-15 chars]"),
        (AWS_KEY, "aws", "[•••• aws, 16-31 chars]"),
        ("E3 5AB", "postcode", "[•••• postcode, 1-7 chars]"),
        ("x" * 64, "private key", "[•••• private_key, 64+ chars]"),
    ],
)
def test_mask_keeps_kind_and_length_bucket_only(value: str, kind: str, expected: str) -> None:
    assert masked(kind, value) == expected
    # The older spelling keeps nothing either, whatever it is asked to keep.
    assert mask(value, head=4, tail=3) == masked("value", value)


def test_mask_email_keeps_nothing_of_the_address() -> None:
    shown = mask_email("d.harris1972@gmail.com")
    assert shown == "[•••• email, 16-31 chars]"


def test_keyed_hash_is_stable_per_salt_and_ignores_spacing() -> None:
    assert keyed_hash("07700 900123", b"a") == keyed_hash("07700900123", b"a")
    assert keyed_hash("07700 900123", b"a") != keyed_hash("07700 900123", b"b")


def test_salt_file_is_created_once_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRESTWATCH_HASH_SALT", raising=False)
    first = load_salt(tmp_path)
    assert load_salt(tmp_path) == first and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "cache" / "hash.salt").st_mode)
    assert mode == 0o600


def test_redact_replaces_spans_and_ignores_bad_ones() -> None:
    text = "call 07700 900123 now"
    spans = [
        # A detector's own mask is not used: it might keep part of the value.
        {"start": 5, "end": 17, "mask": "••••• •••123", "kind": "phone_number"},
        {"start": 40, "end": 50},  # outside the text: ignored
        {"start": "5", "end": 9},  # not offsets: ignored
    ]
    assert redact(text, spans) == "call [•••• phone_number, 8-15 chars] now"
    assert redact(text, []) == text


def test_overlapping_redactions_mask_their_union() -> None:
    text = "call 07700 900123 now"
    spans = [{"start": 5, "end": 17, "kind": "phone_number"}, {"start": 3, "end": 8}]
    assert redact(text, spans) == "cal[•••• phone_number, 8-15 chars] now"


@pytest.mark.parametrize(
    ("detector", "text", "clear"),
    [
        ("secrets", f"prod key {AWS_KEY} in the chat", AWS_KEY),
        ("personal_data", f"Dr Priya Venkataraman, her mobile is {PHONE}", PHONE),
        ("secrets", "the wifi password is Qm!Library2026 btw", "Qm!Library2026"),
    ],
)
def test_stored_hit_never_holds_the_value_in_clear(
    detector: str, text: str, clear: str, leak_detectors: dict[str, object]
) -> None:
    post = make_post(1, text=text)
    (finding,) = leak_detectors[detector].detect([post])  # type: ignore[attr-defined]
    # As the runner stores it: the post masked from every finding, then the policy's decision.
    config = leak_detectors[detector].config  # type: ignore[attr-defined]
    decision = Policy(config).decide(finding, post)
    hit = Hit.from_finding(finding, redact_post(post, [finding]), decision)
    stored = json.dumps(hit.model_dump(mode="json"), ensure_ascii=False)
    assert clear not in stored
    assert "•" in hit.post_text
    span = finding.evidence["spans"][0]
    assert len(span["hash"]) == 32 and span["text"] != clear


def test_hits_without_redactions_keep_their_text(leak_detectors: dict[str, object]) -> None:
    post = make_post(2, text="STRICTLY CONFIDENTIAL memo about the Astrophysics closure")
    (finding,) = leak_detectors["confidential"].detect([post])  # type: ignore[attr-defined]
    config = leak_detectors["confidential"].config  # type: ignore[attr-defined]
    decision = Policy(config).decide(finding, post)
    assert Hit.from_finding(finding, redact_post(post, [finding]), decision).post_text == post.text
