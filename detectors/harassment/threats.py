"""Threats: who will do what violence to whom, read clause by clause, with negation and advice.

Neither OLID nor Davidson labels threats, and the classifier's "offensive" head scores a
polite threat ("we'll bury you") low and a warning ("don't ever kill yourself") high. A threat
is read here as a frame around a violent verb aimed at a person:

* intent: "I'll / we're going to / I want to" + verb + person ("we'll bury you");
* a dare or a call to do it: "I dare you to choke her", "someone should punch him",
  "kill them all";
* a wish or a verdict: "hope you die", "he deserves to be shot";
* the fixed phrases of `THREAT_PATTERNS` (stalking, "watch your back", attacks on campus).

A frame counts only when nothing in its clause before the verb negates it ("don't ever kill
yourself", "do not kill people", "I would never hurt you"), and only with a person as the
object ("kill it", "killing me", "kill for a coffee" are figures of speech). How often each
frame is a real targeted offence on tweets the project did not write is measured by
bench/bench_harassment_threats.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detectors.common.spans import LOOK_AROUND

# Verbs of violence against a person, as they are written (inflections spelled out, so "shot"
# in "a shot of espresso" still needs a person object to count).
_VIOLENCE = (
    r"(?:kill|murder|shoot|stab|choke|strangle|hang|lynch|punch|slap|hurt|burn|rape|bury|bash|"
    r"batter|knife|execute|behead|torture|drown|beat up|beat the (?:shit|crap|hell) out of|"
    r"slit (?:your|his|her|their) throats?|break (?:your|his|her|their) (?:legs?|neck|face|jaw)|"
    r"run (?:you|u|him|her|them) over|knock (?:you|u|him|her|them) out|"
    r"fuck (?:you|u|him|her|them) up|smash (?:your|his|her|their) (?:face|head)|"
    r"end|hunt down|skin)"
)
# Who the violence is aimed at: a person, people, or a handle.
_PERSON = (
    r"(?:you|u|ya|yall|y'all|you all|yourself|yourselves|him|her|them|'em|@\w+|"
    r"(?:your|his|her|their) (?:family|kids|children|wife|husband|mum|mom|dad|friends)|"
    r"(?:all|every one|each) of (?:you|them)|these (?:people|guys|idiots)|those (?:people|guys))"
)
# A second object makes it a favour or a figure of speech: "I'll get you a coffee".
_FAVOUR = r"(?!\s+(?:a|an|the|some|one|another|something|somewhere|anything|more|for)\b)"
_WILL = (
    r"(?:i|we)\s*(?:'ll|’ll|will|shall|'m going to|’m going to|am going to|'m gonna|’m gonna|"
    r"gonna|are going to|'re going to|’re going to|'re gonna|’re gonna|want to|wanna|"
    r"would love to|'d love to|’d love to|can't wait to|can’t wait to|am gonna|'m about to|"
    r"’m about to|am about to|'m coming to|’m coming to|swear i'll|swear i will)"
)

# (name, pattern, strength): how surely the frame is a threat when it is not negated.
FRAMES: tuple[tuple[str, str, float], ...] = (
    (
        "intent",
        rf"\b{_WILL}\s+(?:\w+\s+){{0,2}}?{_VIOLENCE}\s+(?:\w+\s+)?{_PERSON}\b{_FAVOUR}",
        0.85,
    ),
    ("dare", rf"\b(?:i dare|i double dare) (?:you|u|ya) to {_VIOLENCE}\b", 0.75),
    (
        "call_to_violence",
        rf"\b(?:someone|somebody|people|we|y'all|yall|you all) (?:should|needs? to|ought to|"
        rf"must|gotta|have to|oughta) (?:\w+\s+)?{_VIOLENCE}\s+{_PERSON}\b{_FAVOUR}",
        0.8,
    ),
    # "Kill them all", "hang him": an order at the start of a clause.
    ("order", rf"^\W*(?:just |go |now )?{_VIOLENCE}\s+{_PERSON}(?:\s+all)?\b{_FAVOUR}", 0.7),
    (
        "wish",
        r"\b(?:hope|wish|pray) (?:that )?(?:you|u|she|he|they|someone|somebody) "
        r"(?:die|dies|get (?:shot|killed|raped|stabbed|hurt|hanged|lynched)|gets (?:shot|killed|"
        r"raped|stabbed|hurt|hanged|lynched)|(?:kills?|shoots?|stabs?|hurts?) (?:you|u|him|her|"
        r"them))\b",
        0.8,
    ),
    (
        "deserves",
        r"\b(?:deserves?|needs?|ought|should) to "
        r"(?:die|be (?:shot|killed|hanged|hung|raped|beaten|stabbed|lynched|executed|burned))\b",
        0.8,
    ),
    (
        "you_will_suffer",
        r"\byou(?:'ll|’ll| will|'re going to|’re going to| are going to|'re gonna) "
        r"(?:pay|regret (?:it|this)|be sorry|die|bleed|suffer)\b",
        0.8,
    ),
    ("kill_yourself", r"\b(?:kys|kill (?:yo)?ur ?self|kill yourselves|go die)\b", 0.85),
    (
        "attack_on_campus",
        r"\b(?:bomb|shoot up|blow up|burn down|attack)\s+(?:the\s+|that\s+)?"
        r"(?:campus|uni|university|school|college|library|lecture|office|building|students?)\b",
        0.95,
    ),
    # Stalking and intimidation phrases, no violent verb needed.
    (
        "find_you",
        rf"\b(?:i|we)(?:'ll|’ll| will) (?:find|come for|come after|track down) {_PERSON}\b"
        rf"{_FAVOUR}",
        0.85,
    ),
    (
        "know_where",
        r"\b(?:i|we) know where (?:you|u|she|he|they) (?:live|work|sleep|park)s?\b",
        0.9,
    ),
    ("watching", r"\b(?:i|we)(?:'ve|’ve| have) been watching (?:you|u|her|him)\b", 0.8),
    (
        "know_routine",
        r"\b(?:i|we) know (?:your|her|his) (?:timetable|schedule|routine|address|movements)\b",
        0.8,
    ),
    (
        "not_safe",
        r"\b(?:family|kids|children|wife|husband|you)\s+(?:isn't|isn’t|is not|aren't|aren’t|"
        r"are not|won't be|won’t be)\s+safe\b(?!\s+from\b)",
        0.8,
    ),
    ("or_else", r"\bor (?:we|i)(?:'ll|’ll| will) make (?:you|u|her|him|them)\b", 0.75),
    ("be_scared", r"\b(?:be|feel) (?:scared|afraid) to (?:show|come|walk|leave)\b", 0.75),
    ("lesson", r"\bteach (?:[\w'’-]+ ){1,2}a lesson\b", 0.7),
    (
        "hope_harm",
        r"\bhope (?:someone|somebody) (?:keys|smashes|burns|hurts|attacks|beats|stabs)\b",
        0.7,
    ),
    ("burn_down", r"\bburn (?:the|that|your|his|her) [\w'’ ]{1,30}? down\b", 0.85),
    ("watch_back", r"\b(?:watch|better watch) (?:your|ur) (?:back|step)\b", 0.8),
    # Not "you are dead to me" (disowning) or "sleep when you're dead" (an idiom).
    (
        "you_are_dead",
        r"(?<!when )(?<!until )(?<!till )\byou(?:'re|’re| are) (?:dead|finished|done for)\b"
        r"(?!\s+to\b)",
        0.65,
    ),
)

# Words that, earlier in the same clause, turn a frame into its opposite: a warning, advice,
# a refusal ("don't ever kill yourself", "do not kill people", "I would never hurt you").
_NEGATION = re.compile(
    r"\b(?:don'?t|don’t|do not|dont|never|won'?t|won’t|will not|wouldn'?t|wouldn’t|would not|"
    r"shouldn'?t|shouldn’t|should not|can'?t|can’t|cannot|not|no one|nobody|noone|stop|quit|"
    r"refuse to|please don'?t|isn'?t|isn’t|aren'?t|aren’t|ain'?t|ain’t)\b",
    re.I,
)
# Where a clause starts: sentence ends, commas, dashes, and joining words.
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n()\[\]—–]|\s-\s|\b(?:but|and|or|so|because|then)\b", re.I)

_COMPILED = [(name, re.compile(p, re.I | re.M), s) for name, p, s in FRAMES]
# Frames whose own words are a negation ("isn't safe") or a joining word ("or we'll make you"):
# only the clause before them can negate them.
_NEGATION_BEFORE_ONLY = frozenset({"not_safe", "or_else"})


@dataclass(frozen=True)
class ThreatSpan:
    frame: str
    start: int
    end: int
    text: str
    strength: float
    negated: bool

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text, "frame": self.frame}


def _clause_start(text: str, position: int) -> int:
    # Looked for at most LOOK_AROUND characters back: from the start of the text for every frame
    # made a long text with many frames quadratic, and a negation that far back negates nothing.
    start = max(0, position - LOOK_AROUND)
    for m in _CLAUSE_BREAK.finditer(text, start, position):
        start = m.end()
    return start


def negated(text: str, start: int, end: int) -> bool:
    """Whether a negation sits in the frame's clause before (or inside) the frame."""
    # The frame's own words count too ("I will never hurt you"), its object does not.
    return bool(_NEGATION.search(text, _clause_start(text, start), end))


def threat_spans(text: str) -> list[ThreatSpan]:
    """Every frame in `text`, negated or not, in order of position."""
    found = []
    for name, pattern, strength in _COMPILED:
        for m in pattern.finditer(text):
            end = m.start() if name in _NEGATION_BEFORE_ONLY else m.end()
            is_negated = negated(text, m.start(), end)
            found.append(
                ThreatSpan(name, m.start(), m.end(), m.group(0), strength, is_negated)
            )
    return sorted(found, key=lambda s: (s.start, -s.strength))


def threat_matches(text: str) -> tuple[float, list[dict[str, object]]]:
    """The strongest frame that is not negated, and the spans of all such frames."""
    spans = [s for s in threat_spans(text) if not s.negated]
    best = max((s.strength for s in spans), default=0.0)
    return best, [s.as_dict() for s in spans]
