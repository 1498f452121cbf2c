"""Every platform's item parser on arbitrary items: a Post, or one of the errors convert_items
reports as that item's (ValidationError, KeyError, TypeError, ValueError, AttributeError), so
one malformed item never loses the page."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.config import OrgConfig
from pipeline.sources import bluesky, reddit
from pipeline.sources._items import convert_items, dict_id
from pipeline.sources._secrets import Credentials
from pipeline.sources.mastodon import MastodonSource
from pipeline.sources.mastodon import Stream as MastodonStream
from pipeline.sources.x import XSource

_SCALAR = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["2026-11-20T10:00:00Z", "t1_abc", "t3_xyz", "at://did:plc:x/app/1",
                       "1732000000", "-1e309", "nan", "\ud800", 1e20, -1e18, 10**400])
)
_VALUE = st.recursive(
    _SCALAR, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=25,
)


# Values that break parsers more often than random ones: out-of-range numbers, empty shapes.
_HOSTILE = st.sampled_from([1e20, -1e18, 10**400, float("inf"), "nan", "\ud800", "", None, [], {},
                            "not a date", -1])


def _item(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Items holding some of the platform's own keys, with any values, and a few others."""
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), _VALUE, max_size=12)


REDDIT = ["name", "id", "body", "title", "selftext", "author", "author_fullname", "created_utc",
          "permalink", "url", "subreddit", "preview", "media_metadata", "is_gallery"]
BLUESKY = ["uri", "cid", "record", "author", "indexedAt", "embed", "likeCount", "replyCount"]
X = ["id", "author_id", "created_at", "text", "lang", "referenced_tweets", "attachments",
     "entities", "public_metrics"]
MASTODON = ["id", "uri", "url", "created_at", "content", "language", "account",
            "media_attachments", "in_reply_to_id", "quote", "replies_count"]

FUZZ = settings(
    max_examples=150, deadline=2_000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# One well-formed item per platform: the property changes a few of its fields at a time, which
# reaches the parser's later steps (dates, media, authors) that random dictionaries never reach.
BASES: dict[str, dict[str, Any]] = {
    "reddit": {"name": "t3_a", "id": "a", "created_utc": 1_732_000_000, "author": "someone",
               "title": "a title"},
    "bluesky": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "cid": "c",
                "record": {"text": "hi", "createdAt": "2026-11-20T10:00:00Z"},
                "author": {"did": "did:plc:x", "handle": "a.bsky.social"},
                "indexedAt": "2026-11-20T10:00:00Z"},
    "x": {"id": "1", "author_id": "2", "created_at": "2026-11-20T10:00:00Z", "text": "hi"},
    "mastodon": {"id": "1", "uri": "https://mastodon.example/1",
                 "created_at": "2026-11-20T10:00:00Z", "content": "<p>hi</p>",
                 "account": {"id": "9", "acct": "a", "username": "a"}},
}
KEYS = {"reddit": REDDIT, "bluesky": BLUESKY, "x": X, "mastodon": MASTODON}


def _parsers(config: OrgConfig) -> dict[str, Callable[[Any], Any]]:
    x = XSource(config, Credentials({"bearer_token": "t0ken"}, source="x"))
    mastodon = MastodonSource(config, Credentials({}, source="mastodon"))
    stream = MastodonStream("https://mastodon.example", "hashtag", "qmul")
    return {
        "reddit": reddit._post,
        "bluesky": partial(bluesky._post, profiles={}),
        "x": partial(x._post, users={}, media={}),
        "mastodon": partial(mastodon._post, stream=stream),
    }


def _changed(platform: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = st.dictionaries(st.sampled_from(KEYS[platform]), _HOSTILE | _VALUE, min_size=1,
                             max_size=3)
    return fields.map(lambda changed: {**BASES[platform], **changed})


PLATFORMS = ["reddit", "bluesky", "x", "mastodon"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_base_item_is_a_post(example_config: OrgConfig, platform: str) -> None:
    posts, errors = convert_items([BASES[platform]], _parsers(example_config)[platform],
                                  source=platform, item_id=dict_id)
    assert (len(posts), errors) == (1, [])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_any_item_is_a_post_or_that_items_error(
    example_config: OrgConfig, platform: str
) -> None:
    parse = _parsers(example_config)[platform]

    @FUZZ
    @given(items=st.lists(_changed(platform) | _item(KEYS[platform]) | _VALUE,
                          min_size=1, max_size=4))
    def check(items: list[Any]) -> None:
        posts, errors = convert_items(items, parse, source=platform, item_id=dict_id)
        assert len(posts) + len(errors) == len(items)

    check()


# Found by the property above: epochs out of time_t's range raised OverflowError or OSError,
# which convert_items does not catch, and the page was lost.
@pytest.mark.parametrize("epoch", [1e20, 1e309, 10**400, "1e400", -1e18])
def test_an_epoch_out_of_range_is_that_items_error(epoch: object) -> None:
    good = {"name": "t3_b", "id": "b", "created_utc": 1_732_000_000, "author": "someone",
            "title": "fine"}
    bad = {**good, "name": "t3_a", "id": "a", "created_utc": epoch}
    posts, errors = convert_items([bad, good], reddit._post, source="reddit", item_id=dict_id)
    assert len(posts) == 1
    assert len(errors) == 1 and "out of range" in errors[0].message
