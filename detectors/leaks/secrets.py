"""Secrets and credentials in posts: provider API keys and tokens, private keys, passwords.

Provider formats come from detect-secrets' regex plugins (kept current by that project); this
module adds passwords written out in prose ("the wifi password is ...") and long random-looking
tokens, the latter only right after a word that says they are a key or token. Documentation
placeholders (``AKIAIOSFODNN7EXAMPLE``, ``ghp_xxxx...``) are not secrets. Values never leave this
module in clear: evidence keeps a mask and a keyed hash.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from detectors.base import Detector
from pipeline.core.models import Category, Finding, Post
from pipeline.core.values import keyed_hash, load_salt, mask

# label -> (patterns, score, severity). Cloud and signing keys open whole systems: critical.
_GOOGLE_API_KEY = re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")
_PROVIDERS: dict[str, tuple[tuple[re.Pattern[str], ...], float]] = {
    "aws": (tuple(AWSKeyDetector().denylist), 0.95),
    "azure": (tuple(AzureStorageKeyDetector().denylist), 0.95),
    "google": ((_GOOGLE_API_KEY,), 0.9),
    "github": (tuple(GitHubTokenDetector().denylist), 0.95),
    "gitlab": (tuple(GitLabTokenDetector().denylist), 0.95),
    "slack": (tuple(SlackDetector().denylist), 0.9),
    "stripe": (tuple(StripeDetector().denylist), 0.95),
    "openai": (tuple(OpenAIDetector().denylist), 0.9),
    "sendgrid": (tuple(SendGridDetector().denylist), 0.9),
    "twilio": (tuple(TwilioKeyDetector().denylist), 0.9),
    "npm": (tuple(NpmDetector().denylist), 0.9),
    "pypi": (tuple(PypiTokenDetector().denylist), 0.9),
    "discord": (tuple(DiscordBotTokenDetector().denylist), 0.9),
    "telegram": (tuple(TelegramBotTokenDetector().denylist), 0.9),
    "mailchimp": (tuple(MailchimpDetector().denylist), 0.9),
    "square": (tuple(SquareOAuthDetector().denylist), 0.9),
    "jwt": (tuple(JwtTokenDetector().denylist), 0.75),
    "url_credentials": (tuple(BasicAuthDetector().denylist), 0.85),
}
_PRIVATE_KEY_HEADERS = tuple(PrivateKeyDetector().denylist)
_PRIVATE_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")

_PASSWORD = re.compile(
    r"\b(?:password|passwd|pwd|passcode|passphrase|pass ?word|pw|login|pin)\b(?:\s+(?:for|to|of)"
    r"\s+[\w@.'-]+(?:\s+[\w@.'-]+){0,2})?\s*(?:is|was|=|:|->|-)\s*[\"'“‘`]?([^\s\"'”’`]{6,64})",
    re.I,
)
_KEYWORD_TOKEN = re.compile(
    r"\b(?:api[ _-]?key|apikey|access[ _-]?(?:key|token)|auth(?:orization)?[ _-]?token|token|"
    r"secret(?:[ _-]?key)?|client[ _-]?secret|bearer)\b\W{0,4}(?:is\s+|=\s*|:\s*)?[\"'`]?"
    r"([A-Za-z0-9_\-+/=.]{20,200})",
    re.I,
)
# Documentation shapes: AWS's published examples end in EXAMPLE/EXAMPLEKEY; others say "your",
# "xxxx", "<...>", "changeme". A token merely containing a word is still treated as live.
_PLACEHOLDER = re.compile(
    r"EXAMPLE(?:KEY)?$|placeholder|redacted|your[_-]|YOUR|xxxx|XXXX|\*\*\*|\.\.\.|<|>|"
    r"changeme|secret_here|insert[_-]",
)
_COMMON_WORDS = {
    "incorrect",
    "required",
    "expired",
    "changed",
    "wrong",
    "protected",
    "reset",
    "forgotten",
    "needed",
    "optional",
    "invalid",
    "missing",
    "strength",
    "manager",
    "managers",
    "policy",
}


@dataclass
class Secret:
    kind: str
    start: int
    end: int
    value: str
    score: float


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _placeholder(value: str) -> bool:
    core = re.sub(
        r"^(?:AKIA|ASIA|ghp_|gho_|glpat-|xox[a-z]-|sk_live_|rk_live_|sk-|SG\.|AIza)", "", value
    )
    return bool(_PLACEHOLDER.search(value)) or len(set(core)) < 6


def _valid_jwt(value: str) -> bool:
    head = value.split(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _password_like(value: str) -> bool:
    if value.casefold().strip(".,;!?") in _COMMON_WORDS or value.startswith(("http", "@", "#")):
        return False
    classes = sum(
        bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    return classes >= 2 and bool(re.search(r"[0-9!@#$%^&*]", value))


def find_secrets(text: str) -> Iterator[Secret]:
    """Every secret in `text`, each once, with its span."""
    for kind, (patterns, score) in _PROVIDERS.items():
        for pattern in patterns:
            for m in pattern.finditer(text):
                # Some plugins capture the value (basic auth), others only a prefix (ghp|gho).
                group = 1 if m.re.groups and len(m.group(1) or "") >= 8 else 0
                value = m.group(group)
                if _placeholder(value) or (kind == "jwt" and not _valid_jwt(value)):
                    continue
                yield Secret(kind, m.start(group), m.end(group), value, score)
    for pattern in _PRIVATE_KEY_HEADERS:
        for m in pattern.finditer(text):
            end_marker = _PRIVATE_KEY_END.search(text, m.end(), m.end() + 8000)
            line_start = text.rfind("\n", 0, m.start()) + 1
            start = line_start if text[line_start : m.start()].strip("- ") == "" else m.start()
            end = end_marker.end() if end_marker else min(len(text), m.end() + 80)
            body = text[m.end() : end]
            if _placeholder(re.sub(r"\s", "", body)[:200]) and "EXAMPLE" in body.upper():
                continue
            yield Secret("private_key", start, end, text[start:end], 0.97)
    for m in _PASSWORD.finditer(text):
        value = m.group(1).rstrip(".,;)")
        if _password_like(value) and not _placeholder(value):
            yield Secret("password", m.start(1), m.start(1) + len(value), value, 0.8)
    for m in _KEYWORD_TOKEN.finditer(text):
        value = m.group(1).rstrip(".,;")
        if (
            _entropy(value) >= 3.6
            and re.search(r"[0-9]", value)
            and re.search(r"[A-Za-z]", value)
            and not _placeholder(value)
        ):
            yield Secret("generic", m.start(1), m.start(1) + len(value), value, 0.7)


def _unique(secrets: list[Secret]) -> list[Secret]:
    """Overlapping matches of one value keep the most specific (highest-scoring) kind."""
    secrets.sort(key=lambda s: (-s.score, s.start))
    kept: list[Secret] = []
    for secret in secrets:
        if not any(secret.start < k.end and k.start < secret.end for k in kept):
            kept.append(secret)
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
    if secret.kind == "private_key":
        return secret.value.splitlines()[0][:60] + " [key body withheld]"
    if secret.kind in ("password", "generic", "url_credentials"):
        return mask(secret.value, head=1)
    return mask(secret.value, head=4)


def _same_length_mask(secret: Secret) -> str:
    if secret.end - secret.start != len(secret.value):  # a whole OCR line
        return "•" * (secret.end - secret.start)
    if secret.kind == "private_key":
        return mask(secret.value, head=len(secret.value.splitlines()[0]))
    return _masked(secret)


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
                        found.append(Secret(s.kind, start, end, s.value, s.score))
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
                "in": "text" if s.end <= text_len else "image",
            }
            for s in secrets
        ]
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.confidential,
            signals=sorted({f"secret:{s.kind}" for s in secrets}),
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
                # Masks as long as what they cover, so offsets stay valid after masking.
                "redactions": [
                    {"start": s.start, "end": s.end, "mask": _same_length_mask(s)} for s in secrets
                ],
                "terms": [f"secret:{s.kind}" for s in secrets],
            },
        )
