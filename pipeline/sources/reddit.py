"""Reddit collector: search in the configured subreddits and site-wide through praw, plus the
comments of every matching submission.

Reddit search has no `since`: results come newest first and paging uses `after`. Each stream's
floor is the newest `created_utc` stored plus the ids seen at that second (several posts can
share one), so a rerun stops exactly where the last one ended; a page mid-pass saves the
`after` to resume from (see _sweep.py). The checkpoint is JSON and survives restarts.

`kind="hygiene"` reads, for every registered Reddit account, its Redditor listings (its own
newest submissions and comments, `/user/<name>/submitted` and `/user/<name>/comments`, the same
listings praw's `Redditor.submissions` and `Redditor.comments` page through) and the replies they
received: the comment tree of each own submission, the replies under each own comment. Both
listings page newest first with `after`, so they use the same floor-and-resume marks as search.
A registered account that no longer exists (404) is reported, and the others are still read.

praw authenticates as a read-only script app (client credentials); prawcore itself retries a
5xx twice before this module's own back-off sees it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import praw
import prawcore
import requests
from praw.models import Comment, Listing, Submission

from pipeline.core.config import OrgConfig
from pipeline.core.jsonl import LineError
from pipeline.core.models import Author, Media, Post
from pipeline.sources._items import convert_items, from_epoch, required
from pipeline.sources._queries import reddit_query
from pipeline.sources._retry import Fault, RequestRefused, Retrier
from pipeline.sources._secrets import Credentials, redact_client_logs
from pipeline.sources._sweep import Checkpoint, Sweep, read_streams
from pipeline.sources._transport import BadAnswer, Timeouts, requests_session
from pipeline.sources.base import Page, Source

log = logging.getLogger(__name__)

SITE = "https://www.reddit.com"
_MAPPED = {"id", "name", "title", "selftext", "body", "created_utc", "created", "author",
           "author_fullname", "permalink", "url", "preview", "media_metadata", "parent_id",
           "crosspost_parent", "score", "num_comments", "ups", "downs", "upvote_ratio"}


def classify(exc: BaseException) -> Fault | None:
    if isinstance(exc, prawcore.TooManyRequests):
        # Reddit's x-ratelimit-reset counts seconds from now, not an epoch.
        reset = exc.response.headers.get("x-ratelimit-reset")
        return Fault("rate_limit", "HTTP 429", time.time() + float(reset) if reset else None)
    if isinstance(exc, prawcore.ServerError):
        return Fault("transient", f"HTTP {exc.response.status_code}")
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        return Fault("transient" if status >= 500 else "fatal", f"HTTP {status}")
    if isinstance(exc, prawcore.RequestException):
        return Fault("transient", "timeout or connection error")
    if isinstance(exc, prawcore.OAuthException):
        return Fault("fatal", "OAuth error")
    if isinstance(exc, requests.RequestException):
        return Fault("transient", "timeout or connection error")
    return None


def _fields(thing: Any) -> dict[str, Any]:
    """The listing fields praw stored on the object (praw keeps them as attributes)."""
    return {k: v for k, v in vars(thing).items() if not k.startswith("_")}


def _cursorable(item: dict[str, Any]) -> bool:
    try:
        float(item["created_utc"])
    except (KeyError, TypeError, ValueError):
        return False
    return bool(item.get("name"))


def _newer(item: dict[str, Any], floor: list[Any] | None) -> bool:
    if not floor:
        return True
    utc, ids = floor
    created = float(item["created_utc"])
    return created > utc or (created == utc and item["name"] not in ids)


def _top(top: list[Any] | None, items: list[dict[str, Any]]) -> list[Any] | None:
    for item in items:
        created = float(item["created_utc"])
        if top is None or created > top[0]:
            top = [created, [item["name"]]]
        elif created == top[0] and item["name"] not in top[1]:
            top = [created, sorted([*top[1], item["name"]])]
    return top


@dataclass(frozen=True)
class Stream:
    key: str  # the checkpoint's stream key
    path: str  # the listing's API path
    account: str | None = None  # hygiene: the registered account the listing belongs to


def hygiene_streams(config: OrgConfig) -> list[Stream]:
    """Each registered Reddit account's own submissions, then its own comments."""
    streams = []
    for account in config.accounts:
        if account.platform == "reddit":
            name = account.handle.strip().lstrip("@").removeprefix("u/").removeprefix("/u/")
            streams += [Stream(f"u/{name} submitted", f"/user/{name}/submitted", name),
                        Stream(f"u/{name} comments", f"/user/{name}/comments", name)]
    return streams


class RedditSource(Source):
    platform = "reddit"

    def __init__(
        self,
        config: OrgConfig,
        credentials: Credentials,
        *,
        name: str = "reddit",
        kind: Literal["search", "hygiene"] = "search",
        max_pages: int = 10,
        page_size: int = 100,
        with_comments: bool = True,
        retrier: Retrier | None = None,
        reddit: praw.Reddit | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        client_id, secret, agent = credentials.require(
            "client_id", "client_secret", "user_agent",
            hint="a Reddit script app's id and secret, and a descriptive user agent")
        self.name = name
        self.kind = kind
        self.max_pages = max_pages
        self.page_size = page_size
        self.with_comments = with_comments
        self.retrier = retrier or Retrier(classify)
        self.reddit = reddit or praw.Reddit(
            client_id=client_id, client_secret=secret, user_agent=agent,
            check_for_updates=False, check_for_async=False,
            # prawcore's own timeout is per socket read; the session brings the deadline.
            requestor_kwargs={"session": requests_session(timeouts or Timeouts())},
        )
        redact_client_logs(credentials)
        search = config.search.get("reddit")
        self.query = reddit_query(config)
        subs = "+".join(search.subreddits) if search and search.subreddits else None
        # The configured subreddits, then all of Reddit.
        self.streams = ([Stream(f"r/{subs}", f"/r/{subs}/search")] if subs else []) + \
            [Stream("all", "/search")]
        if kind == "hygiene":
            self.streams = hygiene_streams(config)

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        return read_streams(self.streams, self._read, checkpoint, max_pages=self.max_pages,
                            source=self.name)

    def _read(self, stream: Stream, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        if stream.account is None:
            return self._stream(stream, state)
        return self._unless_gone(stream, state)

    def _unless_gone(self, stream: Stream, state: Checkpoint
                     ) -> Iterator[tuple[Page, Checkpoint]]:
        """A registered account that no longer exists (404) is itself a hygiene fact: it is
        reported once (on its submissions listing), and the other accounts are still read."""
        try:
            for page, reached in self._stream(stream, state):
                state = reached
                yield page, reached
        except RequestRefused as exc:
            if exc.detail != "HTTP 404":
                raise
            if stream.key.endswith(" submitted"):
                error = LineError(self.name, 0, f"u/{stream.account}",
                                  "registered account not found (404)")
                log.warning("%s", error)
                yield Page(posts=[], checkpoint=None, errors=[error]), state

    def _stream(self, stream: Stream, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        key, path = stream.key, stream.path
        sweep = state.get(key)
        after = sweep.resume
        top = sweep.top
        while True:
            params: dict[str, str | int] = {"sort": "new", "limit": self.page_size,
                                            "raw_json": 1}
            if stream.account is None:
                params.update(q=self.query, t="all")
                if path != "/search":
                    params["restrict_sr"] = "on"
            if after:
                params["after"] = after
            listing = self.retrier.call(self._listing, path, params)
            kinds = (Submission, Comment) if stream.account else (Submission,)
            things = [t for t in getattr(listing, "children", []) if isinstance(t, kinds)]
            fields = [_fields(t) for t in things]
            # A malformed item goes on to be reported (convert_items); it never moves a mark.
            fresh = [(t, f) for t, f in zip(things, fields, strict=True)
                     if not _cursorable(f) or _newer(f, sweep.floor)]
            reached_floor = any(_cursorable(f) and not _newer(f, sweep.floor) for f in fields)
            items: list[dict[str, Any]] = [f for _, f in fresh]
            unread: list[LineError] = []
            if self.with_comments:
                for thing, f in fresh:
                    if isinstance(thing, Comment):
                        replies, error = self._replies(f)
                    elif f.get("num_comments"):
                        replies, error = self._comments(thing)
                    else:
                        continue
                    items += replies
                    unread += [error] if error else []
            posts, errors = convert_items(items, partial(_post, hygiene_account=stream.account),
                                          source=self.name, item_id=lambda f: f.get("name"))
            errors = unread + errors
            top = _top(top, [f for _, f in fresh if _cursorable(f)])
            after = getattr(listing, "after", None)
            # Reddit's own end of results is a missing `after`; a short page is not one.
            if after and not reached_floor:
                sweep = Sweep(floor=sweep.floor, top=top, resume=after)
            else:
                sweep = Sweep(floor=top or sweep.floor)
                after = None
            state = state.with_stream(key, sweep)
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            if not after:
                return

    def _listing(self, path: str, params: dict[str, str | int]) -> Listing:
        listing = self.reddit.get(path, params=params)
        if not isinstance(listing, Listing):
            raise BadAnswer("listing answer that is not a Listing")
        return listing

    def _unreadable(self, fullname: str, what: str, exc: RequestRefused) -> LineError:
        error = LineError(self.name, 0, fullname, f"{what} not read ({exc.detail})")
        log.warning("%s", error)
        return error

    def _comments(self, submission: Submission
                  ) -> tuple[list[dict[str, Any]], LineError | None]:
        """The submission's comment tree. A tree Reddit refuses (removed, quarantined, private:
        403/404) is reported and skipped, and the source goes on; a fault is retried and then
        stops the source, so the next run reads the tree with its page."""
        def fetch() -> list[Comment]:
            forest = submission.comments
            forest.replace_more(limit=0)  # no extra "load more" requests
            return [c for c in forest.list() if isinstance(c, Comment)]

        try:
            return [_fields(c) for c in self.retrier.call(fetch)], None
        except RequestRefused as exc:
            return [], self._unreadable(f"t3_{submission.id}", "comments", exc)

    def _replies(self, own: dict[str, Any]) -> tuple[list[dict[str, Any]], LineError | None]:
        """The replies under one of the account's own comments (its thread below it)."""
        link, ident = own.get("link_id"), own.get("id")
        if not (isinstance(link, str) and isinstance(ident, str)):
            return [], None  # a malformed comment is reported by convert_items
        path = f"/comments/{link.removeprefix('t3_')}/_/{ident}"
        try:
            answer = self.retrier.call(self.reddit.get, path, params={"raw_json": 1})
        except RequestRefused as exc:
            return [], self._unreadable(f"t1_{ident}", "replies", exc)
        # [the submission's listing, the comment's own listing with its replies nested]
        listing = answer[1] if isinstance(answer, list) and len(answer) > 1 else None
        found: list[dict[str, Any]] = []
        for comment in getattr(listing, "children", []):
            if isinstance(comment, Comment) and comment.id == ident:
                found += [_fields(c) for c in comment.replies.list() if isinstance(c, Comment)]
        return found, None


def _author(fields: dict[str, Any]) -> Author:
    author = fields.get("author")
    if author is None:
        # "[deleted]" (account gone) or removed: praw gives None; the post is still kept.
        return Author.model_validate({"id": "[deleted]", "handle": "[deleted]",
                                      "unavailable": True})
    return Author.model_validate({
        "id": fields.get("author_fullname") or f"name:{author}",
        "handle": str(author),
        "flair": fields.get("author_flair_text") or None,
        "premium": fields.get("author_premium"),
    })


def _media(fields: dict[str, Any]) -> list[Media]:
    urls: list[str] = []
    if fields.get("post_hint") == "image" and fields.get("url"):
        urls.append(fields["url"])
    for meta in (fields.get("media_metadata") or {}).values():
        source = (meta or {}).get("s") or {}
        if source.get("u"):
            urls.append(source["u"])
    if not urls:
        for image in (fields.get("preview") or {}).get("images", []):
            if (image.get("source") or {}).get("url"):
                urls.append(image["source"]["url"])
    return [Media(url=u, type="image") for u in dict.fromkeys(urls)]


def _permalink(fields: dict[str, Any]) -> str | None:
    if fields.get("permalink"):
        return SITE + str(fields["permalink"])
    # Comments inside a tree often come without one; it follows from the link and comment ids
    # (Reddit answers /r/<sub>/comments/<link>/_/<comment>/ with that comment).
    name, link = str(fields.get("name") or ""), fields.get("link_id")
    if name.startswith("t1_") and isinstance(link, str) and link.startswith("t3_"):
        sub = fields.get("subreddit")
        where = f"/r/{sub}" if sub else ""
        return f"{SITE}{where}/comments/{link[3:]}/_/{name[3:]}/"
    return None


def _post(fields: dict[str, Any], *, hygiene_account: str | None = None) -> Post:
    name = required(fields, "name")
    is_comment = name.startswith("t1_")
    text = fields.get("body", "") if is_comment else "\n\n".join(
        t for t in (fields.get("title"), fields.get("selftext")) if t)
    extra = {k: v for k, v in fields.items() if k not in _MAPPED
             and isinstance(v, str | int | float | bool) and v not in ("", None)}
    extra["subreddit"] = str(fields.get("subreddit") or extra.get("subreddit_name_prefixed", ""))
    if not is_comment and fields.get("url"):
        extra["link_url"] = fields["url"]
    if hygiene_account:
        extra["collected_for"] = "account_hygiene"
        extra["hygiene_account"] = hygiene_account
    return Post.model_validate({
        **extra,
        "platform": "reddit",
        "id": name,
        "url": _permalink(fields),
        "created_at": from_epoch(required(fields, "created_utc")),
        "text": text,
        "lang": None,
        "author": _author(fields),
        "media": [] if is_comment else _media(fields),
        "in_reply_to": fields.get("parent_id") if is_comment else None,
        "quoted": fields.get("crosspost_parent"),
        "metrics": {k: fields[k] for k in ("score", "num_comments", "upvote_ratio")
                    if fields.get(k) is not None},
    })
