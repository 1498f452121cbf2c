"""Top terms and hashtags of the week's flagged posts.

Counted once per post (a word repeated in one rant counts once), with English stop words and
conversational filler left out, plural "-s" forms folded into their singular when both occur,
and the organisation's own names left out: every post is about the University, so "queen",
"mary" and "university" would top every week and say nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_WORD = re.compile(r"[#@]?[^\W\d_][\w'’-]{2,}", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+")
# Words that carry no topic in social posts; scikit-learn's list is for edited prose.
_FILLER = frozenset("""
well know someone anyone everyone just like really still dont don't can't cant im i'm it's
ive i've youre you're theyre they're thats that's doesnt doesn't didnt didn't isnt isn't wont
won't lol lmao yeah yes nah okay ok gonna wanna gotta got get gets getting thing things think
thought going want wants need needs make makes made say says said tell told look looks looking
way lot lots actually literally basically maybe probably pretty today tonight tomorrow yesterday
week weeks day days time year years amp via rt new good bad great right left sure let let's
""".split())
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _FILLER


def _organisation_words(names: Iterable[str]) -> frozenset[str]:
    return frozenset(w.casefold() for name in names for w in re.findall(r"\w+", name))


def top_terms(
    texts: Iterable[str], organisation_names: Iterable[str], *, terms: int = 15,
    hashtags: int = 10,
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(term, posts) and (#hashtag, posts), most frequent first."""
    skip = STOP_WORDS | _organisation_words(organisation_names)
    words: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for text in texts:
        seen_words: set[str] = set()
        seen_tags: set[str] = set()
        for token in _WORD.findall(_URL.sub(" ", text)):
            lowered = token.casefold().rstrip("'’-")
            if lowered.startswith("#"):
                seen_tags.add(lowered)
            elif not lowered.startswith("@") and lowered not in skip and len(lowered) > 2:
                seen_words.add(lowered.removesuffix("'s").removesuffix("’s"))
        words.update(seen_words)
        tags.update(seen_tags)
    folded: Counter[str] = Counter()
    for word, count in words.items():
        singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
        folded[singular if singular != word and singular in words else word] += count
    return _most_common(folded, terms), _most_common(tags, hashtags)


def _most_common(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """Most frequent first, ties in alphabetical order: the same posts give the same table."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
