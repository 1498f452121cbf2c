"""Lookalike names: fold a handle or display name to what a reader sees, then compare it with
the names an impersonator would copy (registered accounts, the University's names, protected
people).

Folding follows the idea of a Unicode UTS #39 confusable skeleton, using the confusables data
shipped with confusable-homoglyphs, then goes further for what fools people in a timeline:
case and diacritics, leetspeak (``qmu1``), letters that look alike in most fonts (``I``/``l``,
``rn``/``m``), separators (``queen.mary``) and filler words around the name
(``qmul_official``, ``QMULnews2``). Both sides are folded the same way, so a folded target is
only compared with folded candidates. Similarity is scored with rapidfuzz.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

# Zero-width and bidirectional controls: invisible in a timeline, so a name carrying them is
# itself suspicious (it lets a copy of a handle pass a platform's uniqueness check).
INVISIBLE_CONTROLS = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad"  # zero-width, word joiner, BOM, soft hyphen
    "\u200e\u200f\u061c"  # direction marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)

# Leetspeak and ASCII lookalikes, applied after lower-casing. "i", "l", "1", "|" and "!" are
# one shape in many fonts, so they all fold to "l"; both sides fold alike, so nothing is lost.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "l",
        "!": "l",
        "|": "l",
        "i": "l",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "6": "b",
    }
)
_DIGRAPHS = (("rn", "m"), ("vv", "w"))
_SEPARATORS = re.compile(r"[^0-9a-z]+")
_EDGE_DIGITS = re.compile(r"^[0-9]+|[0-9]+$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Words impersonators wrap around a copied name. Stripped from either end of a folded name.
AFFIXES = (
    "official",
    "offical",
    "officiall",
    "real",
    "the",
    "its",
    "iam",
    "im",
    "news",
    "uk",
    "hq",
    "team",
    "info",
    "updates",
    "update",
    "account",
    "page",
    "online",
    "ldn",
    "london",
    "uni",
    "univ",
    "university",
    "ac",
    "acuk",
    "edu",
    "support",
    "help",
    "helpdesk",
    "media",
    "press",
    "staff",
    "students",
    "student",
    "admin",
    "admissions",
    "tweets",
    "posts",
    "global",
    "live",
    "verified",
    "care",
    "desk",
    "office",
    "reply",
    "replies",
    "dm",
    # Offices only the University runs: an unregistered "QMUL Graduation" speaks for it.
    "alumni", "careers", "graduation", "accommodation", "finance", "library", "registry",
    "security", "estates", "international", "scholarships", "research", "events", "jobs",
    "recruitment", "exams", "fees", "payments", "wellbeing", "studentservices", "itservices",
    # Titles in front of a copied person's name.
    "dr",
    "prof",
    "professor",
    "doctor",
    "mr",
    "mrs",
    "ms",
    "sir",
    "dame",
)

# Honorifics dropped from protected people's names before comparing.
_TITLES = re.compile(
    r"^(?:(?:dr|doctor|prof|professor|mr|mrs|ms|miss|mx|sir|dame|lord|lady)\.?\s+)+", re.I
)
# Trailing labels of a handle that are a platform's or a domain's, not the name's.
_DOMAIN_LABELS = frozenset(
    {"bsky", "social", "ac", "uk", "com", "org", "net", "edu", "co", "io", "me", "app"}
)
_GENERIC_WORDS = frozenset({"of", "the", "and", "university", "college", "london", "school"})


@lru_cache(maxsize=1)
def _confusable_table() -> dict[int, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        options = [g["c"].strip("\u200e") for g in glyphs]
        ascii_options = [o for o in options if len(o) == 1 and o.isascii() and o.isalnum()]
        if ascii_options:
            # Prefer a letter: Cyrillic "о" should read as "o", not as the digit zero.
            ascii_options.sort(key=lambda o: (not o.isalpha(), o))
            table[ord(char)] = ascii_options[0]
    # Letters that read as Latin ones in a timeline's font although the confusables data
    # (which compares glyph shapes at one size) leaves them out.
    for char, latin in _EXTRA_LOOKALIKES.items():
        table.setdefault(ord(char), latin)
    return table


_EXTRA_LOOKALIKES = {
    "м": "m",
    "М": "M",
    "т": "t",
    "к": "k",
    "в": "b",
    "н": "h",
    "п": "n",
    "г": "r",
    "и": "u",
    "Ԛ": "Q",
    "ԛ": "q",
    "Ո": "N",
    "ո": "n",
    "ɑ": "a",
    "ʀ": "r",
    "ɪ": "i",
    "ᴋ": "k",
    "ς": "c",
    "χ": "x",
    "Χ": "X",
}


def invisible_controls(text: str) -> list[str]:
    """Names of the zero-width and bidi control characters in `text`, in order of appearance.
    A joiner inside an emoji sequence (the rainbow flag, family emoji) is how emoji are
    written, not hiding, and is left out."""
    if text.isascii():
        return []
    found = []
    for i, char in enumerate(text):
        if char not in INVISIBLE_CONTROLS:
            continue
        if (
            char in _EMOJI_JOINERS
            and _is_emoji_part(text[i - 1 : i])
            and _is_emoji_part(text[i + 1 : i + 2])
        ):
            continue
        found.append(unicodedata.name(char, f"U+{ord(char):04X}"))
    return found


_EMOJI_JOINERS = frozenset("\u200d\u200c")


def _is_emoji_part(char: str) -> bool:
    # Symbols (So), variation selectors and emoji modifiers make up emoji sequences.
    return bool(char) and (
        unicodedata.category(char) in ("So", "Sk") or "\ufe00" <= char <= "\ufe0f"
    )


# Letters that read as one or two Latin letters but that neither the confusables data nor
# compatibility decomposition maps to them: ligatures ("ætna", "shœs"), the kra ("ĸaĸaĸu"), the
# sharp s, and letters with a stroke or bar. Without this they were dropped ("ætna" read "tna").
LETTER_FOLDS = str.maketrans(
    {
        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ĸ": "k", "ß": "ss", "ẞ": "SS",
        "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "þ": "th", "Þ": "Th", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ŋ": "n", "Ŋ": "N",
        "ı": "i", "ƒ": "f", "ꜳ": "aa", "Ꜳ": "AA", "ꝏ": "oo", "ȣ": "ou", "ŀ": "l", "Ŀ": "L",
    }
)


def visible_letters(text: str) -> str:
    """`text` without format characters and combining marks: what is left to read."""
    if text.isascii():
        return text if text.isprintable() else "".join(c for c in text if c.isprintable())
    # Ligatures and barred letters first, then confusables: compatibility decomposition turns
    # some of them ("ϲ") into letters that read differently on their own ("ς").
    text = text.translate(LETTER_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text.translate(_confusable_table()))
    return "".join(
        c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Mc", "Cf", "Cc")
    )


@lru_cache(maxsize=4096)
def _by_name(char: str) -> str:
    # Letters the confusables data lacks but whose Unicode name says which Latin letter they
    # draw: small capitals, modifier letters ("LATIN LETTER SMALL CAPITAL M" reads as "m").
    name = unicodedata.name(char, "")
    match = re.search(r"(?:LATIN|MODIFIER).* ([A-Z])$", name)
    return match.group(1).lower() if match else char


def skeleton(text: str) -> str:
    """Case-, diacritic- and homoglyph-folded `text`, separators kept (for tokenising)."""
    plain = visible_letters(text)
    if plain.isascii():
        return plain.casefold()
    plain = plain.translate(_confusable_table())
    if not plain.isascii():
        plain = "".join(c if c.isascii() else _by_name(c) for c in plain)
    plain = plain.casefold()
    # NFKD may leave non-ASCII letters (e.g. "ø", "ł"); a second pass folds what it can.
    return unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")


def _visual(folded: str) -> str:
    text = folded.translate(_LEET)
    for pair, single in _DIGRAPHS:
        text = text.replace(pair, single)
    return text


def compact(text: str) -> str:
    """The folded name as one run of letters: separators gone, lookalike letters merged."""
    return _SEPARATORS.sub("", _visual(skeleton(text)))


_AFFIX_WORDS = {compact(a): a for a in AFFIXES}
_FOLDED_AFFIXES = tuple(sorted(_AFFIX_WORDS, key=len, reverse=True))
_LEADING_AFFIX = re.compile("^(" + "|".join(_FOLDED_AFFIXES) + ")")
# Lazy prefix so the longest filler word at the end wins ("updates" before "es"-less "update").
_TRAILING_AFFIX = re.compile("(?:.*?)(" + "|".join(_FOLDED_AFFIXES) + ")$")


def strip_affixes(name: str) -> tuple[str, list[str]]:
    """Remove filler words from both ends of a compact name; returns (core, removed words)."""
    return _strip_stages(name)[-1] if len(name) > 2 else (name, [])


def _peel(name: str, *, front: bool) -> list[tuple[str, str]]:
    """Successive (form, word removed) taking filler words off one end."""
    peeled = []
    pattern = _LEADING_AFFIX if front else _TRAILING_AFFIX
    while (found := pattern.search(name)) and len(name) - len(found.group(1)) >= 2:
        name = name[found.end() :] if front else name[: found.start(1)]
        peeled.append((name, _AFFIX_WORDS[found.group(1)]))
    return peeled


def _strip_stages(name: str) -> list[tuple[str, list[str]]]:
    """Every form of `name` with filler words taken off its ends and the words taken, fewest
    removed first ("theqmulnews": "theqmulnews", "qmulnews", "theqmul", "qmul")."""
    if not (name.startswith(_FOLDED_AFFIXES) or name.endswith(_FOLDED_AFFIXES)):
        return [(name, [])]
    fronts: list[tuple[str, list[str]]] = [(name, [])]
    words: list[str] = []
    for form, word in _peel(name, front=True):
        words = [*words, word]
        fronts.append((form, words))
    forms: dict[str, list[str]] = {}
    for front, front_words in fronts:
        forms.setdefault(front, front_words)
        back_words: list[str] = []
        for form, word in _peel(front, front=False):
            back_words = [*back_words, word]
            forms.setdefault(form, front_words + back_words)
    return sorted(forms.items(), key=lambda item: (len(item[1]), -len(item[0])))


def handle_name(handle: str) -> str:
    """The part of a handle that is a name: no "@", no Mastodon instance, no domain labels."""
    text = handle.strip().lstrip("@").split("@", 1)[0]
    labels = text.split(".")
    while len(labels) > 1 and labels[-1].casefold() in _DOMAIN_LABELS:
        labels.pop()
    return ".".join(labels)


def _variants(text: str) -> dict[str, bool]:
    """Compact forms worth comparing, each with whether it is the whole name: digits as
    leetspeak ("qmu1" is "qmul"), and digits at the ends dropped ("QMULnews2" is "qmulnews"
    plus a number)."""
    folded = skeleton(text)
    plain = _SEPARATORS.sub("", folded)
    found = {_SEPARATORS.sub("", _visual(folded)): True}
    trimmed = _EDGE_DIGITS.sub("", plain)
    if trimmed and trimmed != plain:
        found.setdefault(_visual(trimmed), False)
        # A leetspeak digit then a number ("qmu1" + "24"): keep part of the trailing digits.
        tail = len(plain) - len(plain.rstrip("0123456789"))
        for keep in range(1, min(tail, 3)):
            found.setdefault(_visual(plain[: len(plain) - tail + keep]), False)
    if "rn" in plain or "vv" in plain:
        # "rn" may be an "m" in disguise, or just "r" then "n" ("okr" + "news").
        found.setdefault(_SEPARATORS.sub("", folded.translate(_LEET)), True)
        if trimmed != plain:
            found.setdefault(trimmed.translate(_LEET), False)
    found.pop("", None)
    return found


@dataclass(frozen=True)
class Target:
    """A name an impersonator might copy, and who it belongs to."""

    text: str  # as configured, e.g. "QMULNews", "Queen Mary University", "Helena Marsh"
    kind: str  # "account", "organisation", "person", "person_account"
    owner: str  # shown to reviewers: "@QMUL on x", "the University", "Professor Helena Marsh"
    platform: str | None = None  # the account's platform, for accounts
    account: str | None = None  # the registered account this points reviewers to
    folded: str = ""
    core: str = ""
    tokens: tuple[str, ...] = ()


def make_target(
    text: str, kind: str, owner: str, *, platform: str | None = None, account: str | None = None
) -> Target:
    folded = compact(text)
    core, _ = strip_affixes(folded)
    words = [_visual(w) for w in _SEPARATORS.split(skeleton(_CAMEL.sub(" ", text))) if w]
    tokens = tuple(w for w in words if w not in _GENERIC_WORDS and len(w) >= 3)
    return Target(text, kind, owner, platform, account, folded, core, tokens)


@dataclass
class NameMatch:
    target: Target
    similarity: float  # in [0, 1]
    how: str  # why these names read alike, for the explanation


class NameIndex:
    """Every target name, folded once; `best` finds the closest one to a candidate name."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = list(targets)
        self._by_folded: dict[str, list[Target]] = {}
        for target in self.targets:
            if len(target.folded) < 2:
                continue
            self._by_folded.setdefault(target.folded, []).append(target)
            if target.core != target.folded and len(target.core) >= 3:
                self._by_folded.setdefault(target.core, []).append(target)
        self._fuzzy = [t for t in self.targets if len(t.folded) >= 5]
        self._fuzzy_folded = [t.folded for t in self._fuzzy]
        # Four letters ("qmul") are enough to recognise inside a longer handle, not to fuzz.
        self._inside = [t for t in self.targets if len(t.folded) >= 4]
        # Rearranged words only mean something for names of several words: for one word it is
        # "contains the name" again ("sheila" holds "shell").
        self._tokened = [t for t in self._fuzzy if len(t.tokens) >= 2]
        # Longer names absorb more typos and stay recognisable.
        self._allowed = [_typos_allowed(len(t.folded)) for t in self._fuzzy]
        # A cheap first look: only a name holding some target's word needs the slow checks.
        words = {t.tokens[0] if t.tokens else t.folded for t in self._inside}
        self._hint = re.compile("|".join(map(re.escape, sorted(words))) or r"(?!)")
        # Candidate length -> targets close enough in length for a typo to bridge the gap.
        by_length: dict[int, list[int]] = {}
        for i, (folded, allowed) in enumerate(zip(self._fuzzy_folded, self._allowed, strict=True)):
            for length in range(len(folded) - allowed, len(folded) + allowed + 1):
                by_length.setdefault(length, []).append(i)
        # length -> (indices, folded names): one rapidfuzz call per candidate, not per target.
        self._by_length = {
            length: (found, [self._fuzzy_folded[i] for i in found])
            for length, found in by_length.items()
        }

    def best(self, name: str, *, platform: str | None = None) -> NameMatch | None:
        """The most similar target to `name` (a handle or display name), or None."""
        found: NameMatch | None = None
        for variant, whole in _variants(name).items():
            match = self._best_for(variant, whole, platform)
            if match and (found is None or match.similarity > found.similarity):
                found = match
        if found is not None:
            found.how = _join(_how_folded(name), found.how)
        return found

    def _pick(self, targets: list[Target], platform: str | None) -> Target:
        # The same platform's account is the one a reviewer wants to see next to the hit.
        same = [t for t in targets if t.platform == platform]
        return (same or targets)[0]

    def _best_for(self, variant: str, whole: bool, platform: str | None) -> NameMatch | None:
        exact = self._by_folded.get(variant)
        if exact:
            target = self._pick(exact, platform)
            if whole:
                return NameMatch(target, 1.0, "")
            return NameMatch(target, _added_score(target), "with a number added")
        stages = _strip_stages(variant)
        # The least stripped form that is a known name: "theqmulnews" is "the" + "qmulnews".
        for stage, removed in stages[1:]:
            exact = self._by_folded.get(stage) if len(stage) >= 2 else None
            exact = [t for t in exact or () if _fits(t, removed)]
            if exact:
                target = self._pick(exact, platform)
                words = "/".join(map(repr, removed))
                return NameMatch(target, _added_score(target), f"with {words} added")
        return self._closest(variant, dict(stages))

    def _closest(self, variant: str, stages: dict[str, list[str]]) -> NameMatch | None:
        """The best fuzzy match; `stages` maps each form of the name to the filler words taken
        off it."""
        best: tuple[float, str, Target] | None = None

        def consider(score: float, detail: str, target: Target) -> None:
            nonlocal best
            if best is None or score > best[0]:
                best = (score, detail, target)

        # Typos: a few letters inserted, dropped, swapped or replaced (rapidfuzz, in C).
        for candidate, removed in stages.items():
            near = self._by_length.get(len(candidate))
            if near is None:
                continue
            indices, names = near
            for _, distance, k in process.extract(
                candidate,
                names,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=3,
                limit=None,
            ):
                i = indices[k]
                target = self._fuzzy[i]
                if (
                    distance <= self._allowed[i]
                    and (len(target.folded) >= SHORT_NAME or is_slip(candidate, target.folded))
                    and _fits(target, removed)
                ):
                    consider(
                        _typo_score(target, int(distance)),
                        f"{int(distance)} letter(s) changed",
                        target,
                    )
        if not self._hint.search(variant):
            return _as_match(best)
        # The whole name inside a longer one.
        for target in self._inside:
            folded = target.folded
            if folded in variant and len(variant) > len(folded):
                leftover = variant.replace(folded, " ", 1).split()
                fillers = [_filler_words(part) for part in leftover]
                if all(words is not None for words in fillers) and _fits(
                    target, [w for words in fillers for w in words or ()]
                ):
                    consider(0.95, "contains the name with filler words", target)
                else:
                    # Something else is attached ("helenamarshall"): alike, not a plain copy. A
                    # short name inside another word is most often just a word that holds it
                    # ("sheila" holds "shell", "SirReddit" a fan's handle), so it counts less.
                    weight = 0.4 if len(folded) >= SHORT_NAME else 0.25
                    consider(0.5 + weight * len(folded) / len(variant), "contains the name", target)
        # Every distinctive word of a longer name, in a different arrangement.
        if best is None or best[0] < 0.85:
            for target in self._tokened:
                if target.tokens[0] in variant and all(tok in variant for tok in target.tokens):
                    cap = 0.8 if target.kind in _PERSON_KINDS else 0.95
                    consider(
                        cap * fuzz.ratio(variant, target.folded) / 100,
                        "same distinctive words",
                        target,
                    )
        return _as_match(best)


_PERSON_KINDS = ("person", "person_account")


def _added_score(target: Target) -> float:
    # Two or three letters plus a word or number ("QM2", "QMUniversity") are as likely to be
    # someone else's name (a ship, another university) as a copy of ours.
    size = len(target.core if target.core in target.folded else target.folded)
    return 0.95 if size >= 4 else 0.85 if size == 3 else 0.75


# Below this many folded letters a name ("yahoo", "kodak", "apple") is often an ordinary word,
# one edit away from other words and names ("wahoo", "kodiak", "lpple" from "ippie"): there a
# changed letter is only a lookalike when it is a slip that keeps the word's look, two
# neighbours swapped or a letter doubled or undoubled ("yaho", "yahooo", "yhaoo").
SHORT_NAME = 8


def is_slip(candidate: str, target: str) -> bool:
    """True when `candidate` is `target` with two neighbours swapped, or one letter doubled or
    one of a doubled pair dropped."""
    if len(candidate) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(candidate, target, strict=True)) if a != b]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and candidate[diff[0]] == target[diff[1]]
            and candidate[diff[1]] == target[diff[0]]
        )
    longer, shorter = (candidate, target) if len(candidate) > len(target) else (target, candidate)
    if len(longer) != len(shorter) + 1:
        return False
    for i, letter in enumerate(longer):
        if longer[:i] + longer[i + 1 :] == shorter:
            return longer[i - 1 : i] == letter or longer[i + 1 : i + 2] == letter
    return False


def _typos_allowed(length: int) -> int:
    return 0 if length < 5 else 1 if length < 8 else 2 if length < 16 else 3


def _as_match(best: tuple[float, str, Target] | None) -> NameMatch | None:
    if best is None:
        return None
    score, detail, target = best
    return NameMatch(target, score, detail)


def _typo_score(target: Target, distance: int) -> float:
    # Real people share names that differ by a letter ("Sam Reid"); accounts and the
    # University's names do not, so a typo of them counts for more.
    if target.kind in _PERSON_KINDS:
        return 0.8 - 0.05 * distance
    return 0.95 - 0.05 * distance


def _filler_words(part: str) -> list[str] | None:
    """The filler words `part` is made of (none for a number), or None if it is not filler."""
    if part.isdigit():
        return []
    if part in _AFFIX_WORDS:
        return [_AFFIX_WORDS[part]]
    core, words = strip_affixes(part)
    return [*words, _AFFIX_WORDS[core]] if core in _AFFIX_WORDS else None


# Titles are filler only in front of a person's name: "Prof Helena Marsh" copies a protected
# person, "SirReddit" is a fan's handle holding a brand, not the brand's account.
_TITLE_AFFIXES = frozenset(
    {"dr", "prof", "professor", "doctor", "mr", "mrs", "ms", "sir", "dame"}
)


def _fits(target: Target, removed: Iterable[str]) -> bool:
    """Whether the filler words taken off a name may surround this target's name."""
    return target.kind in _PERSON_KINDS or not _TITLE_AFFIXES.intersection(removed)


def _how_folded(raw: str) -> str:
    notes = []
    if any(c in INVISIBLE_CONTROLS for c in raw):
        notes.append("hidden characters removed")
    visible = visible_letters(raw)
    if not raw.isascii():
        if any(unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFKD", raw)):
            notes.append("accents ignored")
        table = _confusable_table()
        if any(ord(c) in table or (not c.isascii() and _by_name(c).isascii()) for c in raw):
            notes.append("letters from other alphabets read as the Latin ones they imitate")
        if any(ord(c) in LETTER_FOLDS for c in raw):
            notes.append("joined letters split")
    inner = _EDGE_DIGITS.sub("", _SEPARATORS.sub("", skeleton(raw)))
    if any(c in "0134567895@$!|" for c in inner + raw[-1:]):
        notes.append("digits and symbols read as the letters they stand for")
    if "I" in visible or "rn" in inner or "vv" in inner:
        notes.append("lookalike letters read alike (I and l, rn and m)")
    # Words a reviewer reads in the explanation: what was done to the name, not the technique.
    return "with " + "; ".join(notes) if notes else "ignoring case and separators"


def _join(first: str, second: str) -> str:
    return f"{first}, {second}" if second else first


def targets_from_config(config: object) -> list[Target]:
    """Targets for an organisation config: registered accounts, the University's names,
    protected people's names and handles."""
    from pipeline.core.config import OrgConfig

    assert isinstance(config, OrgConfig)
    found: list[Target] = []
    main: dict[str, str] = {}
    for account in config.accounts:
        label = f"@{account.handle.lstrip('@')}"
        main.setdefault(account.platform, label)
        found.append(
            make_target(
                handle_name(account.handle),
                "account",
                f"registered {label} on {account.platform}",
                platform=account.platform,
                account=label,
            )
        )
    organisation = config.organisation
    for name in dict.fromkeys(organisation.all_names()):
        found.append(make_target(name, "organisation", f"the University's name {name!r}"))
    for person in config.protected_people:
        bare = _TITLES.sub("", person.name).strip()
        found.append(make_target(bare, "person", person.name))
        for platform, handle in person.handles.items():
            found.append(
                make_target(
                    handle_name(handle),
                    "person_account",
                    f"{person.name} (@{handle} on {platform})",
                    platform=platform,
                    account=f"@{handle.lstrip('@')}",
                )
            )
    return found
