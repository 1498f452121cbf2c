"""A replay of X API v2 `GET /2/tweets/search/recent`, in its documented wire format.

Tweets are served newest first; `since_id`, `until_id`, `max_results` and `next_token` behave
as documented, so the collector's paging and checkpoints are exercised for real through tweepy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

SEARCH_URL = "https://api.twitter.com/2/tweets/search/recent"
BASE_ID = 1_860_000_000_000_000_000
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def tweet(n: int, *, author: str = "2244994945", text: str | None = None, **extra: Any) -> dict:
    data = {
        "id": str(BASE_ID + n),
        "text": text if text is not None else f"Lecture {n} at @QMUL today #QMUL",
        "author_id": author,
        "created_at": (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
        "lang": "en",
        "conversation_id": str(BASE_ID + n),
        "edit_history_tweet_ids": [str(BASE_ID + n)],
        "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": n,
                           "quote_count": 0, "bookmark_count": 0, "impression_count": 10 * n},
        "entities": {"mentions": [{"start": 13, "end": 18, "username": "QMUL", "id": "19094651"}],
                     "hashtags": [{"start": 25, "end": 30, "tag": "QMUL"}]},
    }
    data.update(extra)
    return data


def user(user_id: str = "2244994945", username: str = "student_ana") -> dict:
    return {
        "id": user_id, "name": "Ana Student", "username": username,
        "created_at": "2013-12-14T04:35:55.000Z",
        "description": "Physics at Queen Mary", "verified": False,
        "profile_image_url": "https://pbs.twimg.com/profile_images/1/ana_normal.jpg",
        "public_metrics": {"followers_count": 120, "following_count": 80, "tweet_count": 900,
                           "listed_count": 1},
    }


def _number(item: dict) -> int:
    """Tweet ids are numeric; a deliberately broken one sorts as the oldest."""
    return int(item["id"]) if str(item["id"]).isdigit() else 0


class XSearchReplay:
    """Serves `tweets` (any order) like the search endpoint; `faults` maps a call number to a
    (status, headers) answer served instead of the page."""

    def __init__(self, rsps: responses.RequestsMock, tweets: list[dict], *,
                 users: list[dict] | None = None, media: list[dict] | None = None,
                 errors: list[dict] | None = None) -> None:
        self.tweets = tweets
        self.users = users if users is not None else [user()]
        self.media = media or []
        self.errors = errors or []
        self.faults: dict[int, tuple[int, dict[str, str]]] = {}
        self.calls: list[dict[str, str]] = []
        self.on_call: Callable[[int], None] | None = None
        rsps.add_callback(responses.GET, SEARCH_URL, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        params = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        self.calls.append(params)
        number = len(self.calls)
        if number in self.faults:
            status, headers = self.faults[number]
            body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type":
                    "about:blank", "status": status} if status == 429 else {
                    "title": "Service Unavailable", "detail": "Service Unavailable",
                    "type": "about:blank", "status": status}
            return status, headers, json.dumps(body)
        ordered = sorted(self.tweets, key=_number, reverse=True)
        if "since_id" in params:
            ordered = [t for t in ordered if _number(t) > int(params["since_id"])]
        if "until_id" in params:
            ordered = [t for t in ordered if _number(t) < int(params["until_id"])]
        size = int(params.get("max_results", 10))
        start = int(params.get("next_token", "0").removeprefix("tok"))
        chunk = ordered[start:start + size]
        body: dict[str, Any] = {"meta": {"result_count": len(chunk)}}
        if chunk:
            authors = {t.get("author_id") for t in chunk}
            keys = {k for t in chunk for k in (t.get("attachments") or {}).get("media_keys", [])}
            body["data"] = chunk
            body["includes"] = {"users": [u for u in self.users if u["id"] in authors]}
            if keys:
                body["includes"]["media"] = [m for m in self.media if m["media_key"] in keys]
            body["meta"].update(newest_id=chunk[0]["id"], oldest_id=chunk[-1]["id"])
            errors = [e for e in self.errors if e.get("value") in authors]
            if errors:
                body["errors"] = errors
        if start + size < len(ordered):
            body["meta"]["next_token"] = f"tok{start + size}"
        return 200, {"content-type": "application/json"}, json.dumps(body)
