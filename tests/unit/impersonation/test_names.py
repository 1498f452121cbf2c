"""Lookalike names against the example config's registry and protected people: tables of
lookalikes (each saying which trick it uses), of hard negatives, and generated lookalikes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.impersonation.detector import name_weight
from detectors.impersonation.names import (
    NameIndex,
    compact,
    handle_name,
    invisible_controls,
    skeleton,
    targets_from_config,
    visible_letters,
)
from pipeline.core.config import OrgConfig


@pytest.fixture(scope="module")
def index(example_config: OrgConfig) -> NameIndex:
    return NameIndex(targets_from_config(example_config))


LOOKALIKES = [
    # (name, the target it copies, the trick)
    ("qmul_official", "QMUL_Official", "separator and case"),
    ("qmu1", "QMUL", "leetspeak 1 for l"),
    ("queenmary.news", "Queen Mary", "dot separator and 'news' affix"),
    ("QMULnews2", "QMULNews", "number suffix"),
    ("QМUL", "QMUL", "Cyrillic capital em"),
    ("Qᴍᴜʟ", "QMUL", "Latin small capitals"),
    ("ＱＭＵＬ", "QMUL", "full-width letters"),
    ("𝐐𝐌𝐔𝐋", "QMUL", "mathematical bold"),
    ("QMUI", "QMUL", "capital I for l"),
    ("qrnul", "QMUL", "rn for m"),
    ("Q\u200bMUL", "QMUL", "zero-width space inside"),
    ("\u202eQMUL", "QMUL", "right-to-left override in front"),
    ("realQMUL", "QMUL", "'real' prefix"),
    ("TheQMULNews", "QMULNews", "'the' prefix"),
    ("QMUL_Libary", "QMULLibrary", "one letter dropped"),
    ("Queen Mary Univ", "Queen Mary", "abbreviated 'University'"),
    ("Queen Mary Universty", "Queen Mary University", "one letter dropped"),
    ("Quеen Mаry Univеrsity of London", "Queen Mary University of London", "Cyrillic e and a"),
    ("Qüeen Märy Universitÿ", "Queen Mary University", "diacritics"),
    ("QU33N M4RY", "Queen Mary", "leetspeak"),
    ("qmul@mastodon.social", "qmul", "same user name on another Mastodon instance"),
    ("qmul-official.bsky.social", "QMUL_Official", "Bluesky handle copying the Reddit one"),
    ("qmul-news.bsky.social", "QMULNews", "Bluesky handle copying the X one"),
    ("HeIenaMarsh", "Helena Marsh", "capital I for l in a protected person's name"),
    ("Prof. Helena Marsh", "Helena Marsh", "title in front"),
    ("Helena_Marsh_QM", "HelenaMarshQM", "protected person's handle with separators"),
    ("TAchterberg_", "TAchterberg", "trailing underscore"),
    ("Dr Tobias Achterberg", "Tobias Achterberg", "protected person's full name"),
    ("PriyaV_Phys1cs", "PriyaV_Physics", "leetspeak in a protected person's handle"),
    ("Samuel Okonkwo Reid", "Samuel Okonkwo-Reid", "hyphen dropped"),
    ("ifalkenrath_official", "ifalkenrath", "affix on a protected person's handle"),
    ("QMUL Graduation", "QMUL", "an office only the University runs"),
    ("QueenMaryAlumni", "Queen Mary", "an office only the University runs"),
]


@pytest.mark.parametrize(("name", "target", "trick"), LOOKALIKES)
def test_lookalikes_match_their_target_strongly(
    index: NameIndex, name: str, target: str, trick: str
) -> None:
    match = index.best(handle_name(name) if "@" in name or ".bsky" in name else name,
                       platform="x")
    assert match is not None, trick
    assert compact(match.target.text) == compact(target), (trick, match.target.text)
    # Strong enough to be flagged on the name alone at the example threshold (0.6).
    assert name_weight(match.similarity) >= 0.6, (trick, match.similarity, match.how)


HARD_NEGATIVES = [
    # Other institutions' real names
    "Queen's University Belfast", "Queen Margaret University", "Mary Immaculate College",
    "Queens' College Cambridge", "King's College London", "Queen's College Oxford",
    "University College London", "St Mary's University Twickenham", "Marymount University",
    "QUBelfast", "QMUniversity", "KingsCollegeLon", "QUB Students' Union", "QUBSU",
    # Ordinary words and names
    "Queenie", "Mary Poppins", "DancingQueen", "mulberry", "Qatar Museums", "sunset_lover",
    "John Smith", "Library Friends", "The News Desk", "London Updates", "Official Chess Club",
    # Student clubs and societies name themselves after the University, legitimately
    "QMULHockey", "QMUL Men's Hockey", "QMUL Chess Society", "qmulmemes",
    # People sharing a protected person's first name
    "Helena Bonham", "Helena Smith", "Tobias Fischer", "Priya Patel", "Priya Sharma",
    "Samuel Jackson", "Sam Okafor", "Ingrid Bergman", "Ingrid Falk",
]


@pytest.mark.parametrize("name", HARD_NEGATIVES)
def test_hard_negatives_are_not_lookalikes(index: NameIndex, name: str) -> None:
    match = index.best(name, platform="x")
    assert match is None or name_weight(match.similarity) < 0.6, (
        match.target.text if match else None, match.similarity if match else None)


def test_similar_person_names_are_weak_alone(index: NameIndex) -> None:
    # One letter from a protected person's handle may well be another real person: it counts,
    # but not enough to flag without a second signal.
    for name in ("Sam Reid", "Helena Marshall"):
        match = index.best(name, platform="x")
        assert match is not None and 0 < name_weight(match.similarity) < 0.6, name


def test_explanation_of_a_match_says_how(index: NameIndex) -> None:
    match = index.best("QМUL", platform="x")
    assert match is not None and "other alphabets read as the Latin" in match.how
    match = index.best("qmul_official_news", platform="x")
    assert match is not None and "'news'" in match.how


def test_registered_account_on_the_same_platform_is_preferred(index: NameIndex) -> None:
    match = index.best("qmul", platform="bluesky")
    assert match is not None and match.target.platform == "bluesky"
    assert match.target.account == "@qmul.ac.uk"


@pytest.mark.parametrize(
    ("raw", "controls"),
    [
        ("Q\u200bMUL", ["ZERO WIDTH SPACE"]),
        ("\u202eLUMQ", ["RIGHT-TO-LEFT OVERRIDE"]),
        ("QM\u2066UL\u2069", ["LEFT-TO-RIGHT ISOLATE", "POP DIRECTIONAL ISOLATE"]),
        ("QMUL", []),
    ],
)
def test_invisible_controls_are_named(raw: str, controls: list[str]) -> None:
    assert invisible_controls(raw) == controls


@pytest.mark.parametrize("raw", ["\u0301\u0308\u0301", "\u200b\u200c\u200d", "\u202e", ""])
def test_names_of_only_marks_or_controls_fold_to_nothing(index: NameIndex, raw: str) -> None:
    assert visible_letters(raw) == ""
    assert compact(raw) == ""
    assert index.best(raw, platform="x") is None


def test_skeleton_folds_case_diacritics_and_homoglyphs() -> None:
    assert skeleton("Ｑüееn") == "queen"
    assert skeleton("ΜΑRY") == "mary"  # Greek capitals


def test_handle_name_drops_instance_and_platform_domain() -> None:
    assert handle_name("@qmul@mastodon.ac.uk") == "qmul"
    assert handle_name("qmulcareers.bsky.social") == "qmulcareers"
    assert handle_name("qmul.ac.uk") == "qmul"
    assert handle_name("queenmary.news") == "queenmary.news"


TRICKS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "і": "i",  # Cyrillic
    "ο": "o", "α": "a", "Μ": "M", "Ο": "O",  # Greek
}
_REVERSE: dict[str, list[str]] = {}
for _fake, _real in TRICKS.items():
    _REVERSE.setdefault(_real, []).append(_fake)
_LEET = {"o": "0", "l": "1", "e": "3", "a": "4", "s": "5"}


@st.composite
def disguised(draw: st.DrawFn, names: list[str]) -> tuple[str, str]:
    """A target name disguised by any mix of homoglyphs, leetspeak, case, separators,
    hidden characters and filler words, as impersonators do."""
    name = draw(st.sampled_from(names))
    chars = []
    for char in name:
        choice = draw(st.integers(0, 5))
        if choice == 1 and char in _REVERSE:
            char = draw(st.sampled_from(_REVERSE[char]))
        elif choice == 2 and char.lower() in _LEET:
            char = _LEET[char.lower()]
        elif choice == 3:
            char = char.swapcase()
        elif choice == 4 and char.isalpha():
            char += draw(st.sampled_from(["", "_", ".", "\u200b", "\u200d"]))
        chars.append(char)
    prefix = draw(st.sampled_from(["", "real", "the", "Official"]))
    suffix = draw(st.sampled_from(["", "_official", "news", "UK", "_", "24", "HQ"]))
    return prefix + "".join(chars) + suffix, name


ACCOUNT_NAMES = ["QMUL", "QMULNews", "QMULLibrary", "QMUL_Official", "Queen Mary University",
                 "Helena Marsh", "TAchterberg", "SamOReid", "QMULSU"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=disguised(ACCOUNT_NAMES))
def test_generated_lookalikes_are_caught(index: NameIndex, case: tuple[str, str]) -> None:
    name, original = case
    match = index.best(name, platform="x")
    assert match is not None, name
    assert name_weight(match.similarity) >= 0.6, (name, original, match.similarity)


@pytest.fixture(scope="module")
def brands() -> NameIndex:
    """Short brand names as registered accounts (bench/impersonation_corpus.py's BRANDS)."""
    from detectors.impersonation.names import make_target

    names = ("aetna", "caesars", "shoes", "phoenix", "kakaku", "yahoo", "kodak", "apple",
             "reddit", "shell", "xerox")
    return NameIndex([make_target(n, "account", f"@{n}", platform="x") for n in names])


# Ligature and kra homographs (the misses of an independent set of real homograph handles).
LIGATURE_LOOKALIKES = [
    ("ætna", "aetna", "ae ligature"),
    ("cæsars", "caesars", "ae ligature inside"),
    ("shœs", "shoes", "oe ligature"),
    ("phœnix", "phoenix", "oe ligature"),
    ("ĸaĸaĸu", "kakaku", "kra for k"),
    ("ÆTNA", "aetna", "capital AE ligature"),
    ("χerox", "xerox", "Greek chi for x"),
]


@pytest.mark.parametrize(("name", "target", "trick"), LIGATURE_LOOKALIKES)
def test_ligatures_and_kra_fold_to_their_letters(
    brands: NameIndex, name: str, target: str, trick: str
) -> None:
    match = brands.best(name, platform="x")
    assert match is not None and match.target.text == target, trick
    assert name_weight(match.similarity) >= 0.6, (trick, match.similarity)


def test_ligature_folding_is_explained() -> None:
    assert skeleton("straße") == "strasse" and skeleton("Øster") == "oster"
    assert skeleton("łodz") == "lodz"


# Real handles an edit distance alone took for short brands (false positives of that set), and
# handles made of ordinary words: none of them is flagged on its name.
SHORT_BRAND_NEGATIVES = [
    ("06Wahoo", "yahoo: one letter replaced, digits added"),
    ("kodiak98", "kodak: one letter inserted, another word"),
    ("ippie52", "apple: i/l folding then one letter replaced"),
    ("SirReddit", "reddit: a title is filler only before a person's name"),
    ("sheila", "shell: a short name inside another word"),
    ("shelly_77", "shell: a short name inside another word"),
]


@pytest.mark.parametrize(("name", "why"), SHORT_BRAND_NEGATIVES)
def test_short_brands_need_more_than_an_edit(brands: NameIndex, name: str, why: str) -> None:
    match = brands.best(name, platform="x")
    assert match is None or name_weight(match.similarity) < 0.6, (
        why, match.target.text if match else None, match.similarity if match else None)


# Slips that keep a short name's look still count.
SHORT_BRAND_SLIPS = [
    ("yahooo", "yahoo", "letter doubled"),
    ("kodka", "kodak", "neighbours swapped"),
    ("redit", "reddit", "one of a doubled pair dropped"),
    ("reddit_official", "reddit", "filler word"),
    ("apple24", "apple", "number added"),
]


@pytest.mark.parametrize(("name", "target", "trick"), SHORT_BRAND_SLIPS)
def test_slips_of_short_brands_still_match(
    brands: NameIndex, name: str, target: str, trick: str
) -> None:
    match = brands.best(name, platform="x")
    assert match is not None and match.target.text == target, trick
    assert name_weight(match.similarity) >= 0.6, (trick, match.similarity)


@pytest.mark.parametrize(
    ("candidate", "target", "slip"),
    [
        ("yhaoo", "yahoo", True), ("yahooo", "yahoo", True), ("yaho", "yahoo", True),
        ("wahoo", "yahoo", False), ("kodiak", "kodak", False), ("lpple", "apple", False),
        ("yahoo", "yahoo", False), ("yaoho", "yahoo", True), ("yahop", "yahoo", False),
    ],
)
def test_is_slip(candidate: str, target: str, slip: bool) -> None:
    from detectors.impersonation.names import is_slip

    assert is_slip(candidate, target) is slip
