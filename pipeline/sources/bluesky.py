"""Bluesky collector: `app.bsky.feed.searchPosts` through the `atproto` client.

One stream per search word (Bluesky search has no OR): phrases, `#hashtags`, and
`mentions:<handle>` for each registered account. Search pages newest first with a cursor, so
checkpoints use the resumable marks of _sweep.py over each post's sort time (the earlier of
createdAt and indexedAt, which is what `since`/`until` filter on). `since` is inclusive: a rerun
reads the newest stored post once more, which overwrites it (same document id).

`kind="hygiene"` reads each registered account's own posts (`app.bsky.feed.getAuthorFeed`,
reposts left out) and the replies each one received (`app.bsky.feed.getPostThread`). The author
feed has no `since`: it pages newest first by cursor, so its floor is the newest sort time stored
plus the post URIs at that time, and a rerun stops paging once it reaches them. A registered
account the AppView no longer serves (not found, taken down, deactivated) is reported, and the
others are still read.

Authors are completed with `app.bsky.actor.getProfiles` (description, follower counts). Images
become CDN URLs; media are never downloaded here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

from atproto import Client, models
from atproto_client import exceptions as atp
from atproto_client.request import Request

from pipeline.core.config import OrgConfig
from pipeline.core.jsonl import LineError
from pipeline.core.models import Author, Media, Post
from pipeline.sources._items import convert_items, required
from pipeline.sources._queries import languages, plain_queries
from pipeline.sources._retry import Fault, RequestRefused, Retrier
from pipeline.sources._secrets import Credentials, redact_client_logs
from pipeline.sources._sweep import Checkpoint, Sweep, read_streams
from pipeline.sources._transport import BadAnswer, DeadlineTransport, Timeouts
from pipeline.sources.base import Page, Source

log = logging.getLogger(__name__)

CDN = "https://cdn.bsky.app/img"
DEFAULT_BASE = "https://bsky.social/xrpc"
PROFILE_BATCH = 25  # getProfiles accepts at most 25 actors
# XRPC errors with which the AppView answers for an account it no longer serves.
ACCOUNT_GONE = {"HTTP 400 InvalidRequest", "HTTP 400 AccountTakedown",
                "HTTP 400 AccountDeactivated", "HTTP 400 BlockedActor", "HTTP 400 BlockedByActor"}
THREAD_DEPTH = 10  # reply levels read below each own post


def classify(exc: BaseException) -> Fault | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(exc, atp.NetworkError):  # transport failures, timeouts, 409, 413, 502
        return Fault("transient", f"HTTP {status}" if status else "timeout or connection error")
    if isinstance(exc, atp.RequestErrorBase):
        if status == 429:
            headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
            reset = headers.get("ratelimit-reset")
            return Fault("rate_limit", "HTTP 429", float(reset) if reset else None)
        if status is not None and status >= 500:
            return Fault("transient", f"HTTP {status}")
        if status == 400 and (name := _xrpc_error(response)):
            return Fault("fatal", f"HTTP 400 {name}")
        return Fault("fatal", f"HTTP {status}" if status else type(exc).__name__)
    if isinstance(exc, atp.AtProtocolError):
        return Fault("fatal", type(exc).__name__)
    return None


def _xrpc_error(response: Any) -> str | None:
    """The XRPC error name of a 400 answer (e.g. "InvalidRequest"): a fixed word, never the
    free-text message."""
    content = getattr(response, "content", None)
    name = content.get("error") if isinstance(content, dict) else getattr(content, "error", None)
    return name if isinstance(name, str) and name.isalnum() else None


def _ts(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sort_at(view: dict[str, Any]) -> datetime | None:
    times = []
    for raw in ((view.get("record") or {}).get("createdAt"), view.get("indexedAt")):
        try:
            times.append(_ts(str(raw)))
        except (TypeError, ValueError):
            continue
    return min(times) if times else None


def _cursorable(view: dict[str, Any]) -> bool:
    return bool(view.get("uri")) and sort_at(view) is not None


def _newer(view: dict[str, Any], floor: list[Any] | None) -> bool:
    """Newer than the author-feed floor [sort time, URIs stored at that time]."""
    if not floor:
        return True
    moment, uris = _ts(floor[0]), floor[1]
    at = sort_at(view)
    return at is not None and (at > moment or (at == moment and view["uri"] not in uris))


def _top(top: list[Any] | None, views: list[dict[str, Any]]) -> list[Any] | None:
    for view in views:
        at = sort_at(view)
        if at is None:
            continue
        if top is None or at > _ts(top[0]):
            top = [_iso(at), [view["uri"]]]
        elif at == _ts(top[0]) and view["uri"] not in top[1]:
            top = [top[0], sorted([*top[1], view["uri"]])]
    return top


class BlueskySource(Source):
    platform = "bluesky"

    def __init__(
        self,
        config: OrgConfig,
        credentials: Credentials,
        *,
        name: str = "bluesky",
        kind: Literal["search", "hygiene"] = "search",
        max_pages: int = 10,
        page_size: int = 100,
        retrier: Retrier | None = None,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        credentials.require("handle", "app_password", hint="a Bluesky handle and an app password")
        # Kept inside Credentials (whose repr hides values) until login.
        self._credentials = credentials
        self.name = name
        self.kind = kind
        self.max_pages = max_pages
        self.page_size = page_size
        self.retrier = retrier or Retrier(classify)
        transport = DeadlineTransport(timeouts or Timeouts(), base_url=base_url or DEFAULT_BASE)
        self.client = Client(base_url=base_url, request=Request(transport=transport))
        self._logged_in = False
        langs = languages(config, "bluesky")
        self.lang = langs[0] if len(langs) == 1 else None
        self.queries = plain_queries(config, "bluesky", accounts=False) + [
            f"mentions:{a.handle.lstrip('@')}" for a in config.accounts
            if a.platform == "bluesky"
        ]
        # Hygiene: (handle, actor) per registered account; the DID when known, as handles move.
        self.accounts = [(a.handle.lstrip("@"), a.platform_id or a.handle.lstrip("@"))
                         for a in config.accounts if a.platform == "bluesky"]

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        if self.kind == "hygiene":
            return read_streams(self.accounts, self._unless_gone, checkpoint,
                                max_pages=self.max_pages, source=self.name)
        return read_streams(self.queries, self._stream, checkpoint, max_pages=self.max_pages,
                            source=self.name)

    def _ensure_login(self) -> None:
        if not self._logged_in:
            handle, password = self._credentials.require(
                "handle", "app_password", hint="a Bluesky handle and an app password")
            self.retrier.call(self.client.login, handle, password, fetch_bsky_profile=False)
            redact_client_logs(self._credentials)
            self._logged_in = True

    def _stream(self, query: str, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        self._ensure_login()
        sweep = state.get(query)
        until = sweep.resume
        cursor: str | None = None
        while True:
            params = models.AppBskyFeedSearchPosts.Params(
                q=query, sort="latest", limit=self.page_size, since=sweep.floor, until=until,
                cursor=cursor, lang=self.lang,
            )
            body = self.retrier.call(self._query, "app.bsky.feed.searchPosts", params, "posts")
            views = [v for v in body["posts"] if isinstance(v, dict)]
            profiles = self._profiles(views)
            posts, errors = convert_items(
                views, partial(_post, profiles=profiles), source=self.name,
                item_id=lambda v: v.get("uri"),
            )
            times = [t for t in map(sort_at, views) if t is not None]
            newest = _iso(max(times)) if times else None
            cursor = body.get("cursor")
            if cursor:
                # Only a missing cursor ends the pass: the AppView often sends fewer posts than
                # asked for (moderation, deleted posts) and still has more.
                # `until` is exclusive: a millisecond later re-reads the oldest, never skips.
                resume = _iso(min(times) + timedelta(milliseconds=1)) if times else sweep.resume
                sweep = sweep.advanced(newest, resume, key=_ts)
            else:
                sweep = sweep.finished(newest, key=_ts)
                cursor = None
            state = state.with_stream(query, sweep)
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            if not cursor:
                return

    def _unless_gone(self, account: tuple[str, str], state: Checkpoint
                     ) -> Iterator[tuple[Page, Checkpoint]]:
        """A registered account that is gone is itself a hygiene fact: reported, and the other
        accounts are still read."""
        try:
            for page, reached in self._author_feed(account, state):
                state = reached
                yield page, reached
        except RequestRefused as exc:
            if exc.detail not in ACCOUNT_GONE:
                raise
            error = LineError(self.name, 0, account[0],
                              f"registered account not available ({exc.detail})")
            log.warning("%s", error)
            yield Page(posts=[], checkpoint=None, errors=[error]), state

    def _author_feed(self, account: tuple[str, str], state: Checkpoint
                     ) -> Iterator[tuple[Page, Checkpoint]]:
        self._ensure_login()
        handle, actor = account
        key = f"author:{handle}"
        sweep = state.get(key)
        cursor, top = sweep.resume, sweep.top
        while True:
            params = models.AppBskyFeedGetAuthorFeed.Params(
                actor=actor, filter="posts_with_replies", limit=self.page_size, cursor=cursor)
            body = self.retrier.call(self._query, "app.bsky.feed.getAuthorFeed", params, "feed")
            items = [i for i in body["feed"] if isinstance(i, dict)]
            # A repost (`reason`) is someone else's post; only the account's own count here.
            own = [i["post"] for i in items if isinstance(i.get("post"), dict)
                   and not i.get("reason")]
            fresh = [v for v in own if not _cursorable(v) or _newer(v, sweep.floor)]
            reached_floor = any(_cursorable(v) and not _newer(v, sweep.floor) for v in own)
            views, unread = list(fresh), []
            for view in fresh:
                if (view.get("replyCount") or 0) > 0:
                    replies, error = self._replies(view)
                    views += replies
                    unread += [error] if error else []
            posts, errors = convert_items(
                views, partial(_post, profiles=self._profiles(views), hygiene_account=handle),
                source=self.name, item_id=lambda v: v.get("uri"))
            errors = unread + errors
            top = _top(top, [v for v in fresh if _cursorable(v)])
            cursor = body.get("cursor")
            if cursor and items and not reached_floor:
                sweep = Sweep(floor=sweep.floor, top=top, resume=cursor)
            else:
                sweep = Sweep(floor=top or sweep.floor)
                cursor = None
            state = state.with_stream(key, sweep)
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            if not cursor:
                return

    def _query(self, nsid: str, params: Any, key: str) -> dict[str, Any]:
        """One XRPC query whose answer must be an object holding `key` (a list, or for a
        thread an object): anything else is a bad answer, retried, never an empty page."""
        response = self.client.invoke_query(nsid, params=params)
        body = response.content
        wanted = dict if key == "thread" else list
        if not isinstance(body, dict) or not isinstance(body.get(key), wanted):
            raise BadAnswer(f"{nsid.rsplit('.', 1)[-1]} answer without its {key!r}")
        return body

    def _replies(self, view: dict[str, Any]) -> tuple[list[dict[str, Any]], LineError | None]:
        """Every reply in the thread below one own post (blocked and deleted ones left out).
        A thread the AppView refuses is reported and skipped; the feed goes on."""
        params = models.AppBskyFeedGetPostThread.Params(
            uri=view["uri"], depth=THREAD_DEPTH, parent_height=0)
        try:
            body = self.retrier.call(self._query, "app.bsky.feed.getPostThread", params, "thread")
        except RequestRefused as exc:
            if exc.detail == "HTTP 400 NotFound":
                return [], None  # deleted since the feed was read
            error = LineError(self.name, 0, str(view["uri"]), f"replies not read ({exc.detail})")
            log.warning("%s", error)
            return [], error
        found: list[dict[str, Any]] = []
        queue = list(body["thread"].get("replies") or [])
        while queue:
            node = queue.pop(0)
            if isinstance(node, dict) and isinstance(node.get("post"), dict):
                found.append(node["post"])
                queue += node.get("replies") or []
        return found, None

    def _profiles(self, views: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        dids = sorted({str(d) for v in views if (d := (v.get("author") or {}).get("did"))})
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(dids), PROFILE_BATCH):
            params = models.AppBskyActorGetProfiles.Params(actors=dids[start:start + PROFILE_BATCH])
            body = self.retrier.call(self._query, "app.bsky.actor.getProfiles", params,
                                     "profiles")
            found.update({p["did"]: p for p in body["profiles"]
                          if isinstance(p, dict) and p.get("did")})
        return found


def _post(view: dict[str, Any], *, profiles: dict[str, dict[str, Any]],
          hygiene_account: str | None = None) -> Post:
    uri = required(view, "uri")
    record = required(view, "record")
    basic = required(view, "author")
    did = required(basic, "did")
    rkey = uri.rsplit("/", 1)[-1]
    embed = view.get("embed") or {}
    reply = (record.get("reply") or {}).get("parent") or {}
    langs = record.get("langs") or []
    extra = {k: v for k, v in view.items()
             if k in ("cid", "labels", "threadgate", "viewer") and v}
    for key in ("facets", "tags"):
        if record.get(key):
            extra[key] = record[key]
    extra["indexed_at"] = view.get("indexedAt")
    if hygiene_account:
        extra["collected_for"] = "account_hygiene"
        extra["hygiene_account"] = hygiene_account
    return Post.model_validate({
        **extra,
        "platform": "bluesky",
        "id": uri,
        "url": f"https://bsky.app/profile/{basic.get('handle') or did}/post/{rkey}",
        # A createdAt without a time zone is taken as UTC, like the AppView's sort time.
        "created_at": _ts(str(required(record, "createdAt"))),
        "text": record.get("text", ""),
        "lang": langs[0] if langs else None,
        "author": _author(basic, profiles.get(did)),
        "media": _media(embed, record.get("embed") or {}, did),
        "in_reply_to": reply.get("uri"),
        "quoted": _quoted(embed),
        "metrics": {k: view[k] for k in ("replyCount", "repostCount", "likeCount", "quoteCount")
                    if view.get(k) is not None},
    })


def _author(basic: dict[str, Any], profile: dict[str, Any] | None) -> Author:
    full = {**basic, **(profile or {})}
    return Author.model_validate({
        "id": full["did"],
        "handle": full.get("handle") or full["did"],
        "display_name": full.get("displayName") or None,
        "description": full.get("description"),
        "avatar_url": full.get("avatar"),
        "created_at": full.get("createdAt"),
        "verified": (full.get("verification") or {}).get("verifiedStatus") == "valid"
        if full.get("verification") else None,
        "followers": full.get("followersCount"),
        "following": full.get("followsCount"),
        "posts_count": full.get("postsCount"),
        "labels": [label.get("val") for label in full.get("labels") or []] or None,
        # getProfiles leaves out deleted, deactivated and taken-down accounts.
        "profile_unavailable": True if profile is None else None,
    })


def _media(embed: dict[str, Any], raw_embed: dict[str, Any], did: str) -> list[Media]:
    view = embed.get("media") if "recordWithMedia" in str(embed.get("$type")) else embed
    images = (view or {}).get("images") or []
    if images:
        return [Media.model_validate({"url": i["fullsize"], "type": "image",
                                      "alt": i.get("alt") or None, "thumb": i.get("thumb")})
                for i in images if i.get("fullsize")]
    # No view (e.g. an older AppView answer): build the CDN address from the blob's CID.
    raw = raw_embed.get("media") if "recordWithMedia" in str(raw_embed.get("$type")) else raw_embed
    out = []
    for image in (raw or {}).get("images") or []:
        link = ((image.get("image") or {}).get("ref") or {}).get("$link")
        if link:
            out.append(Media(url=f"{CDN}/feed_fullsize/plain/{did}/{link}@jpeg", type="image"))
    return out


def _quoted(embed: dict[str, Any]) -> str | None:
    kind = str(embed.get("$type"))
    if "recordWithMedia" in kind:
        embed = embed.get("record") or {}
    elif "embed.record" not in kind:
        return None
    record = embed.get("record") or {}
    return record.get("uri")
