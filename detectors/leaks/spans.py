"""What the personal-data recognisers share: the `Entity` they return, the words around a span,
and which countries a post's language points to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Entity:
    """One personal detail in a text.

    `score` is how sure the recogniser is that the span is this kind of detail (a checksum that
    holds, a number valid for the region), not whether it is worth an alert. `check` names what
    confirmed it; `detail` is the sub-kind (card issuer, IBAN country, id scheme, phone region).
    """

    kind: str
    start: int
    end: int
    value: str
    score: float
    check: str = ""
    detail: str = ""


def alternation(words: str) -> str:
    """A regex for any of the '|'-separated literal `words` ("\\." stands for a dot), built as a
    trie so the regex engine rejects a position on its first letter instead of trying every
    word: the word lists here are long and are tried at every word boundary."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words.split("|"):
        node = trie
        for ch in word.replace("\\.", "."):
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        optional = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if optional:
            return f"(?:{body})?"
        return body

    return "(?:" + build(trie) + ")"


def cue_before(text: str, start: int, cue: re.Pattern[str], width: int) -> str:
    """The cue word found in the `width` characters before `start`, or ''."""
    matches = list(cue.finditer(text, max(0, start - width), start))
    return matches[-1].group(0) if matches else ""


# A post's language -> the countries whose number formats it most likely uses, most likely first.
_LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("GB", "US", "IE", "CA", "AU", "NZ", "IN"),
    "de": ("DE", "AT", "CH"),
    "fr": ("FR", "BE", "CH", "CA"),
    "nl": ("NL", "BE"),
    "es": ("ES", "MX", "AR", "CO", "CL"),
    "it": ("IT", "CH"),
    "pt": ("PT", "BR"),
    "pl": ("PL",),
    "cs": ("CZ",),
    "sk": ("SK",),
    "hu": ("HU",),
    "ro": ("RO",),
    "sv": ("SE", "FI"),
    "da": ("DK",),
    "no": ("NO",),
    "nb": ("NO",),
    "nn": ("NO",),
    "fi": ("FI",),
    "tr": ("TR",),
    "ru": ("RU", "UA", "BY", "KZ"),
    "uk": ("UA",),
    "hr": ("HR",),
    "el": ("GR", "CY"),
    "id": ("ID",),
    "bg": ("BG",),
    "ja": ("JP",),
    "zh": ("CN", "TW", "HK"),
    "ko": ("KR",),
    "he": ("IL",),
    "ar": ("SA", "AE", "EG"),
    "fa": ("IR",),
    "th": ("TH",),
    "vi": ("VN",),
    "et": ("EE",),
}
# Tried after the hinted ones, for a number in a post whose language says nothing about it.
FALLBACK_REGIONS: tuple[str, ...] = (
    "GB", "US", "DE", "FR", "ES", "IT", "NL", "PL", "PT", "BR", "IN", "CA", "AU", "IE", "BE",
    "CH", "AT", "SE", "NO", "DK", "FI", "CZ", "SK", "HU", "RO", "GR", "TR", "RU", "UA", "HR",
    "MX", "AR", "ID", "NZ", "CN", "JP", "KR", "NG", "PK", "BD", "SG", "MY", "ZA",
)  # fmt: skip


def regions_for(lang: str | None, regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Hint regions: the language's, then the given ones (e.g. the organisation's country)."""
    base = (lang or "").split("-")[0].split("_")[0].lower()
    out: list[str] = []
    for region in (*_LANGUAGE_REGIONS.get(base, ()), *(r.upper() for r in regions)):
        if region not in out:
            out.append(region)
    return tuple(out)
