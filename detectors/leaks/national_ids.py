"""National identity numbers, each checked by its scheme's own rules (python-stdnum): the US SSN
with its never-issued ranges, the UK National Insurance number's prefixes, and the checksums of
France's NIR, Italy's codice fiscale, the Dutch BSN, Poland's PESEL, the Nordic personal
numbers, Brazil's CPF, Spain's DNI and NIE and others.

Many schemes are a bare run of 9 to 13 digits with a mod-11 check digit, and a random run of
digits passes one such check in about ten. So a number is called an id with confidence when its
scheme is named nearby ("SSN", "PESEL", "codice fiscale") or its written shape is the scheme's
own (123-45-6789, 756.1234.5678.97); a bare run of digits that merely checks, in a post whose
language points to that country, scores below the usual threshold.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detectors.leaks.spans import Entity


@dataclass(frozen=True)
class Scheme:
    name: str  # stdnum module path, or "gb.nino"
    region: str
    pattern: re.Pattern[str]
    cue: re.Pattern[str]
    # True when the written shape alone says which scheme this is (dashes, dots, letters).
    distinctive: bool


def _scheme(name: str, region: str, pattern: str, cue: str, *, distinctive: bool = False) -> Scheme:
    bounded = rf"(?<![\w.\-/]){pattern}(?![\w]|[.\-/]\w)"
    return Scheme(name, region, re.compile(bounded), re.compile(cue, re.I), distinctive)


_GENERIC_CUE = re.compile(
    r"\b(?:national (?:id|identity|insurance)|id(?:entity)? (?:number|no|card|nr)|identity|"
    r"personal (?:number|code|id)|citizen|passport|tax (?:id|number|code)|social|"
    r"ausweis|personalausweis|identité|identidad|identità|documento|identificação|"
    r"identiteit|tożsamości|identifikační|személyi|kimlik|личност|паспорт|ID)\b",
    re.I,
)

SCHEMES: tuple[Scheme, ...] = (
    _scheme(
        "us.ssn", "US", r"\d{3}-\d{2}-\d{4}", r"\b(?:ssn|social security|ss#)", distinctive=True
    ),
    _scheme("us.ssn", "US", r"\d{3} \d{2} \d{4}|\d{9}", r"\b(?:ssn|social security|ss#)"),
    _scheme(
        "gb.nino",
        "GB",
        r"[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]",
        r"\b(?:nino|ni (?:number|no)|national insurance)",
        distinctive=True,
    ),
    _scheme(
        "fr.nir",
        "FR",
        r"[12](?: ?\d{2}){2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}",
        r"\b(?:nir|insee|s[ée]cu(?:rit[ée] sociale)?|carte vitale)",
    ),
    _scheme(
        "it.codicefiscale",
        "IT",
        r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]",
        r"\b(?:codice fiscale|c\.?f\.?)",
        distinctive=True,
    ),
    _scheme("nl.bsn", "NL", r"\d{4}\.?\d{2}\.?\d{3}|\d{9}", r"\b(?:bsn|burgerservice|sofi)"),
    _scheme("pl.pesel", "PL", r"\d{11}", r"\bpesel"),
    _scheme(
        "se.personnummer",
        "SE",
        r"(?:\d{2})?\d{6}[-+]\d{4}",
        r"\b(?:personnummer|personnr)",
        distinctive=True,
    ),
    _scheme("no.fodselsnummer", "NO", r"\d{6} ?\d{5}", r"\b(?:f[øo]dselsnummer|personnummer|fnr)"),
    _scheme(
        "fi.hetu",
        "FI",
        r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]",
        r"\b(?:henkilötunnus|hetu|sotu)",
        distinctive=True,
    ),
    _scheme(
        "ch.ssn",
        "CH",
        r"756\.?\d{4}\.?\d{4}\.?\d{2}",
        r"\b(?:ahv|avs|sozialversicherung)",
        distinctive=True,
    ),
    _scheme(
        "be.nn",
        "BE",
        r"\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}",
        r"\b(?:rijksregister|registre national|numéro national|insz|niss)",
    ),
    _scheme("br.cpf", "BR", r"\d{3}\.\d{3}\.\d{3}-\d{2}", r"\bcpf", distinctive=True),
    _scheme("br.cpf", "BR", r"\d{11}", r"\bcpf"),
    _scheme("ro.cnp", "RO", r"[1-8]\d{12}", r"\bcnp"),
    _scheme("gr.amka", "GR", r"\d{11}", r"\b(?:amka|αμκα)"),
    _scheme("tr.tckimlik", "TR", r"[1-9]\d{10}", r"\b(?:tc kimlik|tckn|t\.c\.|kimlik)"),
    _scheme("ca.sin", "CA", r"\d{3}[ -]\d{3}[ -]\d{3}|\d{9}", r"\b(?:sin|social insurance)"),
    _scheme("at.vnr", "AT", r"\d{4} ?\d{6}", r"\b(?:svnr|vnr|sozialversicherungsnummer)"),
    _scheme("hr.oib", "HR", r"\d{11}", r"\boib"),
    _scheme("ar.cuit", "AR", r"\d{2}-\d{8}-\d", r"\b(?:cuit|cuil)", distinctive=True),
    _scheme("il.idnr", "IL", r"\d{9}", r"\b(?:teudat|zehut|תעודת זהות)"),
    _scheme("th.pin", "TH", r"\d-\d{4}-\d{5}-\d{2}-\d", r"\b(?:thai id|pin)", distinctive=True),
    _scheme("ua.rntrc", "UA", r"\d{10}", r"(?:рнокпп|іпн|инн|ipn)"),
    _scheme("ee.ik", "EE", r"[1-6]\d{10}", r"\bisikukood"),
    _scheme("es.dni", "ES", r"\d{8}-?[A-Z]", r"\b(?:dni|nif)", distinctive=True),
    _scheme("es.nie", "ES", r"[XYZ]-?\d{7}-?[A-Z]", r"\b(?:nie|nif)", distinctive=True),
    _scheme("in_.aadhaar", "IN", r"[2-9]\d{3} ?\d{4} ?\d{4}", r"\b(?:aadhaar|aadhar|uid)"),
    _scheme("dk.cpr", "DK", r"\d{6}-?\d{4}", r"\b(?:cpr)"),
)

# National Insurance: prefixes HMRC never allocates; "ZZ" is a temporary or placeholder number.
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN"})


def _nino_valid(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    return compact[1] != "O" and compact[:2] not in _NINO_BAD_PREFIX


def _validator(name: str) -> Callable[[str], bool]:
    if name == "gb.nino":
        return _nino_valid
    module = importlib.import_module(f"stdnum.{name}")

    def valid(value: str) -> bool:
        try:
            return bool(module.is_valid(value))
        except Exception:  # noqa: BLE001 - some schemes' lookups raise on unknown codes
            return False

    return valid


_VALIDATORS = {s.name: _validator(s.name) for s in SCHEMES}
# Schemes written the same way share one pass over the text (eleven digits: PESEL, CPF, AMKA,
# OIB, ...).
_BY_PATTERN: dict[re.Pattern[str], list[Scheme]] = {}
for _s in SCHEMES:
    _BY_PATTERN.setdefault(_s.pattern, []).append(_s)


def _cue(text: str, start: int, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(text, max(0, start - 40), start))


_DIGIT = re.compile(r"\d")
# A phone word between an id word and a number means the number is the phone's.
_PHONE_WORD = re.compile(r"\b(?:phone|tel|mobile|cell|call|ring|text|whatsapp)\b", re.I)


def _generic_cue_before(text: str, cues: Sequence[int], start: int) -> bool:
    """A generic id word (sorted `cues`, their starts) in the 30 characters before `start`
    with no phone word between: only the cues in that stretch are looked at, found by bisection,
    so a text with thousands of numbers and cues stays linear."""
    first = bisect_left(cues, start - 30)
    last = bisect_left(cues, start)
    return any(not _PHONE_WORD.search(text, s, start) for s in cues[first:last])


def find_national_ids(text: str, hints: Sequence[str]) -> list[Entity]:
    best: dict[tuple[int, int], Entity] = {}
    # Every scheme has at least six digits; most posts have fewer.
    if len(_DIGIT.findall(text)) < 6:
        return []
    generic = None
    for pattern, schemes in _BY_PATTERN.items():
        for m, scheme in ((m, s) for m in pattern.finditer(text) for s in schemes):
            value = m.group(0)
            if not _VALIDATORS[scheme.name](value):
                continue
            if generic is None:
                generic = [g.start() for g in _GENERIC_CUE.finditer(text)]
            named = _cue(text, m.start(), scheme.cue)
            general = _generic_cue_before(text, generic, m.start())
            hinted = scheme.region in hints
            if named:
                score = 0.97
            elif scheme.distinctive:
                score = 0.85 if hinted or general else 0.7
            elif general:
                score = 0.75 if hinted else 0.55
            else:
                score = 0.35 if hinted else 0.2
            if scheme.name == "gb.nino" and value.upper().startswith("ZZ"):
                score -= 0.1
            entity = Entity(
                "national_id", m.start(), m.end(), value, score, scheme.name, scheme.region
            )
            key = (m.start(), m.end())
            if key not in best or best[key].score < score:
                best[key] = entity
    return list(best.values())
