"""Cheap text cues around the harassment classifier: threats, classic false positives, targets.

The classifier says how offensive the language is. Whether a post is harassment worth a
reviewer's time also depends on things a regular expression sees well and a tweet-trained model
does not:

* threat phrases ("I know where you live"), since neither OLID nor Davidson labels threats;
* classic false positives: quoted or reported speech ("he called me a ..."), song lyrics,
  self-directed or friendly profanity ("fucking love this"), and names that look like slurs
  (Scunthorpe, Penistone, Cockburn: the Scunthorpe problem), which are masked before scoring;
* who is targeted: a University account or a protected person, mentioned, named or replied to.

Patterns are data, in tables, so adding a case is one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.core.config import OrgConfig

_PERSON = r"(?:you|u|ya|yall|y'all|him|her|them|@\w+)"
# "I'll get you a coffee", "we will find you a room": a second object makes it a favour.
_FAVOUR = r"(?!\s+(?:a|an|the|some|one|another|something|somewhere|anything|more)\b)"
_HARM = (
    r"(?:kill|murder|stab|shoot|hurt|beat|batter|strangle|choke|burn|rape|bash|smash|"
    r"slap|punch|end|cut|hunt|get)"
)
_FUTURE = (
    r"(?:i|we)(?:'ll|’ll| will| shall|'m going to|’m going to| am going to|'m gonna|’m gonna|"
    r" gonna| are going to|'re going to|’re going to|'re gonna)"
)

# (pattern, strength): how surely the phrase is a threat when it appears outside a quote.
THREAT_PATTERNS: tuple[tuple[str, float], ...] = (
    (rf"\b{_FUTURE}\s+(?:\w+\s+)?{_HARM}\s+(?:\w+\s+)?{_PERSON}\b{_FAVOUR}", 0.9),
    (
        rf"\b(?:i|we)(?:'ll|’ll| will) (?:find|come for|come after|track down) "
        rf"{_PERSON}\b{_FAVOUR}",
        0.85,
    ),
    (r"\b(?:i|we) know where (?:you|u|she|he|they) (?:live|work|sleep|park)s?\b", 0.9),
    (r"\b(?:i|we)(?:'ve|’ve| have) been watching (?:you|u|her|him)\b", 0.8),
    (r"\b(?:i|we) know (?:your|her|his) (?:timetable|schedule|routine|address|movements)\b", 0.8),
    (
        r"\b(?:family|kids|children|wife|husband|you)\s+(?:isn't|isn’t|is not|aren't|aren’t|"
        r"are not|won't be|won’t be)\s+safe\b(?!\s+from\b)",
        0.8,
    ),
    (r"\bor (?:we|i)(?:'ll|’ll| will) make (?:you|u|her|him|them)\b", 0.75),
    (r"\b(?:be|feel) (?:scared|afraid) to (?:show|come|walk|leave)\b", 0.75),
    (r"\bteach (?:[\w'’-]+ ){1,2}a lesson\b", 0.7),
    (r"\bhope (?:someone|somebody) (?:keys|smashes|burns|hurts|attacks|beats|stabs)\b", 0.7),
    (r"\bburn (?:the|that|your|his|her) [\w'’ ]{1,30}? down\b", 0.85),
    (r"\b(?:watch|better watch) (?:your|ur) (?:back|step)\b", 0.8),
    (
        r"\byou(?:'ll|’ll| will|'re going to|’re going to| are going to|'re gonna) "
        r"(?:pay|regret (?:it|this)|be sorry|die|bleed|suffer)\b",
        0.8,
    ),
    (
        r"\b(?:hope|wish) (?:you|u|she|he|they) (?:die|dies|get (?:shot|killed|raped|stabbed))\b",
        0.8,
    ),
    (
        r"\b(?:deserves?|needs?|ought) to "
        r"(?:die|be (?:shot|killed|hanged|hung|raped|beaten|stabbed))\b",
        0.8,
    ),
    (r"\b(?:kys|kill (?:yo)?ur ?self|kill yourselves)\b", 0.85),
    (
        r"\b(?:bomb|shoot up|blow up|burn down|attack)\s+(?:the\s+|that\s+)?"
        r"(?:campus|uni|university|school|college|library|lecture|office|building|students?)\b",
        0.95,
    ),
    (r"\byou(?:'re|’re| are) (?:dead|finished|done for)\b", 0.65),
    (rf"\b(?:someone|somebody) (?:should|needs to|ought to) {_HARM} {_PERSON}\b", 0.8),
)

# Reporting a slur or threat someone else used is not using it.
REPORTING_CUES = (
    r"\b(?:called|calling) (?:me|us|him|her|them|my \w+)\b",
    r"\b(?:said|says|told|wrote|shouted|yelled|screamed|messaged|texted|tweeted|posted) "
    r"(?:to )?(?:me|us|him|her|them|that)\b",
    r"\b(?:he|she|they|someone|somebody|a guy|a man|a woman|a student|this person) "
    r"(?:said|says|wrote|shouted|yelled|screamed|called)\b",
    r"\b(?:was|were|got|been|being) (?:called|told)\b",
    r"\b(?:received|got|getting|receiving) (?:a |an |these |this )?"
    r"(?:message|messages|email|emails|dm|dms|reply|replies|comment|comments|abuse)\b",
    r"\b(?:reported|reporting|screenshot(?:ted)?|quote|quoting)\b",
)

LYRIC_CUES = (
    r"[🎵🎶♪♫]",
    r"#(?:nowplaying|np|lyrics|songlyrics|music)\b",
    r"\b(?:now playing|lyrics?|this song|that song|the song|on repeat|singing|sang|chorus|"
    r"verse|banger|album|track)\b",
)

# Profanity used for emphasis, praise or about oneself, not at someone.
FRIENDLY_CUES = (
    r"\b(?:fucking|fuckin|bloody|damn|so|sooo+) (?:love|loved|loving|amazing|brilliant|great|"
    r"proud|happy|excited|buzzing|hyped|gorgeous|beautiful|best|legend|legends|class|good)\b",
    r"\b(?:holy|oh) (?:shit|fuck|crap|hell)\b",
    r"\b(?:fuck|hell|heck) yeah\b",
    r"\b(?:fml|ffs|omfg)\b",
    r"\bi(?:'m|’m| am) (?:such|so|a|an)?\s?(?:a |an )?(?:fucking |bloody |total |complete )?"
    r"(?:idiot|moron|dumbass|mess|clown|loser|twat|dick|wreck)\b",
    r"\b(?:my|i) (?:own )?(?:stupid|dumb|idiot)\b",
    r"\b(?:you|u) (?:absolute |fucking |bloody )?(?:legend|legends|genius|star|beauty)\b",
    r"\bfuck my life\b",
    # Hyperbole about oneself: "this essay is going to kill me", "these deadlines are killing me".
    r"\b(?:going to|gonna|about to|will|'ll|’ll) (?:kill|murder|destroy|finish) me\b",
    r"\b(?:killing|murdering|destroying) me\b",
    # A jibe taken back in the same breath: "I hate them (I love them)", "idiots (jk)".
    r"\((?:i |we )?(?:love|adore) (?:them|him|her|you|u|yall|y'all|'em)\)",
    r"\((?:jk|j/k|just kidding|kidding|not really)\)",
)

SECOND_PERSON = re.compile(r"\b(?:you|u|ur|your|you're|youre|ya|yall|y'all)\b|@\w+", re.I)

# Places and surnames that contain slur-like strings (the Scunthorpe problem); masked before
# scoring. Organisations add their own with options.allow_names.
NAMES_THAT_LOOK_RUDE = (
    "Scunthorpe",
    "Penistone",
    "Cockburn",
    "Cockburnspath",
    "Cockermouth",
    "Shitterton",
    "Twatt",
    "Clitheroe",
    "Bitchfield",
    "Wetwang",
    "Cumnock",
    "Cumming",
    "Cummings",
    "Hancock",
    "Babcock",
    "Hitchcock",
    "Dickens",
    "Dickinson",
    "Middlesex",
    "Sussex",
    "Essex",
    "Lightwater",
    "Titchfield",
    "Sexton",
    "Assington",
    "Fanny Burney",
    "Dick Whittington",
    "Moby Dick",
    "Dick Van Dyke",
    "Pratt",
    "Shaftesbury",
    "Butts",
)
MASK = "Name"

QUOTES = re.compile(r"[\"“”«»]([^\"“”«»]{2,400})[\"“”«»]|(?<!\w)'([^']{2,300})'(?!\w)")


def _any(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


_THREATS = [(re.compile(p, re.I), s) for p, s in THREAT_PATTERNS]
_REPORTING = _any(REPORTING_CUES)
_LYRICS = _any(LYRIC_CUES)
_FRIENDLY = _any(FRIENDLY_CUES)


@dataclass
class Target:
    kind: str  # "university_account", "protected_person" or "organisation"
    name: str
    handle: str | None = None
    how: str = "mentioned"  # mentioned, named or replied_to

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "name": self.name, "handle": self.handle, "how": self.how}


@dataclass
class Cues:
    """What the cheap layer saw in one post's text."""

    model_text: str  # the text to score: rude-looking names masked
    unquoted_text: str | None = None  # without quoted passages, when speech is reported
    threat: float = 0.0
    threat_spans: list[dict[str, object]] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # reported_speech, lyrics, friendly, ...
    second_person: bool = False


def mask_names(text: str, names: Iterable[str]) -> tuple[str, bool]:
    pattern = _names_pattern(tuple(names))
    if pattern is None:
        return text, False
    masked, count = pattern.subn(MASK, text)
    return masked, count > 0


@lru_cache(maxsize=16)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    # Built once per name list, not once per post.
    ordered = sorted({n for n in names if n.strip()}, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(n) for n in ordered)
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)", re.I)


def threat_matches(text: str) -> tuple[float, list[dict[str, object]]]:
    best, spans = 0.0, []
    for pattern, strength in _THREATS:
        for m in pattern.finditer(text):
            best = max(best, strength)
            spans.append({"start": m.start(), "end": m.end(), "text": m.group(0)})
    spans.sort(key=lambda s: int(s["start"]))  # type: ignore[call-overload]
    return best, spans


def strip_quotes(text: str) -> str:
    return QUOTES.sub(" [quote] ", text)


def read_cues(text: str, allow_names: Iterable[str]) -> Cues:
    model_text, masked = mask_names(text, allow_names)
    cues = Cues(model_text=model_text, second_person=bool(SECOND_PERSON.search(model_text)))
    if masked:
        cues.context.append("masked_names")
    quoted = bool(QUOTES.search(model_text))
    if quoted and _REPORTING.search(strip_quotes(model_text)):
        cues.context.append("reported_speech")
        cues.unquoted_text = strip_quotes(model_text)
    elif _REPORTING.search(model_text) and re.search(r"\b(?:called|told|said)\b", text, re.I):
        # "Someone called me a <slur> on the bus": reported without quote marks.
        cues.context.append("reported_speech")
    if _LYRICS.search(model_text):
        cues.context.append("lyrics")
    if _FRIENDLY.search(model_text):
        cues.context.append("friendly_profanity")
    # Threats count only outside quotes: quoting a threat to report it is not making it.
    threat_text = cues.unquoted_text if cues.unquoted_text is not None else text
    cues.threat, cues.threat_spans = threat_matches(threat_text)
    if cues.unquoted_text is not None:
        # Offsets must point into the original text for reviewers.
        _, cues.threat_spans = threat_matches(text) if cues.threat else (0.0, [])
    return cues


class TargetFinder:
    """Finds University accounts and protected people a post mentions, names or replies to."""

    def __init__(self, config: OrgConfig) -> None:
        self._accounts: dict[str, Target] = {}
        self._ids: dict[str, Target] = {}
        for account in config.accounts:
            handle = account.handle.lstrip("@")
            target = Target("university_account", account.owner, handle)
            self._accounts[handle.casefold()] = target
            # Mastodon handles are user@instance; a mention may carry only the user part.
            self._accounts.setdefault(handle.split("@")[0].casefold(), target)
            if account.platform_id:
                self._ids[account.platform_id] = target
        self._names: list[tuple[re.Pattern[str], Target]] = []
        for person in config.protected_people:
            handles = list(person.handles.values())
            target = Target("protected_person", person.name, handles[0] if handles else None)
            for handle in handles:
                h = handle.lstrip("@")
                self._accounts[h.casefold()] = Target("protected_person", person.name, h)
                self._accounts.setdefault(
                    h.split("@")[0].casefold(), Target("protected_person", person.name, h)
                )
            self._names.append((_name_pattern(person.name), target))
        org = config.organisation
        self._org = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(n) for n in org.all_names()) + r")(?!\w)", re.I
        )
        self._org_target = Target("organisation", org.name)

    def find(self, text: str, reply_to_ids: Iterable[str] = ()) -> list[Target]:
        found: dict[tuple[str, str], Target] = {}
        for reply_id in reply_to_ids:
            if reply_id in self._ids:
                t = self._ids[reply_id]
                found[(t.kind, t.name)] = Target(t.kind, t.name, t.handle, "replied_to")
        for m in re.finditer(r"(?<![\w@])@([\w.\-]+(?:@[\w.\-]+)?)", text):
            handle = m.group(1).rstrip(".").casefold()
            target = self._accounts.get(handle) or self._accounts.get(handle.split("@")[0])
            if target:
                found.setdefault((target.kind, target.name), target)
        for pattern, target in self._names:
            if pattern.search(text):
                found.setdefault(
                    (target.kind, target.name),
                    Target(target.kind, target.name, target.handle, "named"),
                )
        if not found and self._org.search(text):
            found[("organisation", self._org_target.name)] = Target(
                "organisation", self._org_target.name, None, "named"
            )
        return list(found.values())


_TITLES = r"(?:Professor|Prof\.?|Dr\.?|Doctor|Mr\.?|Mrs\.?|Ms\.?|Miss|Sir|Dame)"


def _name_pattern(full_name: str) -> re.Pattern[str]:
    """The full name without its title, or title + surname ("Dr Achterberg")."""
    words = [w for w in full_name.split() if not re.fullmatch(_TITLES, w, re.I)]
    bare = " ".join(words)
    surname = words[-1] if words else full_name
    return re.compile(rf"(?<!\w)(?:{re.escape(bare)}|{_TITLES}\s+{re.escape(surname)})(?!\w)", re.I)
