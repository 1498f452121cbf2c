"""X (Twitter) collector: API v2 recent search through tweepy's `Client`.

Queries come from the org config (split to respect X's 512-character limit). Each query is a
stream paged newest-first with `next_token`; see pipeline/sources/_sweep.py for why a page
mid-pass saves an `until_id` to resume from and only the pass's last page moves `since_id`.
`kind="hygiene"` searches the registry accounts' own posts and the replies they received.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any, Literal

import requests
import tweepy

from pipeline.core.config import OrgConfig
from pipeline.core.models import Author, Media, Post
from pipeline.sources._items import convert_items, dict_id, numeric_ids, required
from pipeline.sources._queries import x_hygiene_queries, x_search_queries
from pipeline.sources._retry import Fault, Retrier
from pipeline.sources._secrets import Credentials, redact_client_logs
from pipeline.sources._sweep import Checkpoint, read_streams
from pipeline.sources._transport import BadAnswer, Timeouts, requests_session
from pipeline.sources.base import Page, Source

log = logging.getLogger(__name__)

EXPANSIONS = ["author_id", "attachments.media_keys", "referenced_tweets.id"]
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "in_reply_to_user_id",
                "referenced_tweets", "public_metrics", "entities", "attachments", "author_id"]
USER_FIELDS = ["description", "profile_image_url", "created_at", "verified", "public_metrics",
               "username", "name"]
MEDIA_FIELDS = ["url", "preview_image_url", "type"]
# Tweet keys mapped onto Post fields; every other key is kept on the Post as extra data.
_MAPPED = {"id", "text", "created_at", "lang", "author_id", "public_metrics", "attachments"}


def classify(exc: BaseException) -> Fault | None:
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.response.headers.get("x-rate-limit-reset")
        return Fault("rate_limit", "HTTP 429", float(reset) if reset else None)
    if isinstance(exc, tweepy.TwitterServerError):
        return Fault("transient", f"HTTP {exc.response.status_code}")
    if isinstance(exc, tweepy.HTTPException):
        return Fault("fatal", f"HTTP {exc.response.status_code}")
    if isinstance(exc, requests.Timeout):
        return Fault("transient", "timeout")
    if isinstance(exc, requests.ConnectionError):
        return Fault("transient", "connection error")
    return None


def _key(tweet_id: Any) -> int:
    return int(tweet_id)


class XSource(Source):
    platform = "x"

    def __init__(
        self,
        config: OrgConfig,
        credentials: Credentials,
        *,
        name: str = "x",
        kind: Literal["search", "hygiene"] = "search",
        max_pages: int = 10,
        page_size: int = 100,
        retrier: Retrier | None = None,
        client: tweepy.Client | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        (token,) = credentials.require("bearer_token", hint="X API v2 app bearer token")
        self.name = name
        self.kind = kind
        self.queries = x_hygiene_queries(config) if kind == "hygiene" else x_search_queries(config)
        self.max_pages = max_pages
        self.page_size = page_size
        self.retrier = retrier or Retrier(classify)
        self.client = client or tweepy.Client(bearer_token=token, return_type=dict,
                                              wait_on_rate_limit=False)
        # tweepy's Client has no timeout at all: the session's adapter brings the deadline.
        requests_session(timeouts or Timeouts(), self.client.session)
        redact_client_logs(credentials)
        self._registry = {a.handle.lstrip("@").casefold(): a.handle
                          for a in config.accounts if a.platform == "x"}

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        return read_streams(self.queries, self._stream, checkpoint, max_pages=self.max_pages,
                            source=self.name)

    def _stream(self, query: str, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        sweep = state.get(query)
        # A resumed pass reads below where the stored part ended; X wants the same since/until
        # on every page of a `next_token` chain.
        until = sweep.resume
        next_token: str | None = None
        while True:
            params: dict[str, Any] = {
                "max_results": self.page_size, "expansions": EXPANSIONS,
                "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS,
                "media_fields": MEDIA_FIELDS,
            }
            if sweep.floor is not None:
                params["since_id"] = sweep.floor
            if until is not None:
                params["until_id"] = until
            if next_token:
                params["next_token"] = next_token
            body = self.retrier.call(self._search, query, params)
            tweets = body.get("data") or []
            includes = body.get("includes") or {}
            users = {u.get("id"): u for u in includes.get("users", [])}
            media = {m.get("media_key"): m for m in includes.get("media", [])}
            posts, errors = convert_items(
                tweets, partial(self._post, users=users, media=media), source=self.name,
                item_id=dict_id,
            )
            ids = numeric_ids(tweets)
            newest = str(max(ids)) if ids else None
            next_token = body["meta"].get("next_token")
            if next_token:
                # Only X's missing next_token ends a pass; a short or empty page does not.
                sweep = sweep.advanced(newest, str(min(ids)) if ids else sweep.resume, key=_key)
            else:
                sweep = sweep.finished(newest, key=_key)
                next_token = None
            state = state.with_stream(query, sweep)
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            if not next_token:
                return

    def _search(self, query: str, params: dict[str, Any]) -> dict[str, Any]:
        """One page of recent search, whole: X always sends `meta`, and `data` is a list."""
        body = self.client.search_recent_tweets(query, **params)
        if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
            raise BadAnswer("search answer without its meta object")
        if not isinstance(body.get("data", []), list):
            raise BadAnswer("search answer whose data is not a list")
        return body

    def _post(self, tweet: dict[str, Any], *, users: dict[str, Any],
              media: dict[str, Any]) -> Post:
        author_id = str(required(tweet, "author_id"))
        user = users.get(author_id)
        author = _author(author_id, user)
        handle = author.handle if user else None
        refs = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or []}
        attached = [media[k] for k in (tweet.get("attachments") or {}).get("media_keys", [])
                    if k in media]
        extra = {k: v for k, v in tweet.items() if k not in _MAPPED}
        if self.kind == "hygiene":
            extra["collected_for"] = "account_hygiene"
        entities = tweet.get("entities") or {}
        mentioned = [m.get("username", "") for m in entities.get("mentions", [])]
        registry = sorted({self._registry[m.casefold()] for m in mentioned
                           if m.casefold() in self._registry})
        if registry:
            extra["mentions_registry"] = registry
        return Post.model_validate({
            **extra,
            "platform": "x",
            "id": str(tweet["id"]),
            "url": f"https://x.com/{handle}/status/{tweet['id']}" if handle
            else f"https://x.com/i/web/status/{tweet['id']}",
            "created_at": tweet["created_at"],
            "text": tweet.get("text", ""),
            "lang": tweet.get("lang"),
            "author": author,
            "media": [m for m in (_media(item) for item in attached) if m is not None],
            "in_reply_to": refs.get("replied_to"),
            "quoted": refs.get("quoted"),
            "metrics": tweet.get("public_metrics") or {},
        })


def _author(author_id: str, user: dict[str, Any] | None) -> Author:
    if user is None:
        # Deleted, suspended or protected: X leaves the user out of `includes` and names it in
        # `errors`; the post is still kept, with what is known.
        return Author.model_validate({"id": author_id, "handle": author_id, "unavailable": True})
    metrics = user.get("public_metrics") or {}
    return Author.model_validate({
        "id": author_id,
        "handle": user.get("username") or author_id,
        "display_name": user.get("name"),
        "description": user.get("description"),
        "avatar_url": user.get("profile_image_url"),
        "created_at": user.get("created_at"),
        "verified": user.get("verified"),
        "followers": metrics.get("followers_count"),
        "following": metrics.get("following_count"),
        "posts_count": metrics.get("tweet_count"),
    })


def _media(item: dict[str, Any]) -> Media | None:
    url = item.get("url") or item.get("preview_image_url")
    if not url:
        return None
    kind = item.get("type", "photo")
    return Media.model_validate({"url": url, "type": "image" if kind == "photo" else kind,
                                 "media_key": item.get("media_key")})
