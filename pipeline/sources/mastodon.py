"""Mastodon collector: hashtag timelines and status search on the configured instances,
through Mastodon.py.

Hashtag timelines (and, for account hygiene, account timelines) page oldest-first with
`min_id`, so every page's checkpoint is simply the newest status id it stored, per instance and
stream. Status search pages newest-first and uses the same resumable marks as X (see _sweep.py).
An access token is only ever sent to the instance it belongs to (`instance` credential, default
the first configured instance); other instances are read anonymously, which covers public
hashtag timelines; search needs the token.

Status ids are local to the instance that served them; a Post's id is the status `uri`, which is
global, so one status seen through two instances is stored once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal
from urllib.parse import urlparse

import mastodon as mastodon_py

from pipeline.core.config import OrgConfig
from pipeline.core.jsonl import LineError
from pipeline.core.models import Author, Media, Post
from pipeline.sources._html import html_to_text
from pipeline.sources._items import convert_items, dict_id, numeric_ids, required
from pipeline.sources._queries import plain_queries, search_terms
from pipeline.sources._retry import Fault, RequestRefused, Retrier
from pipeline.sources._secrets import Credentials, redact_client_logs
from pipeline.sources._sweep import Checkpoint, Sweep, read_streams
from pipeline.sources._transport import BadAnswer, Timeouts, requests_session
from pipeline.sources.base import Page, Source

log = logging.getLogger(__name__)

_MAPPED = {"id", "uri", "url", "created_at", "content", "language", "account",
           "media_attachments", "in_reply_to_id", "quote", "replies_count", "reblogs_count",
           "favourites_count", "quotes_count"}


def host_url(instance: str) -> str:
    instance = instance.strip().rstrip("/")
    return instance if "://" in instance else f"https://{instance}"


def classifier(client: mastodon_py.Mastodon) -> Callable[[BaseException], Fault | None]:
    def classify(exc: BaseException) -> Fault | None:
        if isinstance(exc, mastodon_py.MastodonRatelimitError):
            # Mastodon.py has already read X-RateLimit-Reset into the client.
            return Fault("rate_limit", "HTTP 429", client.ratelimit_reset)
        if isinstance(exc, mastodon_py.MastodonNetworkError):
            return Fault("transient", "timeout or connection error")
        if not isinstance(exc, mastodon_py.MastodonAPIError):
            return None
        # ('Mastodon API returned error', status, reason, message) for an error status; the
        # same class with free text in place of the status when a body could not be parsed.
        status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        if status is None:
            return Fault("transient", "answer could not be read")
        if isinstance(exc, mastodon_py.MastodonServerError) or status >= 500:
            return Fault("transient", f"HTTP {status}")
        return Fault("fatal", f"HTTP {status}")

    return classify


class _Client(mastodon_py.Mastodon):  # type: ignore[misc]
    def timeline_is_available(self, *args: Any, **kwargs: Any) -> bool:
        # Mastodon.py asks /api/v2/instance before every hashtag-timeline call until an answer
        # is cached, and caches none on an instance without it (before 4.0) or after a fault;
        # the answer only decides a warning. Whether the timeline is public, its own answer says.
        return True


def snowflake(moment: datetime) -> str:
    """The smallest status id Mastodon could give a status created at `moment`."""
    return str(int(moment.timestamp() * 1000) << 16)


@dataclass(frozen=True)
class Stream:
    instance: str
    kind: Literal["hashtag", "search", "account"]
    value: str  # tag, query, or acct
    account_id: str | None = None

    @property
    def key(self) -> str:
        label = {"hashtag": "#", "search": "search:", "account": "account:"}[self.kind]
        return f"{self.instance} {label}{self.value}"


class MastodonSource(Source):
    platform = "mastodon"

    def __init__(
        self,
        config: OrgConfig,
        credentials: Credentials,
        *,
        name: str = "mastodon",
        kind: Literal["search", "hygiene"] = "search",
        max_pages: int = 10,
        page_size: int = 40,
        on_rate_limit: Literal["wait", "defer"] = "defer",
        lookback: timedelta | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeouts: Timeouts | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.max_pages = max_pages
        self.page_size = page_size
        self.on_rate_limit = on_rate_limit
        # How far back a stream's first run reads: a day of search results; a month of an
        # account's own posts, so a new install can already tell a stale account.
        self.lookback = lookback or timedelta(days=30 if kind == "hygiene" else 1)
        self.sleep = sleep
        self.now = now
        search = config.search.get("mastodon")
        instances = [host_url(i) for i in (search.instances if search else [])]
        self._has_token = bool(credentials.get("access_token"))
        token_home = credentials.get("instance") or (instances[0] if instances else None)
        self._token_instance = host_url(token_home) if token_home else None
        self._clients: dict[str, mastodon_py.Mastodon] = {}
        self._credentials = credentials
        self._timeouts = timeouts or Timeouts()
        self._session = requests_session(self._timeouts)
        self.streams = self._hygiene_streams(config) if kind == "hygiene" else \
            self._search_streams(config, instances)

    def _search_streams(self, config: OrgConfig, instances: list[str]) -> list[Stream]:
        tags = [t.value for t in search_terms(config, "mastodon") if t.kind == "hashtag"]
        queries = [q for q in plain_queries(config, "mastodon", accounts=False)
                   if not q.startswith("#")]
        streams = []
        for instance in instances:
            streams += [Stream(instance, "hashtag", tag) for tag in tags]
            if self._has_token and instance == self._token_instance:
                streams += [Stream(instance, "search", q) for q in queries]
        if queries and not self._has_token:
            log.info("%s: no access token; searching hashtag timelines only", self.name)
        return streams

    def _hygiene_streams(self, config: OrgConfig) -> list[Stream]:
        streams = []
        for account in config.accounts:
            if account.platform != "mastodon":
                continue
            acct = account.handle.lstrip("@")
            user, _, domain = acct.partition("@")
            if not domain:
                raise ValueError(f"mastodon account {acct!r} needs its instance: user@instance")
            streams.append(Stream(host_url(domain), "account", acct, account.platform_id))
        return streams

    # -- clients ----------------------------------------------------------------------------

    def client(self, instance: str) -> mastodon_py.Mastodon:
        if instance not in self._clients:
            token = (self._credentials.get("access_token")
                     if instance == self._token_instance else None)
            self._clients[instance] = _Client(
                access_token=token, api_base_url=instance, ratelimit_method="throw",
                # Every call used here exists since Mastodon 3.x; naming a version spares a
                # request to /api/v1/instance per instance. Mode "none" would leave the named
                # version unparsed (1.0.0), and search with min_id/max_id would then be refused.
                version_check_mode="created", mastodon_version="4.0.0",
                # The session's adapter holds every request to the deadline, body included.
                session=self._session, request_timeout=self._timeouts.deadline,
            )
            redact_client_logs(self._credentials)
        return self._clients[instance]

    def _call(self, instance: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        client = self.client(instance)
        retrier = Retrier(classifier(client), on_rate_limit=self.on_rate_limit, sleep=self.sleep)
        return retrier.call(fn, *args, **kwargs)

    # -- paging -----------------------------------------------------------------------------

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        return read_streams(self.streams, self._read, checkpoint, max_pages=self.max_pages,
                            source=self.name)

    def _read(self, stream: Stream, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        if stream.kind == "search":
            return self._search(stream, state)
        if stream.kind == "account":
            return self._unless_gone(stream, state)
        return self._oldest_first(stream, state)

    def _unless_gone(self, stream: Stream, state: Checkpoint
                     ) -> Iterator[tuple[Page, Checkpoint]]:
        """A registered account that no longer exists (404) is itself a hygiene fact: it is
        reported, and the other accounts are still read."""
        try:
            for page, reached in self._oldest_first(stream, state):
                state = reached
                yield page, reached
        except RequestRefused as exc:
            if exc.detail != "HTTP 404":
                raise
            error = LineError(self.name, 0, stream.value, "registered account not found (404)")
            log.warning("%s", error)
            yield Page(posts=[], checkpoint=None, errors=[error]), state

    def _oldest_first(self, stream: Stream, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        floor = state.get(stream.key).floor or snowflake(self.now() - self.lookback)
        client = self.client(stream.instance)
        account_id = None
        if stream.kind == "account":
            account_id = stream.account_id or self._call(
                stream.instance, _shaped(client.account_lookup, dict, "account"),
                stream.value)["id"]
        while True:
            if stream.kind == "hashtag":
                statuses = self._call(stream.instance, _shaped(client.timeline_hashtag, list),
                                      stream.value, min_id=floor, limit=self.page_size)
            else:
                statuses = self._call(stream.instance, _shaped(client.account_statuses, list),
                                      account_id, min_id=floor, limit=self.page_size)
            statuses = list(statuses)
            items, unread = statuses, list[LineError]()
            if stream.kind == "account":
                replies, unread = self._replies(stream, statuses)
                items = statuses + replies
            posts, errors = convert_items(items, partial(self._post, stream=stream),
                                          source=self.name, item_id=dict_id)
            errors = unread + errors
            ids = numeric_ids(statuses)
            if ids:
                floor = str(max(ids))
            state = state.with_stream(stream.key, Sweep(floor=floor))
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            # `min_id` pages end with an empty page: a short one (statuses filtered out for
            # this reader, a server capping `limit`) may have more behind it.
            if not statuses:
                return

    def _replies(self, stream: Stream, statuses: list[Any]) -> tuple[list[Any], list[LineError]]:
        """Replies each own status received so far (its thread's descendants). A thread the
        instance refuses (the status deleted since) is reported and skipped."""
        client = self.client(stream.instance)
        replies: list[Any] = []
        unread: list[LineError] = []
        for status in statuses:
            if (status.get("replies_count") or 0) > 0:
                try:
                    context = self._call(stream.instance,
                                         _shaped(client.status_context, dict, "descendants"),
                                         status["id"])
                except RequestRefused as exc:
                    error = LineError(self.name, 0, str(status.get("uri") or status["id"]),
                                      f"replies not read ({exc.detail})")
                    log.warning("%s", error)
                    unread.append(error)
                    continue
                replies += list(context["descendants"] or [])
        return replies, unread

    def _search(self, stream: Stream, state: Checkpoint) -> Iterator[tuple[Page, Checkpoint]]:
        sweep = state.get(stream.key)
        max_id = sweep.resume
        client = self.client(stream.instance)
        while True:
            result = self._call(stream.instance, _shaped(client.search_v2, dict, "statuses"),
                                stream.value, resolve=False, result_type="statuses",
                                min_id=sweep.floor, max_id=max_id, limit=self.page_size)
            statuses = list(result["statuses"] or [])
            posts, errors = convert_items(statuses, partial(self._post, stream=stream),
                                          source=self.name, item_id=dict_id)
            ids = numeric_ids(statuses)
            newest = str(max(ids)) if ids else None
            # Search sends no cursor: its results end with an empty page, never a short one.
            more = bool(ids)
            if more:
                max_id = str(min(ids))
                sweep = sweep.advanced(newest, max_id, key=int)
            else:
                sweep = sweep.finished(newest, key=int)
            state = state.with_stream(stream.key, sweep)
            yield Page(posts=posts, checkpoint=state.dumps(), errors=errors), state
            if not more:
                return

    # -- normalising ------------------------------------------------------------------------

    def _post(self, status: Any, *, stream: Stream) -> Post:
        host = urlparse(stream.instance).netloc
        extra = {k: v for k, v in dict(status).items() if k not in _MAPPED}
        extra["instance"] = host
        extra["local_id"] = str(required(status, "id"))
        if stream.kind == "account":
            extra["collected_for"] = "account_hygiene"
            extra["hygiene_account"] = stream.value
        quote = status.get("quote") or {}
        quoted = (quote.get("quoted_status") or {}).get("uri") if isinstance(quote, dict) else None
        return Post.model_validate(_jsonable({
            **extra,
            "platform": "mastodon",
            "id": required(status, "uri"),
            "url": status.get("url") or status["uri"],
            "created_at": required(status, "created_at"),
            "text": html_to_text(status.get("content")),
            "lang": status.get("language"),
            "author": _author(required(status, "account"), host),
            "media": [m for m in map(_media, status.get("media_attachments") or []) if m],
            "in_reply_to": str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            "quoted": quoted,
            "metrics": {k: status.get(k) for k in ("replies_count", "reblogs_count",
                                                   "favourites_count", "quotes_count")
                        if status.get(k) is not None},
        }))


def _shaped(call: Callable[..., Any], kind: type[list[Any]] | type[dict[str, Any]],
            key: str | None = None) -> Callable[..., Any]:
    """`call`, whose answer must be a `kind` (holding `key`): anything else is a bad answer."""
    def checked(*args: Any, **kwargs: Any) -> Any:
        answer = call(*args, **kwargs)
        if not isinstance(answer, kind) or (key is not None and key not in answer):
            what = f"{kind.__name__} with {key!r}" if key else kind.__name__
            raise BadAnswer(f"{getattr(call, '__name__', 'call')} answer is not a {what}")
        return answer

    return checked


def _author(account: Any, host: str) -> Author:
    acct = account["acct"]
    handle = acct if "@" in acct else f"{acct}@{host}"
    return Author.model_validate(_jsonable({
        "id": str(account["id"]),
        "handle": handle,
        "display_name": account.get("display_name") or None,
        "description": html_to_text(account.get("note")) or None,
        "avatar_url": account.get("avatar"),
        "created_at": account.get("created_at"),
        "verified": any(f.get("verified_at") for f in account.get("fields") or []),
        "followers": account.get("followers_count"),
        "posts_count": account.get("statuses_count"),
        "last_status_at": account.get("last_status_at"),
        "bot": account.get("bot"),
        "profile_url": account.get("url"),
        "suspended": account.get("suspended") or None,
    }))


def _media(item: Any) -> Media | None:
    url = item.get("url") or item.get("remote_url") or item.get("preview_url")
    if not url:
        return None
    kind = item.get("type") or "image"
    return Media.model_validate({"url": url, "type": kind, "alt": item.get("description"),
                                 "preview_url": item.get("preview_url")})


def _jsonable(value: Any) -> Any:
    """Mastodon.py's typed dicts hold datetimes and fill every absent field with None; keep
    plain JSON types and only the fields the server sent."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
