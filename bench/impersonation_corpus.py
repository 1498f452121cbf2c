"""Reproducible account sets for measuring the impersonation detector (benchmarks and tests).

- `lookalikes`: handles and display names made from the organisation config's registered
  handles, the University's names and protected people's names, each changed the ways
  impersonators change them (homoglyphs, leetspeak, case, diacritics, separators, affixes,
  hidden characters, lookalike letters, one typo in longer names).
- `unrelated_accounts`: a realistic mix of accounts that have nothing to do with the
  University, generated from the name, company and word lists that the faker package ships
  (several locales), plus hard negatives: other universities' real names, people who share a
  protected person's first name, students whose bio names the University. Same seed, same mix.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

HOMOGLYPHS = {
    "a": "аɑα", "c": "сϲ", "e": "еҽ", "i": "іι", "j": "ј", "o": "оοօ", "p": "рρ", "s": "ѕ",
    "x": "хχ", "y": "уγ", "d": "ԁ", "q": "ԛ", "h": "һ", "l": "ӏ", "n": "ո", "u": "υ",
    "A": "АΑ", "B": "ВΒ", "C": "СϹ", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "K": "КΚ", "M": "МΜ",
    "O": "ОΟ", "P": "РΡ", "T": "ТΤ", "X": "ХΧ", "Q": "Ԛ", "L": "Ⅼ", "U": "Ս",
}
LEET = {"o": "0", "l": "1", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "O": "0",
        "I": "1", "E": "3", "A": "4", "S": "5", "L": "1"}
ACCENTS = {"a": "àáâä", "e": "éèêë", "i": "íï", "o": "óöô", "u": "úüû", "n": "ñ", "c": "ç"}
PREFIXES = ["real", "the", "official", "Real", "The", "Official_"]
SUFFIXES = ["_official", "Official", "news", "_News", "UK", "_uk", "HQ", "2", "24", "_", "1",
            "_updates", ".official", "Team"]
HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\u202e", "\u2066"]
# Ligatures, the kra and the sharp s: one letter that reads as one or two Latin ones.
LIGATURES = {"ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "k": "ĸ", "ss": "ß"}

# Real institutions with their public handles (or one shaped like them).
OTHER_UNIVERSITIES = {
    "Queen's University Belfast": "QUBelfast", "Queen Margaret University": "QMUniversity",
    "Mary Immaculate College": "MICLimerick", "Queens' College Cambridge": "QueensCollege",
    "King's College London": "KingsCollegeLon", "Queen's College Oxford": "QueensOxford",
    "University College London": "ucl", "Imperial College London": "imperialcollege",
    "London School of Economics": "LSEnews", "City, University of London": "CityUniLondon",
    "Birkbeck, University of London": "BirkbeckUoL", "Goldsmiths": "GoldsmithsUoL",
    "Royal Holloway": "RHUL", "SOAS University of London": "SOAS",
    "University of Westminster": "UniWestminster", "Brunel University London": "BrunelUni",
    "Middlesex University": "MiddlesexUni", "University of East London": "UEL_News",
    "London Metropolitan University": "LondonMetUni", "Kingston University": "KingstonUni",
    "University of Greenwich": "UniofGreenwich", "Queen Mary's Hospital": "QMHRoehampton",
    "Mary Baldwin University": "marybaldwin", "Queens University of Charlotte": "QueensCLT",
    "Queen's University Kingston": "queensu", "St Mary's University Twickenham": "StMarysTw",
    "Marymount University": "MarymountU", "University of Manchester": "OfficialUoM",
    "University of Edinburgh": "EdinburghUni", "Cardiff University": "cardiffuni",
    "Durham University": "durham_uni", "University of Bristol": "BristolUni",
    "University of Leeds": "UniversityLeeds", "Ulster University": "UlsterUni",
    "QUB Students' Union": "QUBSU", "KCL News": "KingsNews", "UCL Press Office": "UCLpress",
    "LSE Library": "LSELibrary", "QMU Edinburgh": "QMUEdinburgh",
    "Queens Park Rangers": "QPR", "Queen Elizabeth Hospital": "QEHKingsLynn",
    "Mary Rose Museum": "MaryRoseMuseum",
    # The Cunard liner: a name no text signal can tell from the University's "Queen Mary".
    "Queen Mary 2": "QM2",
}


@dataclass(frozen=True)
class Account:
    handle: str
    display_name: str
    description: str = ""
    source: str = ""  # what it was made from, for reports


def _swap(rng: random.Random, text: str, table: dict[str, str], times: int) -> str:
    spots = [i for i, c in enumerate(text) if c in table]
    for i in rng.sample(spots, min(times, len(spots))):
        text = text[:i] + rng.choice(table[text[i]]) + text[i + 1 :]
    return text


def _split_words(text: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [w for w in re.split(r"[\s_.\-']+", spaced) if w]


def _separate(rng: random.Random, text: str) -> str:
    words = _split_words(text)
    return rng.choice(["_", ".", "-", " ", ""]).join(words) if len(words) > 1 else text


def _ligatures(rng: random.Random, text: str) -> str:
    spots = [(i, pair) for pair in LIGATURES for i in range(len(text)) if text.startswith(pair, i)]
    if not spots:
        return text
    i, pair = rng.choice(spots)
    return text[:i] + LIGATURES[pair] + text[i + len(pair) :]


def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 8:
        return text
    i = rng.choice(letters[1:-1])
    if rng.random() < 0.5:
        return text[:i] + text[i] + text[i:]  # doubled letter
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # swapped neighbours


CHANGES = {
    "homoglyphs": lambda r, t: _swap(r, t, HOMOGLYPHS, r.randint(1, 2)),
    "leetspeak": lambda r, t: _swap(r, t, LEET, r.randint(1, 2)),
    "case": lambda r, t: r.choice([t.upper(), t.lower(), t.swapcase(), t.title()]),
    "diacritics": lambda r, t: _swap(r, t, ACCENTS, r.randint(1, 2)),
    "separators": _separate,
    "prefix": lambda r, t: r.choice(PREFIXES) + t,
    "suffix": lambda r, t: t + r.choice(SUFFIXES),
    "hidden": lambda r, t: (lambda i: t[:i] + r.choice(HIDDEN) + t[i:])(r.randint(1, len(t))),
    "lookalike_letters": lambda r, t: t.replace("m", "rn", 1) if "m" in t else t.replace(
        "l", "I", 1),
    "typo": _typo,
    "ligatures": _ligatures,
}


def target_names(config: object) -> list[tuple[str, str, str]]:
    """(name, kind, where from) for everything an impersonator would copy."""
    from pipeline.core.config import OrgConfig

    assert isinstance(config, OrgConfig)
    names = []
    for account in config.accounts:
        handle = account.handle.split("@")[0].removesuffix(".bsky.social").split(".")[0]
        names.append((handle, "account", f"@{account.handle}"))
    for name in config.organisation.all_names():
        if len(name) >= 4:
            names.append((name, "organisation", name))
    for person in config.protected_people:
        bare = re.sub(r"^(Dr|Professor|Prof)\.?\s+", "", person.name)
        names.append((bare, "person", person.name))
        for handle in person.handles.values():
            names.append((handle.split("@")[0].removesuffix(".bsky.social"), "person", person.name))
    return names


def lookalikes(config: object, n: int = 2000, *, seed: int = 7) -> list[Account]:
    """`n` lookalike accounts, as handle-only or display-name-only changes of a target."""
    rng = random.Random(seed)
    targets = target_names(config)
    made = []
    while len(made) < n:
        name, kind, origin = rng.choice(targets)
        picks = rng.sample(sorted(CHANGES), rng.randint(1, 2))
        if kind == "person" and "typo" in picks:
            continue  # a person's name one letter off is often another real person
        changed = name
        for change in picks:
            changed = CHANGES[change](rng, changed)
        if changed == name:
            continue
        as_handle = rng.random() < 0.5
        handle = re.sub(r"\s+", "", changed) if as_handle else f"user{rng.randint(1000, 99999)}"
        display = "" if as_handle else changed
        made.append(Account(handle, display, "", f"{origin} <- {'+'.join(picks)}"))
    return made


def unrelated_accounts(n: int = 10_000, *, seed: int = 11) -> list[Account]:
    """`n` accounts unrelated to the University, the same for the same seed."""
    from faker import Faker

    locales = ["en_GB", "en_US", "en_IN", "fr_FR", "de_DE", "es_ES", "it_IT", "pl_PL", "nl_NL",
               "tr_TR", "pt_BR", "en_IE"]
    fake = Faker(locales)
    fake.seed_instance(seed)
    rng = random.Random(seed)
    first_names = ["Helena", "Tobias", "Priya", "Samuel", "Sam", "Ingrid", "Mary", "Queenie"]
    made = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.04:
            name, handle = rng.choice(sorted(OTHER_UNIVERSITIES.items()))
            made.append(Account(handle, name, "Official account", "other university"))
            continue
        if roll < 0.08:
            first = rng.choice(first_names)
            last = fake.last_name()
            handle = rng.choice([f"{first}{last}", f"{first.lower()}_{last.lower()}",
                                 f"{first[0]}{last}{rng.randint(1, 99)}"])
            made.append(Account(handle, f"{first} {last}", fake.sentence(), "shared first name"))
            continue
        name = fake.name() if roll < 0.7 else fake.company() if roll < 0.8 else (
            " ".join(fake.words(rng.randint(1, 3))).title())
        handle = fake.user_name() if rng.random() < 0.7 else re.sub(r"\W", "", name)[:15]
        bio = fake.sentence() if rng.random() < 0.6 else ""
        if rng.random() < 0.03:
            bio = rng.choice(["PhD student at QMUL", "Studying law at Queen Mary",
                              "Alumna of Queen Mary University of London", "Lecturer at UCL"])
        made.append(Account(handle or f"user{i}", name, bio, "faker"))
    return made


# Well-known brands with short names, most of them ordinary words or one letter from one: the
# names where an edit distance alone finds other words ("wahoo" for "yahoo", "kodiak" for
# "kodak"). Used as registered accounts of a second, made-up organisation.
BRANDS = (
    "apple", "yahoo", "kodak", "reddit", "amazon", "google", "adidas", "tesla", "shell",
    "oracle", "intel", "canon", "gucci", "prada", "rolex", "skype", "slack", "target", "subway",
    "disney", "nestle", "pepsi", "heinz", "aetna", "caesars", "mattel", "hermes", "chanel",
    "nokia", "lenovo", "xerox", "boeing", "airbnb", "tinder", "paypal", "dyson", "philips",
    "nikon", "lego", "ikea", "visa", "uber", "puma", "zara",
)


def brand_lookalikes(n: int = 600, *, seed: int = 13) -> list[Account]:
    """`n` lookalike handles of `BRANDS`, changed the same ways as the University's names."""
    rng = random.Random(seed)
    made = []
    while len(made) < n:
        brand = rng.choice(BRANDS)
        picks = rng.sample(sorted(CHANGES), rng.randint(1, 2))
        changed = brand
        for change in picks:
            changed = CHANGES[change](rng, changed)
        if changed.casefold() == brand:
            continue
        made.append(Account(re.sub(r"\s+", "", changed), "", "", f"{brand} <- {'+'.join(picks)}"))
    return made


def word_accounts(n: int = 5000, *, seed: int = 17) -> list[Account]:
    """`n` handles made from the English word list and first names the faker package ships
    (a word, two words, a word and a number), none of them exactly a brand's name: an account
    called "target" cannot be told from the brand by its name."""
    from faker import Faker
    from faker.providers.lorem.en_US import Provider as Words

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    words = sorted({w for w in Words.word_list if w.isalpha()} - set(BRANDS))
    made = []
    while len(made) < n:
        word = rng.choice(words) if rng.random() < 0.7 else fake.first_name().lower()
        roll = rng.random()
        if roll < 0.3:
            handle = word
        elif roll < 0.55:
            handle = f"{word}{rng.randint(1, 999)}"
        elif roll < 0.7:
            handle = f"{rng.randint(0, 99):02d}{word.title()}"
        else:
            handle = word.title() + rng.choice(words).title()
        if handle.casefold() in BRANDS:
            continue
        made.append(Account(handle, "", "", "word"))
    return made
