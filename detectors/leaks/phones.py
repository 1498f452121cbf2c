"""Phone numbers in any country's format, checked with `phonenumbers` (Google's libphonenumber
metadata).

Candidates are runs of digits with the separators people write numbers with ("+44 (0)20 7882
5555", "(591) 341-7776", "0680 298 70 63", "06-7/491 1862"). A number written with its country
code is parsed as it stands; any other is tried against the regions the post's language points
to, and then against a list of common regions. The score says how sure it is a phone number:
valid in a hinted region is surest, a number merely of the right length less so, and a bare run
of digits with no phone word near it least.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import NumberParseException

from detectors.common.spans import SpanSet
from detectors.leaks.spans import FALLBACK_REGIONS, Entity

_CANDIDATE = re.compile(
    r"(?<![\w+/.:,#@£$€-])(?:\(?\+\d{1,3}\)?|\(\d{1,5}\)|\d)[\d ().\-/]{4,24}\d"
    r"(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?(?![\w/:]|[.,\-/:]\d)"
)
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|#)\s?\d{1,6}$")
_DATE_OR_TIME = re.compile(
    r"^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}[:.]\d{2}(?:[:.]\d{2})?|"
    r"(?:19|20)\d{2}\s?[-/]\s?(?:19|20)?\d{2}|\d{1,3}(?:\.\d{1,3}){3}|"
    # postcodes written with a hyphen: Brazil, the US (ZIP+4), Portugal, Poland
    r"\d{5}-\d{3,4}|\d{4}-\d{3}|\d{2}-\d{3}|"
    # a date and an hour ("2018-09-14 23"), a count with thousands spaces ("1 499 900")
    r"(?:19|20)\d{2}-\d{2}-\d{2}.*|\d{1,2}(?: \d{3}){1,3})$"
)
_PHONE_CUE = re.compile(
    r"(?:phone|tel|telephone|mobile|mob|cell|call|ring|text|whatsapp|signal|sms|number|no\.|"
    r"contact|fax|reach|handy|telefon|rufnummer|anrufen|téléphone|portable|numéro|appeler|"
    r"teléfono|móvil|celular|llamar|número|telefono|cellulare|chiamare|numero|telefoon|mobiel|"
    r"bellen|nummer|numer|komórka|telefonu|puhelin|soita|telefonszám|telefonní|číslo|"
    r"τηλέφωνο|телефон|номер|тел|telefone|ligar|☎|📞|📱)\W{0,6}(?:\w+\W{1,3}){0,3}$",
    re.I,
)
_NOT_PHONE_BEFORE = re.compile(
    r"(?:isbn|issn|doi|£|\$|€|order|invoice|ref(?:erence)?|case|ticket|account|sort code|"
    r"version|v|id|iban|bic|swift|card|pin|code|room|page|pp|ssn|nino|pesel|bsn|cpf|"
    r"passport|licen[cs]e|plate|serial|tracking|parcel|postcode|zip|student|staff|employee|"
    r"matric|candidate|membership|customer)"
    r"(?:\s+(?:number|no\.?|nr\.?|num))?\s*[:#.]?\s*$",
    re.I,
)


def warm_up() -> None:
    """Load the number metadata of every region tried, once, before the first batch (it is read
    lazily on a region's first number otherwise), and keep the metadata's compiled patterns:
    numbers from forty regions hold more patterns than the re module's own cache."""
    from phonenumbers import re_util

    re_util.enable_pattern_cache()
    for region in FALLBACK_REGIONS:
        example = phonenumbers.example_number(region)
        if example is not None:
            phonenumbers.is_valid_number(example)


def _digits(raw: str) -> str:
    return re.sub(r"\D", "", raw)


def _parse(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except NumberParseException:
        return None


def _judge(raw: str, hints: Sequence[str], *, fallback: bool) -> tuple[float, str] | None:
    """(score, region) for the best reading of `raw` as a phone number, or None."""
    number = _EXTENSION.sub("", raw).strip()
    digits = _digits(number)
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
        return None
    compact = number.lstrip("(")
    if compact.startswith("00") and not compact.startswith("000"):
        number = "+" + compact[2:]
        compact = number
    if compact.startswith("+"):
        parsed = _parse(number, None)
        if parsed is None:
            return None
        region = phonenumbers.region_code_for_number(parsed) or ""
        if phonenumbers.is_valid_number(parsed):
            return 0.92, region
        if phonenumbers.is_possible_number(parsed):
            return 0.8, region
        # A known country code and a plausible length, written the way numbers are.
        if region and 8 <= len(digits) <= 15:
            return 0.6, region
        return None
    readings = [(region, _parse(number, region)) for region in hints]
    for region, parsed in readings:
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return 0.85, region
    for region, parsed in readings:
        if parsed is not None and phonenumbers.is_possible_number(parsed):
            return 0.65, region
    if not fallback:
        return None
    for region in FALLBACK_REGIONS:
        if region in hints:
            continue
        parsed = _parse(number, region)
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return 0.6, region
    return None


def _readings(raw: str) -> list[str]:
    """The candidate, then the candidate less its last group or two: a run of groups can join a
    number to the figure after it ("020 7882 5555 2nd")."""
    out = [raw]
    for _ in range(2):
        head, sep, _tail = out[-1].rpartition(" ")
        if not sep or len(_digits(head)) < 7:
            break
        out.append(head.rstrip(" -./"))
    return out


def find_phones(
    text: str, hints: Sequence[str], taken: Sequence[tuple[int, int]] = ()
) -> list[Entity]:
    """Phone numbers in `text`; spans in `taken` (surer details: cards, IBANs, ids) are skipped."""
    out = []
    surer = SpanSet()
    for s, e in taken:
        surer.add(s, e)
    for m in _CANDIDATE.finditer(text):
        if surer.overlaps(m.start(), m.end()):
            continue
        if _NOT_PHONE_BEFORE.search(text[max(0, m.start() - 16) : m.start()]):
            continue
        cue = _PHONE_CUE.search(text[max(0, m.start() - 40) : m.start()])
        best: tuple[float, str, str] | None = None
        for raw in _readings(m.group(0).rstrip(" -./()")):
            if _DATE_OR_TIME.match(raw):
                break
            formatted = bool(re.search(r"[ ().\-/+]", raw))
            # Other countries' formats are tried only for what is written like a phone number.
            judged = _judge(raw, hints, fallback=bool(cue) or formatted)
            # The surest reading wins: "718-622-0221 - 24" is the number less the " - 24".
            if judged is not None and (best is None or judged[0] > best[0]):
                best = (judged[0], judged[1], raw)
        if best is not None:
            score, region, raw = best
            formatted = bool(re.search(r"[ ().\-/+]", raw))
            if cue:
                score += 0.08
            elif not formatted:
                # A bare run of digits with no phone word near it is as likely an id or amount.
                score -= 0.2
            start = m.start() + (1 if raw.startswith("(") and ")" not in raw else 0)
            out.append(
                Entity(
                    "phone_number",
                    start,
                    start + len(raw),
                    raw,
                    round(min(score, 0.97), 3),
                    "phonenumbers",
                    region,
                )
            )
    return out
