"""Secrets and credentials in posts: provider API keys and tokens, private keys, passwords.

What counts as a secret, and what a secret scanner lets through, is `detectors.leaks.secret_scan`:
detect-secrets' regex plugins as that project ships them, documented prefixes of providers it has
no plugin for, keyword assignments in code, config, env files and connection strings, passwords
in prose, entropy only as a keyword's value, and the scanners' allow-lists (documentation
examples, placeholders, template variables). This module runs it over a post and its images'
text (with OCR's spaces inside tokens removed) and reports one finding. Values never leave it in
clear: evidence keeps a mask and a keyed hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from detectors.base import Detector
from detectors.common.spans import SpanSet
from detectors.leaks.secret_scan import SecretMatch, find_secrets
from pipeline.core.models import Category, Finding, Post
from pipeline.core.values import keyed_hash, load_salt, masked

# One secret found: kind, span, value, how sure, and the rule that found it.
Secret = SecretMatch

__all__ = ["Secret", "SecretsDetector", "find_secrets"]


def _unique(secrets: list[Secret]) -> list[Secret]:
    """Overlapping matches of one value keep the most specific (highest-scoring) kind."""
    secrets.sort(key=lambda s: (-s.score, s.start))
    kept: list[Secret] = []
    taken = SpanSet()
    for secret in secrets:
        if not taken.overlaps(secret.start, secret.end):
            kept.append(secret)
            taken.add(secret.start, secret.end)
    return sorted(kept, key=lambda s: s.start)


def _despaced_lines(text: str, offset: int) -> Iterator[tuple[int, int, str]]:
    """OCR splits long tokens at spaces ("AKIAQ3EG RT7Y..."); lines of image text are also
    scanned with the spaces inside token runs removed. Yields (start, end, despaced line)."""
    pos = 0
    for line in text.split("\n"):
        joined = re.sub(r"(?<=[A-Za-z0-9_\-])\s(?=[A-Za-z0-9_\-])", "", line)
        if joined != line:
            yield offset + pos, offset + pos + len(line), joined
        pos += len(line) + 1


def _masked(secret: Secret) -> str:
    # Kind and length bucket only: a prefix such as AKIA or a first letter narrows the value.
    return masked(secret.kind, secret.value)


def _signals(secrets: list[Secret], text_len: int) -> list[str]:
    """The kinds (`secret:aws`, ...), whether a provider's own format or only a keyword found it
    (`provider_format`, `keyword_only`), and `in_image` for text read from an image."""
    signals = {f"secret:{s.kind}" for s in secrets}
    if any(s.rule != "keyword" for s in secrets):
        signals.add("provider_format")
    else:
        signals.add("keyword_only")
    if any(s.end > text_len for s in secrets):
        signals.add("in_image")
    return sorted(signals)


class SecretsDetector(Detector):
    name = "secrets"
    categories = (Category.confidential,)

    def load(self) -> None:
        self._salt = load_salt(self.config.data_path())
        self._loaded = True

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        findings = []
        for post in posts:
            text = post.all_text()
            found = list(find_secrets(text))
            if len(text) > len(post.text):
                image_text = text[len(post.text) :]
                for start, end, line in _despaced_lines(image_text, len(post.text)):
                    for s in find_secrets(line):
                        # Offsets in a despaced line are approximate: mark the whole line.
                        found.append(Secret(s.kind, start, end, s.value, s.score, s.rule))
            secrets = _unique(found)
            if secrets:
                findings.append(self._finding(post, secrets))
        return findings

    def _finding(self, post: Post, secrets: list[Secret]) -> Finding:
        labels: dict[str, float] = {"secret": max(s.score for s in secrets)}
        for s in secrets:
            labels[f"secret:{s.kind}"] = max(s.score, labels.get(f"secret:{s.kind}", 0.0))
        kinds = sorted({s.kind.replace("_", " ") for s in secrets})
        text_len = len(post.text)
        spans = [
            {
                "start": s.start,
                "end": s.end,
                "text": _masked(s),
                "kind": s.kind,
                "hash": keyed_hash(s.value, self._salt),
                "score": s.score,
                "rule": s.rule,
                "in": "text" if s.end <= text_len else "image",
            }
            for s in secrets
        ]
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.confidential,
            signals=_signals(secrets, len(post.text)),
            score=labels["secret"],
            explanation=(
                f"Post exposes what looks like a live credential ({', '.join(kinds)}); "
                "it should be revoked."
            ),
            evidence={
                # A keyword list (the Elasticsearch mapping); every kind listed is a live finding.
                "labels": sorted(labels),
                "label_scores": labels,
                "spans": spans,
                # The store masks these spans (pipeline.core.masking) with the kind named here.
                "redactions": [
                    {"start": s.start, "end": s.end, "kind": s.kind} for s in secrets
                ],
                "terms": [f"secret:{s.kind}" for s in secrets],
            },
        )
