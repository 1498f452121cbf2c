"""A replay of the Mastodon REST API endpoints the collector reads, in Mastodon's documented
entity format (Status, Account, MediaAttachment, Context, Search).

`min_id` returns the statuses immediately newer than it, `since_id` the newest ones newer than
it, `max_id` those older than it; every list is newest first, as the server sends it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def local_id(n: int, at: datetime | None = None) -> str:
    at = at or T0 + timedelta(minutes=n)
    return str((int(at.timestamp() * 1000) << 16) + n)


def account(acct: str = "ana", *, account_id: str = "109000000000000042", **extra: Any) -> dict:
    user = acct.split("@")[0]
    data = {
        "id": account_id, "username": user, "acct": acct, "display_name": "Ana Student",
        "locked": False, "bot": False, "discoverable": True, "group": False,
        "created_at": "2022-11-02T00:00:00.000Z",
        "note": "<p>Physics at <a href=\"https://www.qmul.ac.uk\">Queen Mary</a></p>",
        "url": f"https://mastodon.social/@{user}",
        "avatar": f"https://files.mastodon.social/accounts/avatars/{user}.png",
        "avatar_static": f"https://files.mastodon.social/accounts/avatars/{user}.png",
        "header": "https://mastodon.social/headers/original/missing.png",
        "header_static": "https://mastodon.social/headers/original/missing.png",
        "followers_count": 51, "following_count": 30, "statuses_count": 412,
        "last_status_at": "2026-11-19", "emojis": [],
        "fields": [{"name": "Web", "value": "<a href=\"https://ana.example\">ana.example</a>",
                    "verified_at": "2023-01-01T00:00:00.000+00:00"}],
    }
    data.update(extra)
    return data


def status(n: int, *, host: str = "mastodon.social", content: str | None = None,
           acct: dict | None = None, **extra: Any) -> dict:
    ident = local_id(n)
    author = acct or account()
    data = {
        "id": ident, "created_at": (T0 + timedelta(minutes=n)).isoformat().replace(
            "+00:00", ".000Z"),
        "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
        "spoiler_text": "", "visibility": "public", "language": "en",
        "uri": f"https://{host}/users/{author['username']}/statuses/{ident}",
        "url": f"https://{host}/@{author['username']}/{ident}",
        "replies_count": 0, "reblogs_count": 1, "favourites_count": n,
        "edited_at": None,
        "content": content if content is not None else
        f"<p>Seminar {n} at <a href=\"https://{host}/tags/QMUL\" class=\"mention hashtag\" "
        f"rel=\"tag\">#<span>QMUL</span></a><br />see you there</p>",
        "reblog": None, "application": {"name": "Web", "website": None},
        "account": author, "media_attachments": [], "mentions": [],
        "tags": [{"name": "qmul", "url": f"https://{host}/tags/qmul"}],
        "emojis": [], "card": None, "poll": None,
    }
    data.update(extra)
    return data


def image(n: int, host: str = "mastodon.social") -> dict:
    return {
        "id": str(22345792 + n), "type": "image",
        "url": f"https://files.{host}/media_attachments/files/original/{n}.jpeg",
        "preview_url": f"https://files.{host}/media_attachments/files/small/{n}.jpeg",
        "remote_url": None, "preview_remote_url": None, "text_url": None,
        "meta": {"original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.33}},
        "description": "Poster for the seminar", "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
    }


def instance_v2(host: str) -> dict:
    return {
        "domain": host, "title": "Mastodon", "version": "4.5.0", "source_url":
        "https://github.com/mastodon/mastodon", "description": "A Mastodon server",
        "usage": {"users": {"active_month": 1000}},
        "api_versions": {"mastodon": 7},
        "configuration": {
            "urls": {"streaming": f"wss://{host}"},
            "timelines_access": {
                "live_feeds": {"local": "public", "remote": "public"},
                "hashtag_feeds": {"local": "public", "remote": "public"},
                "trending_link_feeds": {"local": "public", "remote": "public"},
            },
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": f"admin@{host}", "account": None},
        "rules": [],
    }


def _window(items: list[dict], params: dict[str, str]) -> list[dict]:
    ordered = sorted(items, key=lambda s: int(s["id"]))
    limit = int(params.get("limit", 20))
    if "max_id" in params:
        ordered = [s for s in ordered if int(s["id"]) < int(params["max_id"])]
    if "min_id" in params:
        ordered = [s for s in ordered if int(s["id"]) > int(params["min_id"])][:limit]
    else:
        if "since_id" in params:
            ordered = [s for s in ordered if int(s["id"]) > int(params["since_id"])]
        ordered = ordered[-limit:]
    return list(reversed(ordered))


class MastodonReplay:
    """One instance: hashtag timelines, search, account statuses, contexts and account lookup."""

    def __init__(self, rsps: responses.RequestsMock, host: str) -> None:
        self.host = host
        self.tagged: dict[str, list[dict]] = {}
        self.searchable: list[dict] = []
        self.by_account: dict[str, list[dict]] = {}
        self.contexts: dict[str, list[dict]] = {}
        self.deleted: set[str] = set()  # status ids whose context answers 404
        self.instance_calls = 0
        self.faults: dict[int, tuple[int, dict[str, str]]] = {}
        self.calls: list[tuple[str, dict[str, str], dict[str, str]]] = []
        rsps.add_callback(responses.GET, re.compile(rf"https://{re.escape(host)}/api/.*"),
                          callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        url = urlparse(request.url)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.rstrip("/") == "/api/v2/instance":
            # Mastodon.py would read whether hashtag timelines are public here.
            self.instance_calls += 1
            return self._ok(instance_v2(self.host))
        self.calls.append((url.path, params, dict(request.headers)))
        if len(self.calls) in self.faults:
            status, headers = self.faults[len(self.calls)]
            error = "Too many requests" if status == 429 else "Service unavailable"
            return status, headers, json.dumps({"error": error})
        path = url.path
        if m := re.fullmatch(r"/api/v1/timelines/tag/(\w+)", path):
            return self._ok(_window(self.tagged.get(m[1].casefold(), []), params))
        if path == "/api/v2/search":
            query = params["q"].casefold()
            found = [s for s in self.searchable if query in s["content"].casefold()]
            return self._ok({"accounts": [], "hashtags": [], "statuses": _window(found, params)})
        if m := re.fullmatch(r"/api/v1/accounts/(\w+)/statuses", path):
            return self._ok(_window(self.by_account.get(m[1], []), params))
        if m := re.fullmatch(r"/api/v1/statuses/(\w+)/context", path):
            if m[1] in self.deleted:
                return 404, {"content-type": "application/json"}, json.dumps(
                    {"error": "Record not found"})
            return self._ok({"ancestors": [], "descendants": self.contexts.get(m[1], [])})
        if path == "/api/v1/accounts/lookup":
            return 404, {}, json.dumps({"error": "Record not found"})
        return 404, {}, json.dumps({"error": "Record not found"})

    @staticmethod
    def _ok(body: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"content-type": "application/json; charset=utf-8"}, json.dumps(body)
