"""Personal data about other people (doxxing): phone numbers, e-mail addresses, postal addresses
and UK postcodes, student and staff numbers, dates of birth.

A detail on its own is weak evidence (a switchboard number, a campus postcode, someone posting
their own e-mail). The score rises when the detail is tied to another person: a third-person cue
("her mobile", "lives at"), a named person nearby, and most when that person is protected.
Values are never returned in clear: evidence carries a mask and a keyed hash, and redaction spans
so the stored hit's text is masked too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers

from detectors.base import Detector, DetectorOptions
from detectors.common.people import PeopleFinder, PersonMention, sentence_bounds, signals_about
from pipeline.core.models import Category, Finding, Post
from pipeline.core.values import keyed_hash, load_salt, mask, mask_email

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
# Role mailboxes are not anyone's personal details.
_ROLE_LOCAL = {
    "info",
    "admissions",
    "enquiries",
    "enquiry",
    "hello",
    "contact",
    "press",
    "media",
    "support",
    "helpdesk",
    "noreply",
    "no-reply",
    "studentservices",
    "library",
    "careers",
    "comms",
    "office",
    "admin",
    "webmaster",
    "recruitment",
    "servicedesk",
    "security",
    "feedback",
    "complaints",
    "jobs",
    "hr",
    "events",
    "alumni",
    "news",
    "sales",
    "team",
}
_UK_MOBILE = re.compile(r"(?<![\d+])(?:\+44\s?7\d{3}|\(?07\d{3}\)?)\s?\d{3}\s?\d{3}(?!\d)")
_NOT_PHONE_BEFORE = re.compile(
    r"(?:isbn|issn|doi|£|\$|€|order|invoice|ref(?:erence)?|no\.|number of|id|case|ticket|"
    r"account|sort code|version|v)\s*[:#]?\s*$",
    re.I,
)
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b"
)
_STREET = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Way|Gardens|Place|Terrace|Crescent|"
    r"Court|Square|Grove|Hill|Walk|Mews|Row|Park|Rise|View)"
)
_ADDRESS = re.compile(
    rf"\b(?:(?:Flat|Apt|Apartment)\s+\d+[A-Za-z]?,?\s+)?\d{{1,4}}[A-Za-z]?,?\s+"
    rf"(?:[A-Z][a-z]+\s){{1,3}}{_STREET}\b"
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:19|20)?\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+"
    rf"(?:19|20)\d{{2}}|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})"
)
_DOB = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|born on|born)\s*(?:is|was|:|-)?\s*({_DATE})",
    re.I,
)
_ID_CUE = re.compile(r"\b(?:student|staff|employee|matric|candidate|ID|number|no\.?)\b", re.I)

_DETAIL_WORDS = (
    r"(?:number|phone|mobile|cell|digits|email|e-mail|address|details|postcode|dob|birthday|"
    r"date of birth|student (?:id|number)|staff (?:id|number)|id|home)"
)
_THIRD_PERSON = re.compile(
    r"\b(?:(?:his|her|their|hers|this (?:guy|woman|man|lecturer|prof|person|student)'?s?)\s+"
    r"(?:\w+\s+){0,2}" + _DETAIL_WORDS + r"|lives (?:at|on|in)|home address|"
    r"(?:call|text|ring|phone|message|email|e-mail|spam|visit|find|harass) (?:him|her|them)\b|"
    r"dox+(?:ed|ing)?\b|here'?s where (?:he|she|they)|(?:he|she|they) lives?|"
    r"(?:his|her|their) name is|"
    r"(?:my|your|our) (?:tutor|lecturer|supervisor|teacher|flatmate|housemate|roommate|"
    r"neighbour|neighbor|ex|boss|manager|landlord|landlady|friend|classmate)'?s? "
    r"(?:\w+\s+){0,2}" + _DETAIL_WORDS + r")",
    re.I,
)
_FIRST_PERSON = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+){0,2}" + _DETAIL_WORDS + r"|\b(?:call|text|ring|email|contact|"
    r"message|reach|dm|find) (?:me|us)\b|\b(?:I|we) live\b",
    re.I,
)

_BASE = {
    "email": 0.45,
    "phone_number": 0.4,
    "postal_address": 0.4,
    "postcode": 0.2,
    "date_of_birth": 0.45,
}
_ID_BASE, _ID_WITH_CUE = 0.3, 0.45


@dataclass
class Detail:
    kind: str
    start: int
    end: int
    value: str
    masked: str
    score: float = 0.0
    person: PersonMention | None = None
    cues: list[str] = field(default_factory=list)


def _listed(scores: dict[str, float], threshold: float) -> list[str]:
    strong = sorted(k for k, s in scores.items() if s >= threshold)
    return strong or [max(scores, key=lambda k: scores[k])]


class PersonalDataOptions(DetectorOptions):
    # Numbers that are public on purpose (switchboards, helplines): never a finding.
    public_numbers: list[str] = []


class PersonalDataDetector(Detector):
    name = "personal_data"
    categories = (Category.personal_data,)
    Options = PersonalDataOptions
    options: PersonalDataOptions

    def load(self) -> None:
        self._people = PeopleFinder(self.config)
        self._ids = {name: re.compile(p) for name, p in self.config.id_patterns.items()}
        self._public_numbers = {re.sub(r"\D", "", n)[-10:] for n in self.options.public_numbers}
        self._salt = load_salt(self.config.data_path())
        self._loaded = True

    # -- finding the details -------------------------------------------------------------

    def _emails(self, text: str) -> list[Detail]:
        out = []
        for m in _EMAIL.finditer(text):
            local, _, domain = m.group(0).lower().partition("@")
            if local in _ROLE_LOCAL:
                continue
            out.append(Detail("email", m.start(), m.end(), m.group(0), mask_email(m.group(0))))
        return out

    def _phones(self, text: str) -> list[Detail]:
        spans: dict[tuple[int, int], str] = {}
        matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID)
        for number in matcher:
            spans[(number.start, number.end)] = number.raw_string
        # Reserved UK mobile ranges (e.g. 07700 900xxx) are not "valid" numbers but read as ones.
        for m in _UK_MOBILE.finditer(text):
            if not any(s <= m.start() < e for s, e in spans):
                spans[(m.start(), m.end())] = m.group(0)
        out = []
        for (start, end), raw in sorted(spans.items()):
            digits = re.sub(r"\D", "", raw)
            if len(digits) < 10 or _NOT_PHONE_BEFORE.search(text[max(0, start - 16) : start]):
                continue
            if digits[-10:] in self._public_numbers:
                continue
            out.append(Detail("phone_number", start, end, raw, mask(raw, tail=3)))
        return out

    def _addresses(self, text: str) -> list[Detail]:
        out = []
        for m in _ADDRESS.finditer(text):
            end = m.end()
            code = _POSTCODE.search(text, end, min(len(text), end + 40))
            if code:
                end = code.end()
            value = text[m.start() : end]
            out.append(Detail("postal_address", m.start(), end, value, mask(value, head=0)))
        for m in _POSTCODE.finditer(text):
            if any(d.start <= m.start() < d.end for d in out):
                continue
            out.append(Detail("postcode", m.start(), m.end(), m.group(0), mask(m.group(0), head=2)))
        return out

    def _dates_of_birth(self, text: str) -> list[Detail]:
        return [
            Detail("date_of_birth", m.start(1), m.end(1), m.group(1), mask(m.group(1), tail=4))
            for m in _DOB.finditer(text)
        ]

    def _identifiers(self, text: str) -> list[Detail]:
        out = []
        for kind, pattern in self._ids.items():
            for m in pattern.finditer(text):
                out.append(Detail(kind, m.start(), m.end(), m.group(0), mask(m.group(0), tail=2)))
        return out

    # -- judging them --------------------------------------------------------------------

    def _score(self, detail: Detail, text: str, people: list[PersonMention]) -> None:
        start, end = sentence_bounds(text, detail.start, detail.end)
        sentence = text[start:end]
        if detail.kind in _BASE:
            score = _BASE[detail.kind]
        else:
            before = text[max(0, detail.start - 30) : detail.start]
            score = _ID_WITH_CUE if _ID_CUE.search(before) else _ID_BASE
        near = [p for p in people if abs(p.start - detail.start) <= 160 or (start <= p.start < end)]
        third = _THIRD_PERSON.search(sentence) or _THIRD_PERSON.search(
            text[max(0, detail.start - 80) : detail.end + 40]
        )
        if third:
            score += 0.3
            detail.cues.append(third.group(0))
        protected = next((p for p in near if p.protected), None)
        if protected:
            score += 0.45
            detail.person = protected
        elif near:
            named = next((p for p in near if not p.plain), None)
            score += 0.25 if named else 0.15
            detail.person = named or near[0]
        if not third and not near and _FIRST_PERSON.search(sentence):
            score -= 0.2
        detail.score = round(max(0.05, min(0.97, score)), 3)

    def _details(self, text: str) -> list[Detail]:
        found = (
            self._emails(text)
            + self._phones(text)
            + self._addresses(text)
            + self._dates_of_birth(text)
            + self._identifiers(text)
        )
        # One value, one detail: an e-mail's digits are not also a phone number or an id.
        found.sort(key=lambda d: (d.start, -(d.end - d.start)))
        kept: list[Detail] = []
        for detail in found:
            if kept and detail.start < kept[-1].end:
                continue
            kept.append(detail)
        return kept

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        findings = []
        for post in posts:
            text = post.all_text()
            details = self._details(text)
            if not details:
                continue
            people = self._people.find(text, plain_names=True)
            for detail in details:
                self._score(detail, text, people)
            findings.append(self._finding(post, details))
        return findings

    def _finding(self, post: Post, details: list[Detail]) -> Finding:
        labels: dict[str, float] = {}
        for d in details:
            labels[d.kind] = max(d.score, labels.get(d.kind, 0.0))
        best = max(labels.values())
        # Several kinds of detail together (number, address, birthday) is what a dox looks like.
        strong_kinds = [k for k, s in labels.items() if s >= 0.5]
        score = min(0.99, best + 0.05 * max(0, len(strong_kinds) - 1))
        person = next((d.person for d in details if d.person and d.person.protected), None) or next(
            (d.person for d in details if d.person), None
        )
        kinds = ", ".join(k.replace("_", " ") for k in labels)
        about = ""
        if person is not None:
            about = f" next to {person.who}" + (" (a protected person)" if person.protected else "")
        text_len = len(post.text)
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.personal_data,
            signals=signals_about(person),
            score=score,
            explanation=f"Post shows personal details ({kinds}){about}.",
            evidence={
                # A keyword list (the Elasticsearch mapping) of the kinds strong enough to count
                # on their own; weaker ones stay in label_scores for the reviewer.
                "labels": _listed(labels, self.settings.threshold),
                "label_scores": labels,
                "spans": [
                    {
                        "start": d.start,
                        "end": d.end,
                        "text": d.masked,
                        "kind": d.kind,
                        "hash": keyed_hash(d.value, self._salt),
                        "score": d.score,
                        "in": "text" if d.end <= text_len else "image",
                        **({"cue": d.cues[0]} if d.cues else {}),
                    }
                    for d in details
                ],
                "redactions": [{"start": d.start, "end": d.end, "mask": d.masked} for d in details],
                **(
                    {
                        "person": person.protected.name
                        if person and person.protected
                        else person.text
                    }
                    if person
                    else {}
                ),
                "terms": sorted(labels),
            },
        )
