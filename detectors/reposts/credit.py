"""Whether a post credits someone for what it shares, or presents it as the poster's own.

Credit is a credit phrase followed by a name or handle ("via @jade", "photo: Jade Okafor",
"h/t @tomasz"), a mention of the original author's handle or name, or a native repost or quote.
A claim of authorship is first-person making ("my shot", "took this", "wrote this"): a copy that
says so is worse than a copy that says nothing.
"""

from __future__ import annotations

import re

from pipeline.core.models import Post

_CREDIT = re.compile(
    r"(?:\b(?:via|credits?(?: to)?|cred|h/?t|hat tip|ht|source|sauce|shared from|"
    r"reposted? (?:from|of)|reposting|original(?:ly)?(?: post(?:ed)?)? (?:by|from)|"
    r"(?:photo|pic|picture|image|video|art|artwork|poem|words|text|thread|tips?|shot)"
    r"(?:s)? (?:by|from|credit|courtesy of)|courtesy of)\b|©|\(c\)|📸)"
    r"\s*[:\-–—]?\s*(?P<who>@[\w.@-]+|[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*|u/[\w-]+)"
    # A bare "by" is credit only before a handle: "by Friday" credits nobody.
    r"|\bby\s+(?:@[\w.@-]+|u/[\w-]+)",
)
_CLAIM = re.compile(
    r"\b(?:my (?:own )?(?:shot|photo|photograph|pic|picture|image|drawing|art|artwork|painting|"
    r"sketch|poem|words|edit|design|work|writing)|i (?:took|shot|snapped|made|drew|painted|"
    r"wrote|designed|captured|photographed|created)|(?:took|shot|snapped|made|wrote|drew|"
    r"painted|created) this|(?:taken|shot|made|drawn|written|created) by me)\b",
    re.I,
)
_NATIVE_REPOST = re.compile(r"^\s*(?:RT|MT|repost|reposted|boosted)\s*@", re.I)
_NATIVE_FIELDS = ("retweeted_status", "reblog", "reposted_from", "crosspost_parent")


def credit_given(post: Post, names: list[str]) -> str | None:
    """What in the post credits someone (the phrase), or None. `names` are the original
    author's handle and display name: naming them anywhere is credit."""
    text = post.all_text()
    if post.quoted or _NATIVE_REPOST.search(text) or any(
        (post.model_extra or {}).get(field) for field in _NATIVE_FIELDS
    ):
        return "a native repost or quote"
    folded = text.casefold()
    for name in names:
        name = name.strip().lstrip("@").casefold()
        local = name.split("@")[0].split(".")[0]
        if len(name) >= 3 and name in folded:
            return f"names {name}"
        if len(local) >= 4 and re.search(rf"(?<![\w]){re.escape(local)}(?![\w])", folded):
            return f"names {local}"
    match = _CREDIT.search(text)
    return match.group(0) if match else None


def claims_authorship(text: str) -> str | None:
    match = _CLAIM.search(text)
    return match.group(0) if match else None
