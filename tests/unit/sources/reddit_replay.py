"""A replay of the Reddit API endpoints praw calls here, in Reddit's JSON wire format:
the OAuth token endpoint, `/r/{subs}/search` and `/search` Listings (newest first, `after`
paging), `/comments/{id}` (the submission plus its comment tree), and for account hygiene
the Redditor listings `/user/{name}/submitted` and `/user/{name}/comments` (404 for an unknown
account) and `/comments/{link}/_/{comment}` (one comment with its replies nested).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
OAUTH = "https://oauth.reddit.com"
T0 = 1_763_629_200.0  # 2025-11-20T09:00:00Z


def submission(n: int, *, sub: str = "QMUL", author: str | None = "ana_student",
               created: float | None = None, **extra: Any) -> dict:
    ident = f"1g{n:05d}"
    data = {
        "id": ident, "name": f"t3_{ident}", "title": f"Question {n} about QMUL accommodation",
        "selftext": "Anyone been in Pooley House?", "author": author if author else "[deleted]",
        "author_fullname": "t2_ana01" if author else None, "subreddit": sub,
        "subreddit_name_prefixed": f"r/{sub}", "subreddit_id": "t5_2s7tt",
        "created_utc": created if created is not None else T0 + 60 * n,
        "permalink": f"/r/{sub}/comments/{ident}/question_{n}/",
        "url": f"https://www.reddit.com/r/{sub}/comments/{ident}/question_{n}/",
        "score": n, "num_comments": 0, "upvote_ratio": 1.0, "over_18": False,
        "is_self": True, "domain": f"self.{sub}", "link_flair_text": None,
        "author_flair_text": None, "stickied": False, "locked": False, "edited": False,
        "thumbnail": "self", "subreddit_type": "public",
    }
    data.update(extra)
    return {"kind": "t3", "data": data}


def comment(ident: str, parent: str, link: str, body: str, *, n: int = 0,
            author: str = "bob_reply", **extra: Any) -> dict:
    data = {
        "id": ident, "name": f"t1_{ident}", "body": body, "author": author,
        "author_fullname": f"t2_{author[:6]}", "created_utc": T0 + 3600 + n, "parent_id": parent,
        "link_id": link, "subreddit": "QMUL", "score": 2, "depth": 0, "replies": "",
        "permalink": f"/r/QMUL/comments/{link[3:]}/x/{ident}/", "stickied": False,
    }
    data.update(extra)
    return {"kind": "t1", "data": data}


def listing(children: list[dict], after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": None,
                                        "geo_filter": "", "children": children, "before": None}}


def _created(thing: dict) -> float:
    try:
        return float(thing["data"]["created_utc"])
    except (TypeError, ValueError):
        return 0.0


class RedditReplay:
    def __init__(self, rsps: responses.RequestsMock, things: list[dict]) -> None:
        self.things = things
        self.comments: dict[str, list[dict]] = {}
        # Submissions whose comment tree Reddit refuses (removed, private): id -> status.
        self.refused: dict[str, int] = {}
        # Account hygiene: each account's own submissions and comments; replies per comment id.
        self.users: dict[str, list[dict]] = {}
        self.replies: dict[str, list[dict]] = {}
        self.user_calls: list[tuple[str, dict[str, str]]] = []
        self.searches: list[tuple[str, dict[str, str]]] = []
        self.faults: dict[int, tuple[int, dict[str, str]]] = {}
        self.token_requests = 0
        rsps.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        rsps.add_callback(responses.GET, re.compile(rf"{OAUTH}/(r/[^/]+/)?search.*"),
                          callback=self._search)
        rsps.add_callback(responses.GET, re.compile(rf"{OAUTH}/comments/\w+/?.*"),
                          callback=self._comments)
        rsps.add_callback(responses.GET,
                          re.compile(rf"{OAUTH}/user/[^/]+/(submitted|comments)/?.*"),
                          callback=self._user)

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.token_requests += 1
        token = {"access_token": "eyJhbGciOiJSUzI1NiJ9.reddit-access", "token_type": "bearer",
                 "expires_in": 86400, "scope": "*"}
        return 200, {"content-type": "application/json"}, json.dumps(token)

    def _search(self, request: Any) -> tuple[int, dict[str, str], str]:
        url = urlparse(request.url)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.searches.append((url.path, params))
        if len(self.searches) in self.faults:
            status, headers = self.faults[len(self.searches)]
            return status, headers, json.dumps({"message": "Too Many Requests", "error": status})
        subs = url.path.split("/")[2].split("+") if url.path.startswith("/r/") else None
        found = [t for t in self.things if subs is None or t["data"]["subreddit"] in subs]
        found.sort(key=_created, reverse=True)
        start = 0
        if "after" in params:
            names = [t["data"]["name"] for t in found]
            start = names.index(params["after"]) + 1
        limit = int(params.get("limit", 25))
        page = found[start:start + limit]
        after = page[-1]["data"]["name"] if start + limit < len(found) and page else None
        return 200, {"content-type": "application/json"}, json.dumps(listing(page, after))

    def _user(self, request: Any) -> tuple[int, dict[str, str], str]:
        url = urlparse(request.url)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.user_calls.append((url.path, params))
        _, name, which = url.path.strip("/").split("/")[:3]
        if name not in self.users:
            return 404, {"content-type": "application/json"}, json.dumps(
                {"message": "Not Found", "error": 404})
        kind = "t3" if which == "submitted" else "t1"
        found = sorted((t for t in self.users[name] if t["kind"] == kind), key=_created,
                       reverse=True)
        start = 0
        if "after" in params:
            start = [t["data"]["name"] for t in found].index(params["after"]) + 1
        limit = int(params.get("limit", 25))
        page = found[start:start + limit]
        after = page[-1]["data"]["name"] if start + limit < len(found) and page else None
        return 200, {"content-type": "application/json"}, json.dumps(listing(page, after))

    def _comments(self, request: Any) -> tuple[int, dict[str, str], str]:
        parts = urlparse(request.url).path.strip("/").split("/")
        ident = parts[1]
        if len(parts) >= 4 and parts[2] == "_":
            return self._thread(ident, parts[3])
        if ident in self.refused:
            status = self.refused[ident]
            return status, {"content-type": "application/json"}, json.dumps(
                {"message": "Forbidden" if status == 403 else "Not Found", "error": status})
        thing = next(t for t in self.things if t["data"]["id"] == ident)
        body = [listing([thing]), listing(self.comments.get(ident, []))]
        return 200, {"content-type": "application/json"}, json.dumps(body)

    def _thread(self, link: str, ident: str) -> tuple[int, dict[str, str], str]:
        own = next(t for things in self.users.values() for t in things
                   if t["data"]["name"] == f"t1_{ident}")
        nested = {"kind": "t1", "data": {**own["data"],
                                         "replies": listing(self.replies.get(ident, []))}}
        link_thing = submission(0, id=link, name=f"t3_{link}", author="someone_else")
        body = [listing([link_thing]), listing([nested])]
        return 200, {"content-type": "application/json"}, json.dumps(body)
