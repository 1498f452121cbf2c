"""A replay of the Bluesky XRPC endpoints the collector calls, in the lexicon's wire format:
com.atproto.server.createSession, app.bsky.feed.searchPosts, app.bsky.actor.getProfiles, and for
account hygiene app.bsky.feed.getAuthorFeed (newest first, opaque cursor; an unknown actor gets
400 InvalidRequest "Profile not found") and app.bsky.feed.getPostThread (replies nested).

searchPosts serves `posts` newest first by sort time, honours `since` (inclusive), `until`
(exclusive), `limit` and an opaque `cursor`, like the AppView.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx

XRPC = "https://bsky.social/xrpc"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ME = "did:plc:crestwatchreader000000"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jwt(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.c2lnbmF0dXJl"


def session() -> dict[str, Any]:
    now = int(time.time())
    claims = {"scope": "com.atproto.appPass", "sub": ME, "iat": now, "exp": now + 7200,
              "aud": "did:web:bsky.social"}
    return {"did": ME, "handle": "crestwatch.bsky.social", "email": "ops@example.ac.uk",
            "emailConfirmed": True, "active": True, "accessJwt": jwt(claims),
            "refreshJwt": jwt({**claims, "scope": "com.atproto.refresh", "exp": now + 86400})}


def author(did: str = "did:plc:ana000000000000000000", handle: str = "ana.bsky.social") -> dict:
    return {"did": did, "handle": handle, "displayName": "Ana",
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
            "labels": [], "createdAt": "2023-04-01T10:00:00.000Z"}


def profile(did: str = "did:plc:ana000000000000000000", handle: str = "ana.bsky.social") -> dict:
    return {**author(did, handle), "description": "Maths at Queen Mary 🎓",
            "followersCount": 310, "followsCount": 120, "postsCount": 1500,
            "indexedAt": "2024-01-01T00:00:00.000Z"}


def post_view(n: int, *, text: str | None = None, who: dict | None = None,
              **record_extra: Any) -> dict:
    who = who or author()
    created = _iso(T0 + timedelta(minutes=n))
    rkey = f"3lbq{n:09d}"
    record = {"$type": "app.bsky.feed.post", "text": text if text is not None
              else f"Open day {n} at #QMUL", "createdAt": created, "langs": ["en"]}
    record.update(record_extra)
    return {
        "uri": f"at://{who['did']}/app.bsky.feed.post/{rkey}",
        "cid": f"bafyreicid{n:06d}", "author": who, "record": record,
        "replyCount": 0, "repostCount": 1, "likeCount": n, "quoteCount": 0,
        "indexedAt": _iso(T0 + timedelta(minutes=n, seconds=1)), "labels": [],
    }


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the AppView reads UTC


def sort_at(view: dict) -> datetime:
    times = [t for t in (view["record"].get("createdAt"), view["indexedAt"]) if t]
    return min(_parse(t) for t in times)


class BlueskyReplay:
    def __init__(self, router: respx.MockRouter, posts: list[dict],
                 profiles: list[dict] | None = None) -> None:
        self.posts = posts
        self.profiles = profiles if profiles is not None else [profile()]
        self.searches: list[dict[str, str]] = []
        self.logins: list[dict[str, Any]] = []
        self.faults: dict[int, tuple[int, dict[str, str]]] = {}
        self.auth: list[str | None] = []
        # Account hygiene: feed items per actor (handle or DID), reply views per post URI.
        self.feeds: dict[str, list[dict]] = {}
        self.threads: dict[str, list[dict]] = {}
        self.feed_calls: list[dict[str, str]] = []
        self.thread_calls: list[str] = []
        self.feed_faults: dict[int, tuple[int, dict[str, str]]] = {}
        router.post(f"{XRPC}/com.atproto.server.createSession").mock(side_effect=self._login)
        router.get(f"{XRPC}/app.bsky.feed.searchPosts").mock(side_effect=self._search)
        router.get(f"{XRPC}/app.bsky.actor.getProfiles").mock(side_effect=self._profiles)
        router.get(f"{XRPC}/app.bsky.feed.getAuthorFeed").mock(side_effect=self._feed)
        router.get(f"{XRPC}/app.bsky.feed.getPostThread").mock(side_effect=self._thread)

    def _login(self, request: httpx.Request) -> httpx.Response:
        self.logins.append(json.loads(request.content))
        return httpx.Response(200, json=session())

    def _search(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.searches.append(params)
        self.auth.append(request.headers.get("authorization"))
        if len(self.searches) in self.faults:
            status, headers = self.faults[len(self.searches)]
            error = "RateLimitExceeded" if status == 429 else "InternalServerError"
            return httpx.Response(status, headers=headers,
                                  json={"error": error, "message": "Rate Limit Exceeded"
                                        if status == 429 else "Internal Server Error"})
        query = params["q"].casefold()
        found = [p for p in self.posts if query.removeprefix("mentions:") in
                 json.dumps(p["record"]).casefold()]
        found.sort(key=sort_at, reverse=True)
        if "since" in params:
            since = datetime.fromisoformat(params["since"].replace("Z", "+00:00"))
            found = [p for p in found if sort_at(p) >= since]
        if "until" in params:
            until = datetime.fromisoformat(params["until"].replace("Z", "+00:00"))
            found = [p for p in found if sort_at(p) < until]
        start = int(params.get("cursor", "0"))
        limit = int(params.get("limit", 25))
        body: dict[str, Any] = {"posts": found[start:start + limit], "hitsTotal": len(found)}
        if start + limit < len(found):
            body["cursor"] = str(start + limit)
        return httpx.Response(200, json=body)

    def _profiles(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get_list("actors")
        return httpx.Response(200, json={"profiles": [
            p for p in self.profiles if p["did"] in wanted]})

    def _feed(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.feed_calls.append(params)
        if len(self.feed_calls) in self.feed_faults:
            status, headers = self.feed_faults[len(self.feed_calls)]
            return httpx.Response(status, headers=headers, json={
                "error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
        if params["actor"] not in self.feeds:
            return httpx.Response(400, json={"error": "InvalidRequest",
                                             "message": "Profile not found"})
        items = sorted(self.feeds[params["actor"]], key=lambda i: sort_at(i["post"]),
                       reverse=True)
        start = int(params.get("cursor", "0"))
        limit = int(params.get("limit", 50))
        body: dict[str, Any] = {"feed": items[start:start + limit]}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return httpx.Response(200, json=body)

    def _thread(self, request: httpx.Request) -> httpx.Response:
        uri = request.url.params["uri"]
        self.thread_calls.append(uri)
        own = next((i["post"] for items in self.feeds.values() for i in items
                    if i["post"]["uri"] == uri), None)
        if own is None:
            return httpx.Response(400, json={"error": "NotFound",
                                             "message": f"Post not found: {uri}"})

        def node(view: dict) -> dict:
            return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view,
                    "replies": [node(r) for r in self.threads.get(view["uri"], [])]}

        return httpx.Response(200, json={"thread": node(own)})


def feed_item(view: dict, *, repost_by: dict | None = None) -> dict:
    item: dict[str, Any] = {"post": view}
    if repost_by:
        item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost", "by": repost_by,
                          "indexedAt": view["indexedAt"]}
    return item
