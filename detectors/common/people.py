"""Who a post is about: mentions of people, and of the University's protected people.

Leak detectors signal when a detail sits next to a person's name, and more when that
person is one the organisation config lists as protected. Names are found cheaply, without a
model: protected people by their configured names, surnames after a title and handles; anyone
else by a title followed by a capitalised name ("Dr Smith") or an @mention (never one of the
organisation's own accounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detectors.common.spans import LOOK_AROUND, SpanSet
from pipeline.core.config import OrgConfig, ProtectedPerson

_TITLES = r"(?:Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Sir|Dame|Lord|Lady)\.?"
_TITLE_NAME = re.compile(rf"\b{_TITLES}\s+(?:[A-Z][a-z]+[ -]){{0,2}}[A-Z][a-zA-Z'’-]+")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,30}[A-Za-z0-9_]")
# "Amelia Hart": two or three capitalised words. Weaker evidence than a title, so callers weigh
# it less, and words that are places, institutions or sentence openers rule a pair out.
_PLAIN_NAME = re.compile(r"\b[A-Z][a-z]{1,15}(?:[ -][A-Z][a-z]{1,15}(?:-[A-Z][a-z]+)?){1,2}\b")
_NOT_NAMES = frozenset(
    """
    road street lane avenue end mile square hall building house centre center library union
    university college school queen queens mary london line central stratford whitechapel bow
    students student society department faculty committee council senate office service services
    team day monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december great new open the this that these
    my our your their his her dear hi hello thanks thank lost found call text email contact room
    flat name mobile phone address date birth staff number law physics science sciences
    engineering medicine dentistry business management computer google drive paypal slack github
    spreadsheet whoever anyone someone everyone please happy good morning evening night free
    exam exams lecture week term campus park station church hospital court tribunal employment
    high crown county magistrates group chat page site website portal card street east west north
    south green grove gardens close drive way place terrace crescent hill walk mews row rise view
    professor doctor mr mrs ms miss dr prof sir dame lord lady st saint ave rd and of in at on
    """.split()
)


@dataclass(frozen=True)
class PersonMention:
    start: int
    end: int
    text: str
    protected: ProtectedPerson | None = None
    plain: bool = False  # found only as capitalised words, no title, handle or configured name

    @property
    def who(self) -> str:
        """The configured name of a protected person, else the words that named them."""
        return self.protected.name if self.protected else self.text


def signals_about(person: PersonMention | None) -> list[str]:
    """Who a detail is about, for the policy: nobody in particular (no signal), a named person
    (`about_person`) or a protected person (also `about_protected_person`)."""
    if person is None:
        return []
    return ["about_person", "about_protected_person"] if person.protected else ["about_person"]


def _name_parts(person: ProtectedPerson) -> list[str]:
    bare = re.sub(rf"^(?:{_TITLES}\s+)+", "", person.name).strip()
    parts = [bare]
    surname = bare.split()[-1] if bare.split() else ""
    if surname:
        parts.append(rf"{_TITLES}\s+{re.escape(surname)}")
    return [re.escape(parts[0]), *parts[1:]]


class PeopleFinder:
    def __init__(self, config: OrgConfig) -> None:
        self._protected: list[tuple[re.Pattern[str], ProtectedPerson]] = []
        for person in config.protected_people:
            names = _name_parts(person)
            handles = [re.escape("@" + h.split("@")[0]) for h in person.handles.values()]
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(names + handles) + r")(?!\w)", re.I)
            self._protected.append((pattern, person))
        # An @mention of one of the organisation's own accounts is not a person.
        self._org_handles = {
            a.handle.lstrip("@").split("@")[0].casefold() for a in config.accounts
        }

    def find(self, text: str, *, plain_names: bool = False) -> list[PersonMention]:
        found: list[PersonMention] = []
        taken = SpanSet()
        for pattern, person in self._protected:
            for m in pattern.finditer(text):
                found.append(PersonMention(m.start(), m.end(), m.group(0), person))
                taken.add(m.start(), m.end())
        for pattern in (_TITLE_NAME, _MENTION):
            for m in pattern.finditer(text):
                if taken.overlaps(m.start(), m.end()):
                    continue
                found.append(PersonMention(m.start(), m.end(), m.group(0)))
                taken.add(m.start(), m.end())
        if plain_names:
            for m in _PLAIN_NAME.finditer(text):
                words = re.split(r"[ -]", m.group(0).lower())
                if any(w in _NOT_NAMES for w in words):
                    continue
                if taken.overlaps(m.start(), m.end()):
                    continue
                found.append(PersonMention(m.start(), m.end(), m.group(0), plain=True))
        people = [p for p in found if p.text.lstrip("@").casefold() not in self._org_handles]
        return sorted(people, key=lambda p: p.start)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around [start, end): where context cues are looked for."""
    # Looked for at most LOOK_AROUND characters away: searching back to the start of a long
    # text for every mention made a text with many names quadratic.
    low, high = max(0, start - LOOK_AROUND), min(len(text), end + LOOK_AROUND)
    left = max(text.rfind(c, low, start) for c in ".!?\n")
    right_candidates = [i for i in (text.find(c, end, high) for c in ".!?\n") if i != -1]
    # A full stop inside a number or an abbreviation ("Dr.", "1.5") does not end a sentence.
    while left > low and left + 1 < len(text) and not text[left + 1].isspace():
        left = max(text.rfind(c, low, left) for c in ".!?\n")
    right = min(right_candidates) if right_candidates else high
    return (left + 1 if left != -1 else low), right
