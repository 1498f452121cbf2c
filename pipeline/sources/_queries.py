"""What to search for, from the organisation config, and how each platform wants it written.

The words come from `search[platform]` (terms, hashtags) plus the organisation's names, aliases
and hashtags and the handles of its registered accounts on that platform. Aliases shorter than
four characters (e.g. "QM") are left out of searches: alone they match far too much.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.core.config import OrgConfig, Platform

X_QUERY_LIMIT = 512  # characters, search/recent on the Basic and Pro tiers
MIN_ALIAS_LENGTH = 4


TermKind = Literal["phrase", "hashtag", "account"]


@dataclass(frozen=True)
class Term:
    kind: TermKind
    value: str


def search_terms(config: OrgConfig, platform: Platform) -> list[Term]:
    search = config.search.get(platform)
    org = config.organisation
    phrases = [*(search.terms if search else []), org.name, org.short_name,
               *(a for a in org.aliases if len(a) >= MIN_ALIAS_LENGTH)]
    hashtags = [*(search.hashtags if search else []), *org.hashtags]
    accounts = [a.handle for a in config.accounts if a.platform == platform]
    terms: list[Term] = []
    seen: set[tuple[str, str]] = set()
    groups: tuple[tuple[TermKind, list[str]], ...] = (
        ("phrase", phrases), ("hashtag", hashtags), ("account", accounts))
    for kind, values in groups:
        for value in values:
            value = value.strip().lstrip("#@") if kind != "phrase" else value.strip()
            key = (kind, value.casefold())
            if value and key not in seen:
                seen.add(key)
                terms.append(Term(kind, value))
    return terms


def languages(config: OrgConfig, platform: Platform) -> list[str]:
    search = config.search.get(platform)
    return list(search.languages) if search else []


def _x_atom(term: Term) -> str:
    if term.kind == "hashtag":
        return f"#{term.value}"
    if term.kind == "account":
        return f"@{term.value}"
    text = term.value.replace('"', "")
    return f'"{text}"' if any(not c.isalnum() for c in text) else text


def pack_or_queries(atoms: list[str], suffix: str, limit: int) -> list[str]:
    """`(a OR b ...) suffix` queries, as few as fit within `limit` characters each."""
    queries: list[str] = []
    chunk: list[str] = []

    def render(items: list[str]) -> str:
        inner = " OR ".join(items)
        body = f"({inner})" if len(items) > 1 else inner
        return f"{body} {suffix}".strip()

    for atom in atoms:
        if len(render([atom])) > limit:
            raise ValueError(f"search term {atom!r} alone exceeds the {limit}-character limit")
        if chunk and len(render([*chunk, atom])) > limit:
            queries.append(render(chunk))
            chunk = []
        chunk.append(atom)
    if chunk:
        queries.append(render(chunk))
    return queries


def x_search_queries(config: OrgConfig, limit: int = X_QUERY_LIMIT) -> list[str]:
    langs = languages(config, "x")
    lang = ""
    if len(langs) == 1:
        lang = f" lang:{langs[0]}"
    elif langs:
        lang = " (" + " OR ".join(f"lang:{code}" for code in langs) + ")"
    atoms = [_x_atom(t) for t in search_terms(config, "x")]
    return pack_or_queries(atoms, f"-is:retweet{lang}", limit)


def x_hygiene_queries(config: OrgConfig, limit: int = X_QUERY_LIMIT) -> list[str]:
    """Each registered X account's own posts and the replies it received."""
    atoms: list[str] = []
    for account in config.accounts:
        if account.platform == "x":
            handle = account.handle.lstrip("@")
            atoms += [f"from:{handle}", f"to:{handle}"]
    return pack_or_queries(atoms, "", limit) if atoms else []


def reddit_query(config: OrgConfig) -> str:
    """Reddit search (Lucene-like): quoted phrases joined by OR; hashtags searched as words."""
    atoms = []
    for term in search_terms(config, "reddit"):
        value = term.value.replace('"', "")
        atoms.append(f'"{value}"' if " " in value else value)
    return " OR ".join(atoms)


def plain_queries(config: OrgConfig, platform: Platform, *,
                  accounts: bool = True) -> list[str]:
    """One query per term, for searches without OR (Bluesky, Mastodon); accounts as @handle."""
    out = []
    for term in search_terms(config, platform):
        if term.kind == "hashtag":
            out.append(f"#{term.value}")
        elif term.kind == "account":
            if accounts:
                out.append(f"@{term.value}")
        else:
            out.append(term.value)
    return out
