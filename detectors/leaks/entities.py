"""Personal data found in text: what each detail is, where it is, and how sure the check is.

This module only says *what is there*. Each `Entity` carries a score for how sure the detector is
that the span really is that kind of detail: a card number that passes Luhn and has a known
issuer's prefix and length, an IBAN whose ISO 7064 check digits and national length are right, a
national identity number whose scheme's checksum and ranges hold, a phone number that
`phonenumbers` finds valid for a region the post points to. Whether a detail is worth an alert
(whose it is, who it is about) is a separate question, answered by `detectors.leaks.context`
and the policy.

`find_entities` runs every recogniser and keeps one entity per stretch of text: where two
overlap (a card number is also a run of digits a phone parser accepts) the surer one wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.exceptions import ValidationError

from detectors.common.spans import SpanSet
from detectors.leaks.addresses import find_addresses
from detectors.leaks.national_ids import find_national_ids
from detectors.leaks.phones import find_phones
from detectors.leaks.spans import Entity, cue_before, regions_for

__all__ = ["Entity", "find_entities", "find_emails", "find_cards", "find_ibans", "regions_for"]

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,24}\b"
)

# -- cards ---------------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w.,/+-])\d(?:[ -]?\d){11,18}(?![\w.,/-]?\d)")
# Issuer prefixes and lengths (the networks' published IIN ranges).
_ISSUERS: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("amex", re.compile(r"3[47]"), frozenset({15})),
    ("diners", re.compile(r"3(?:0[0-5]|[68])"), frozenset({14, 16})),
    ("jcb", re.compile(r"35(?:2[89]|[3-8]\d)"), frozenset({16, 17, 18, 19})),
    ("jcb", re.compile(r"2131|1800"), frozenset({15})),
    ("visa", re.compile(r"4"), frozenset({13, 16, 19})),
    ("mastercard", re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), frozenset({16})),
    ("mir", re.compile(r"220[0-4]"), frozenset({16, 17, 18, 19})),
    ("discover", re.compile(r"6(?:011|5|4[4-9])"), frozenset({16, 17, 18, 19})),
    ("unionpay", re.compile(r"62"), frozenset({16, 17, 18, 19})),
    ("maestro", re.compile(r"5[06-8]|6\d"), frozenset(range(12, 20))),
)
_CARD_CUE = re.compile(
    r"\b(?:card|cc|credit|debit|visa|master ?card|amex|american express|maestro|discover|jcb|"
    r"carte|tarjeta|karte|kreditkarte|carta|cartão|kaart|karta|kort|kortti|kártya|cvv|pan|"
    r"paid|pay|charged|payment|bought|purchase)\b",
    re.I,
)

# -- IBANs ---------------------------------------------------------------------------------
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_IBAN_CUE = re.compile(r"\b(?:iban|bank|account|acct|konto|compte|cuenta|conto|rekening)\b", re.I)


# -- dates of birth: only a date the text says is a birthday --------------------------------
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:19|20)?\d{{2}}|(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTHS}\.?,?\s+(?:19|20)\d{{2}}|"
    rf"{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})"
)
_DOB = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|birthday|born on|born|b\.|"
    rf"geboren(?: am)?|geburtsdatum|né(?:e)? le|date de naissance|nacid[oa] el|"
    rf"fecha de nacimiento|nat[oa] il|data di nascita|nascid[oa] em|data de nascimento|"
    rf"geboortedatum|urodzon[ya]|data urodzenia|född|født|syntynyt|született)"
    rf"\s*(?:is|was|on|:|-)?\s*({_DATE})",
    re.I,
)


def find_dates_of_birth(text: str) -> list[Entity]:
    # "Born on 3 May 1971? You can apply ..." asks about a date; it is nobody's birthday.
    return [
        Entity(
            "date_of_birth",
            m.start(1),
            m.end(1),
            m.group(1),
            0.4 if text[m.end(1) : m.end(1) + 2].lstrip().startswith("?") else 0.9,
            "birth word",
        )
        for m in _DOB.finditer(text)
    ]


def find_emails(text: str) -> list[Entity]:
    return [
        Entity("email", m.start(), m.end(), m.group(0), 0.95, "address syntax")
        for m in _EMAIL.finditer(text)
    ]


def _issuer(digits: str) -> str | None:
    for name, prefix, lengths in _ISSUERS:
        if prefix.match(digits) and len(digits) in lengths:
            return name
    return None


def find_cards(text: str) -> list[Entity]:
    out = []
    for m in _CARD.finditer(text):
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        if not 12 <= len(digits) <= 19 or not luhn.is_valid(digits) or len(set(digits)) < 4:
            continue
        issuer = _issuer(digits)
        cue = cue_before(text, m.start(), _CARD_CUE, 40)
        # A Luhn digit alone passes one random number in ten: an issuer's prefix and length,
        # or the word "card", is what makes it a card number.
        score = 0.9 if issuer else 0.45
        if cue:
            score += 0.07 if issuer else 0.4
        out.append(
            Entity("credit_card", m.start(), m.end(), raw, min(score, 0.98), "luhn", issuer or "")
        )
    return out


def find_ibans(text: str) -> list[Entity]:
    out = []
    for m in _IBAN.finditer(text):
        raw = m.group(0)
        compact = raw.replace(" ", "")
        # A space-separated run may swallow the next word ("... 42 IBAN"): trim to the longest
        # prefix that checks.
        for end in range(len(compact), 14, -1):
            candidate = compact[:end]
            try:
                std_iban.validate(candidate)
            except ValidationError:
                continue
            score = 0.98
            break
        else:
            from stdnum.iso7064 import mod_97_10

            # Countries missing from the registry stdnum carries still use the ISO 7064 check.
            if not mod_97_10.is_valid(compact[4:] + compact[:4]):
                continue
            candidate, score = compact, 0.85
        end_pos = _position_after(text, m.start(), len(candidate))
        cue = cue_before(text, m.start(), _IBAN_CUE, 40)
        out.append(
            Entity(
                "iban",
                m.start(),
                end_pos,
                text[m.start() : end_pos],
                min(0.99, score + (0.01 if cue else 0.0)),
                "iso7064",
                candidate[:2],
            )
        )
    return out


def _position_after(text: str, start: int, compact_len: int) -> int:
    """The end offset in `text` after `compact_len` non-space characters from `start`."""
    seen, pos = 0, start
    while pos < len(text) and seen < compact_len:
        if text[pos] != " ":
            seen += 1
        pos += 1
    return pos


def resolve(entities: Iterable[Entity]) -> list[Entity]:
    """One entity per stretch of text: of overlapping ones the surer (then longer) is kept."""
    ordered = sorted(entities, key=lambda e: (-e.score, -(e.end - e.start), e.start))
    kept: list[Entity] = []
    taken = SpanSet()
    for entity in ordered:
        if not taken.overlaps(entity.start, entity.end):
            kept.append(entity)
            taken.add(entity.start, entity.end)
    return sorted(kept, key=lambda e: e.start)


def find_entities(
    text: str, *, lang: str | None = None, regions: Sequence[str] = ()
) -> list[Entity]:
    """Every personal detail in `text`. `lang` (the post's language) and `regions` (ISO 3166
    codes, e.g. the organisation's country) say which countries' formats to try first."""
    hints = regions_for(lang, regions)
    found = [
        *find_emails(text),
        *find_cards(text),
        *find_ibans(text),
        *find_national_ids(text, hints),
        *find_dates_of_birth(text),
    ]
    # Phone parsing is the costly part: digits already read as something surer are not retried.
    sure = [(e.start, e.end) for e in found if e.score >= 0.7]
    found += find_phones(text, hints, sure)
    addresses = find_addresses(text)
    # A house number and a postcode side by side read as a phone number; inside an address's
    # span they are the address.
    found = [
        e
        for e in found
        if e.kind != "phone_number"
        or not any(a.start <= e.start and e.end <= a.end and a.score >= 0.7 for a in addresses)
    ]
    return resolve([*found, *addresses])
