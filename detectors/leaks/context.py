"""Whose a personal detail is, from the words around it: the signals the policy sets severity by.

Finding a detail (`detectors.leaks.entities`) says nothing about whether posting it breaks the
guidance. That depends on whose it is: another person's (a third-person cue such as "her
mobile", "lives at", "call him", or a named person beside it), the author's own ("call me on",
"my email is"), the organisation's (a role mailbox such as admissions@, a number the
organisation publishes), nobody's (an address at a domain reserved for documentation,
example.com) or an area's (a postcode alone names a street, not a person). Each detail gets one
of these, and the finding gets signals from all of them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from detectors.common.people import PersonMention, sentence_bounds
from detectors.leaks.spans import Entity

OTHER, OWN, ORGANISATION, DOCUMENTATION, AREA, UNKNOWN = (
    "other",
    "own",
    "organisation",
    "documentation",
    "area",
    "unknown",
)

# Role mailboxes are not anyone's personal details.
ROLE_MAILBOXES = frozenset(
    """
    info admissions enquiries enquiry hello contact press media support helpdesk noreply no-reply
    studentservices library careers comms office admin webmaster recruitment servicedesk security
    feedback complaints jobs hr events alumni news sales team reception registry finance
    """.split()
)
# RFC 2606 and RFC 6761: domains reserved for documentation and testing.
_RESERVED_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$", re.I
)

_DETAIL_WORDS = (
    r"(?:number|phone|mobile|cell|digits|email|e-mail|address|details|postcode|dob|birthday|"
    r"date of birth|student (?:id|number)|staff (?:id|number)|id|home|card|iban|account|bank|"
    r"ssn|passport|[A-Z]{2,6})"
)
_THIRD_PERSON = re.compile(
    r"\b(?:(?:his|her|their|hers|this (?:guy|woman|man|lecturer|prof|person|student)'?s?)\s+"
    r"(?:\w+\s+){0,2}" + _DETAIL_WORDS + r"|lives (?:at|on|in)|home address|moved to|"
    r"(?:call|text|ring|phone|message|email|e-mail|spam|visit|find|harass|reach|tell) "
    r"(?:him|her|them)\b|dox+(?:ed|ing)?\b|here'?s where (?:he|she|they)|(?:he|she|they) lives?|"
    r"(?:his|her|their) name is|leaked|spreadsheet|(?:wohnt|vive|abita|woont|mieszka|habite)\b|"
    r"(?:sein|seine|ihre?|son|sa|ses|su|sus|il suo|la sua|zijn|haar|dele|dela|jego|jej)\s+"
    r"(?:\w+\s+){0,1}\w+|"
    r"(?:my|your|our) (?:tutor|lecturer|supervisor|teacher|flatmate|housemate|roommate|"
    r"neighbour|neighbor|ex|boss|manager|landlord|landlady|friend|classmate)'?s? "
    r"(?:\w+\s+){0,2}" + _DETAIL_WORDS + r")",
    re.I,
)
_FIRST_PERSON = re.compile(
    r"\b(?:my|our|mine|meine?|mon|ma|mes|mi|mis|il mio|la mia|mijn|meu|minha|mój|moja)\s+"
    r"(?:\w+\s+){0,2}" + _DETAIL_WORDS + r"|\bmine\b|\b(?:call|text|ring|email|contact|message|"
    r"reach|dm|find|write to|pay) (?:me|us)\b|\b(?:I|we) live\b|\bme at\b|\bme on\b|"
    r"\b(?:ruf|schreib) (?:mich|mir)|\bécris-moi\b",
    re.I,
)


# A number or address given as a service's or a place's: the switchboard, the Union, the library.
_SERVICE = re.compile(
    r"\b(?:switchboard|service desk|help ?desk|helpline|hotline|reception|enquiries|"
    r"customer services?|box office|front desk|support line|office|campus|union|library|"
    r"centre|center|building|museum|gallery|hospital|clinic|surgery|pharmacy|shop|store|café|"
    r"cafe|restaurant|pub|venue|society|club|headquarters|hq|school|college|university)\b",
    re.I,
)


@dataclass
class Whose:
    whose: str
    person: PersonMention | None = None
    cue: str = ""


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _near(
    people: Sequence[PersonMention], position: int, start: int, end: int
) -> list[PersonMention]:
    """The mentions within 160 characters of `position` or inside [start, end), in order.

    `people` is sorted by start (PeopleFinder.find's order), so only the stretch that can hold
    them is read: testing every mention for every detail was quadratic in a long text.
    """
    low = bisect_left(people, min(position - 160, start), key=lambda p: p.start)
    high = bisect_right(people, max(position + 160, end - 1), key=lambda p: p.start)
    return [
        p for p in people[low:high] if abs(p.start - position) <= 160 or start <= p.start < end
    ]


def judge(
    entity: Entity,
    text: str,
    people: Sequence[PersonMention],
    *,
    public_numbers: Collection[str] = (),
) -> Whose:
    """Whose `entity` is, and the person or words that say so."""
    if entity.kind == "email":
        local, _, domain = entity.value.lower().partition("@")
        if local in ROLE_MAILBOXES:
            return Whose(ORGANISATION, cue=f"role mailbox {local}@")
        if _RESERVED_DOMAIN.search(domain):
            return Whose(DOCUMENTATION, cue=f"reserved domain {domain}")
    if entity.kind == "phone_number" and _digits(entity.value)[-10:] in public_numbers:
        return Whose(ORGANISATION, cue="a published number")
    start, end = sentence_bounds(text, entity.start, entity.end)
    sentence = text[start:end]
    near = _near(people, entity.start, start, end)
    third = _THIRD_PERSON.search(sentence) or _THIRD_PERSON.search(
        text[max(0, entity.start - 80) : entity.end + 40]
    )
    protected = next((p for p in near if p.protected), None)
    named = next((p for p in near if not p.plain), None)
    person = protected or named or (near[0] if near else None)
    if third or person:
        return Whose(OTHER, person, third.group(0) if third else "")
    if service := _SERVICE.search(text, start, entity.start):
        return Whose(ORGANISATION, cue=service.group(0))
    if _FIRST_PERSON.search(sentence):
        return Whose(OWN, cue=_FIRST_PERSON.search(sentence).group(0))  # type: ignore[union-attr]
    if entity.kind == "postcode":
        return Whose(AREA, cue="a postcode alone")
    return Whose(UNKNOWN)


SENSITIVE_KINDS = frozenset({"credit_card", "iban", "national_id"})
_HARMLESS = {OWN, ORGANISATION, DOCUMENTATION, AREA}


def finding_signals(judged: Sequence[tuple[Entity, Whose]], threshold: float) -> list[str]:
    """Signals for a finding from its details at or above `threshold`: who they are about, a
    dox of several kinds, financial or identity data, and `not_about_others` when every one is
    the author's own, the organisation's, a documentation value or a postcode alone."""
    strong = [(e, w) for e, w in judged if e.score >= threshold] or list(judged)
    signals: list[str] = []
    person = next((w.person for _, w in strong if w.person and w.person.protected), None) or next(
        (w.person for _, w in strong if w.person), None
    )
    if person is not None:
        signals.append("about_person")
        if person.protected:
            signals.append("about_protected_person")
    if any(w.whose == OTHER for _, w in strong):
        signals.append("about_another")
    kinds = {e.kind for e, _ in strong if e.kind != "postcode"}
    if len(kinds) >= 2:
        signals.append("several_kinds")
    if kinds & SENSITIVE_KINDS:
        signals.append("sensitive_kind")
    whose = {w.whose for _, w in strong}
    if whose <= _HARMLESS:
        signals.append("not_about_others")
        for name, tag in (
            ("own_details", OWN),
            ("organisation_contact", ORGANISATION),
            ("documentation_value", DOCUMENTATION),
            ("postcode_only", AREA),
        ):
            if tag in whose:
                signals.append(name)
    return signals
