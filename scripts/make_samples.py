"""Write the demo posts `crestwatch run --demo` replays, their images and their expected labels.

Outputs (all under samples/):
  posts.jsonl            one Post per line, shaped as each platform's source normalises it
  images/...             the posts' images (relative `path`s in posts.jsonl point here)
  expected_labels.json   {doc_id: [categories]} - what each post is meant to exhibit
  eval/posts-labelled.jsonl  the same posts with `labels` (categories), for `crestwatch eval`

Everything is seeded, so reruns write identical files. The text is in scripts/sample_texts.py,
the images in scripts/sample_images.py; registered accounts and protected people come from
config/example.yaml.

    .venv/bin/python scripts/make_samples.py
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sample_texts as st
from _drawing import PROJECT_ROOT
from sample_images import extension, write_images

from pipeline.core.config import OrgConfig, load_config
from pipeline.core.models import Category, Post

log = logging.getLogger("make_samples")

SAMPLES = PROJECT_ROOT / "samples"
SEED = 20261122
PLATFORMS = ("x", "reddit", "bluesky", "mastodon")
# Share of posts each platform gets when a draft does not fix it.
WEIGHTS = {"x": 0.34, "reddit": 0.22, "bluesky": 0.22, "mastodon": 0.22}
# The demo covers the three weeks before 2026-11-22.
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 21, 23, 59, tzinfo=UTC)
X_EPOCH_MS = 1288834974657
PLATFORM_OPENED = {
    "x": datetime(2010, 1, 1, tzinfo=UTC),
    "reddit": datetime(2012, 1, 1, tzinfo=UTC),
    "bluesky": datetime(2023, 4, 1, tzinfo=UTC),
    "mastodon": datetime(2017, 4, 1, tzinfo=UTC),
}
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
B32 = "abcdefghijklmnopqrstuvwxyz234567"
HEX = "0123456789abcdef"
NAME_EMOJI = [
    "\U0001f33b",
    "\U0001f4da",
    "\u2615",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f1ec\U0001f1e7",
]
SUBREDDITS = ("QMUL", "QMUL", "QMUL", "london", "UniUK")
MASTODON_INSTANCES = (
    "mastodon.social",
    "mastodon.online",
    "toot.community",
    "mas.to",
    "fosstodon.org",
)

FIRST = [
    "Amira",
    "Josh",
    "Chen",
    "Grace",
    "Luca",
    "Sofia",
    "Oliver",
    "Aisha",
    "Tom",
    "Hannah",
    "Kwame",
    "Zara",
    "Ben",
    "Fatima",
    "Rory",
    "Ellie",
    "Dev",
    "Niamh",
    "Yusuf",
    "Maddie",
    "Callum",
    "Leah",
    "Arjun",
    "Isla",
    "Femi",
    "Ruby",
    "Marek",
    "Chloe",
    "Sami",
    "Imogen",
    "Jack",
    "Nadia",
    "Harvey",
    "Mei",
    "Kieran",
    "Alys",
    "Dominic",
    "Tara",
    "Ibrahim",
    "Freya",
]
LAST = [
    "Begum",
    "Whitfield",
    "Yu",
    "Adeyemi",
    "Romano",
    "Nowak",
    "Hughes",
    "Rahman",
    "Price",
    "Gallagher",
    "Mensah",
    "Ahmed",
    "Carter",
    "Khan",
    "Doyle",
    "Patel",
    "Evans",
    "Murphy",
    "Okafor",
    "Li",
    "Brennan",
    "Shah",
    "Walsh",
    "Jones",
    "Kowalski",
    "Osei",
    "Reid",
    "Fraser",
    "Hussain",
    "Taylor",
    "Novak",
    "Clarke",
    "Iqbal",
    "Byrne",
    "Wilson",
    "Ali",
    "Moore",
]
BIOS = [
    "",
    "",
    "Law @ QMUL. Coffee-powered.",
    "Londoner. Cyclist. Mostly complaining about the Central line.",
    "Medicine at Barts. Tired.",
    "PhD candidate in Physics. Opinions my own.",
    "Mile End resident since 2009.",
    "Computer Science student. Building things that sometimes work.",
    "Mum of two, lover of libraries.",
    "History undergrad, amateur baker.",
    "Economics '27. Football, films, food.",
    "Lecturer. Views my own, obviously.",
    "East London born and bred.",
    "Dentistry student at QM.",
    "Postgrad, politics and IR. Tea > coffee.",
    "Alumna (2016). Now in marketing, sorry.",
    "English Lit. Reading too many books at once.",
    "Engineering student and part-time barista.",
]
REDDIT_WORDS = (
    ["Curious", "Sleepy", "Brave", "Quiet", "Rapid", "Lucky", "Gentle", "Witty"],
    ["Badger", "Heron", "Otter", "Magpie", "Fox", "Pigeon", "Hedgehog", "Swan"],
)


@dataclass
class Account:
    platform: str
    id: str
    handle: str
    display_name: str
    description: str
    created_at: datetime
    followers: int
    verified: bool = False
    avatar_url: str = ""
    avatar_path: str | None = None
    following: int = 0
    posts_count: int = 0

    def as_author(self) -> dict[str, Any]:
        author: dict[str, Any] = {
            "id": self.id,
            "handle": self.handle,
            "display_name": self.display_name,
            "description": self.description,
            "avatar_url": self.avatar_url,
            "created_at": iso(self.created_at),
            "verified": self.verified,
            "followers": self.followers,
            "following": self.following,
            "posts_count": self.posts_count,
        }
        if self.avatar_path:
            # Relative to the JSONL file's folder, like Media.path.
            author["avatar_path"] = self.avatar_path
        return author


@dataclass
class Built:
    draft: st.Draft
    platform: str
    account: Account
    when: datetime
    id: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base36(number: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = ""
    while number:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
    return out or "0"


class Generator:
    def __init__(self, config: OrgConfig) -> None:
        self.config = config
        self.rng = random.Random(SEED)
        self.accounts: dict[str, Account] = {}
        self.pool: dict[str, list[Account]] = {p: [] for p in PLATFORMS}
        self.taken = {(a.platform, a.handle.casefold()) for a in config.accounts}
        for person in config.protected_people:
            self.taken |= {(p, h.casefold()) for p, h in person.handles.items()}

    # Ids and urls in each platform's format ------------------------------------------------

    def _digits(self, n: int) -> str:
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    def _chars(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def _did(self) -> str:
        return "did:plc:" + self._chars(24, "abcdefghijklmnopqrstuvwxyz234567")

    def _tid(self, moment: datetime) -> str:
        value = (int(moment.timestamp() * 1_000_000) << 10) | self.rng.randrange(1024)
        out = ""
        for _ in range(13):
            value, rem = divmod(value, 32)
            out = TID_ALPHABET[rem] + out
        return out

    def _cid(self) -> str:
        return "bafkrei" + self._chars(52, B32)

    def _split_digits(self, digits: str) -> str:
        # Mastodon's file store shards attachments by the id in groups of three digits.
        return "/".join(digits[i : i + 3] for i in range(0, len(digits), 3))

    def _avatar_url(self, platform: str, account_id: str) -> str:
        if platform == "x":
            return (
                f"https://pbs.twimg.com/profile_images/{self._digits(19)}/"
                f"{self._chars(8)}_400x400.jpg"
            )
        if platform == "reddit":
            return (
                f"https://styles.redditmedia.com/t5_{base36(self.rng.randrange(36**6))}/styles/"
                f"profileIcon_{self._chars(12).lower()}.png"
            )
        if platform == "bluesky":
            return f"https://cdn.bsky.app/img/avatar/plain/{account_id}/{self._cid()}@jpeg"
        return (
            "https://files.mastodon.social/accounts/avatars/"
            f"{self._split_digits(account_id.zfill(18))}/original/{self._chars(16, HEX)}.png"
        )

    def media_url(self, platform: str, account: Account, ext: str) -> str:
        if platform == "x":
            return (
                f"https://pbs.twimg.com/media/{self._chars(15)}?format={ext.lstrip('.')}&name=large"
            )
        if platform == "reddit":
            return (
                f"https://i.redd.it/{self._chars(13, string.ascii_lowercase + string.digits)}{ext}"
            )
        if platform == "bluesky":
            kind = "png" if ext == ".png" else "jpeg"
            return f"https://cdn.bsky.app/img/feed_fullsize/plain/{account.id}/{self._cid()}@{kind}"
        host = account.handle.split("@", 1)[1]
        return (
            f"https://files.{host}/media_attachments/files/{self._split_digits(self._digits(18))}"
            f"/original/{self._chars(16, HEX)}{ext}"
        )

    # Accounts ------------------------------------------------------------------------------

    def named(self, key: str) -> Account:
        if key in self.accounts:
            return self.accounts[key]
        kind, platform, handle = key.split(":", 2)
        spec = st.ACCOUNTS.get(key, {})
        registered = self.config.registered(platform, handle) if kind == "reg" else None
        if kind == "reg" and registered is None:
            raise ValueError(f"{key}: not a registered account in the config")
        if kind == "person" and not any(
            person.handles.get(platform, "").casefold() == handle.casefold()
            for person in self.config.protected_people
        ):
            raise ValueError(f"{key}: not a protected person's handle in the config")
        if kind not in ("reg", "person") and (platform, handle.casefold()) in self.taken:
            raise ValueError(f"{key}: collides with a handle in the config")
        since = spec.get("since")
        created = (
            datetime.fromisoformat(str(since)).replace(tzinfo=UTC, hour=10)
            if since
            else self._since(platform)
        )
        account_id = (
            registered.platform_id
            if registered and registered.platform_id
            else self._account_id(platform, created)
        )
        avatar_path = None
        if spec.get("avatar"):
            key_ = str(spec["avatar"])
            avatar_path = f"images/{key_}{extension(key_)}"
        elif registered and registered.avatar:
            # A copy beside the samples: a JSONL file's media must lie inside its own folder.
            name = Path(registered.avatar).name
            (SAMPLES / "images" / "official").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PROJECT_ROOT / "config" / registered.avatar,
                            SAMPLES / "images" / "official" / name)
            avatar_path = f"images/official/{name}"
        account = Account(
            platform=platform,
            id=account_id,
            handle=handle,
            display_name=str(spec.get("display_name", handle)),
            description=str(spec.get("description", "")),
            created_at=created,
            followers=int(str(spec.get("followers", self.rng.randrange(20, 900)))),
            verified=bool(spec.get("verified", False)),
            avatar_path=avatar_path,
        )
        self._finish(account, new=kind == "imp")
        self.accounts[key] = account
        return account

    def _account_id(self, platform: str, since: datetime) -> str:
        if platform == "x":
            return self._digits(self.rng.choice([9, 10, 18, 19]))
        if platform == "reddit":
            return "t2_" + base36(self.rng.randrange(36**7, 36**8))
        if platform == "bluesky":
            return self._did()
        return str((int(since.timestamp() * 1000) << 16) | self.rng.randrange(65536))

    def _since(self, platform: str) -> datetime:
        """When an ordinary account was created: no earlier than the platform allows."""
        first = PLATFORM_OPENED[platform]
        days = (datetime(2026, 9, 1, tzinfo=UTC) - first).days
        return first + timedelta(days=self.rng.randrange(days), seconds=self.rng.randrange(86400))

    def _finish(self, account: Account, *, new: bool) -> None:
        account.avatar_url = self._avatar_url(account.platform, account.id)
        account.following = self.rng.randrange(5, 60) if new else self.rng.randrange(80, 1500)
        account.posts_count = self.rng.randrange(3, 20) if new else self.rng.randrange(150, 25000)

    def ordinary(self, platform: str) -> Account:
        """A member of the public: reuse one sometimes, so some people post more than once."""
        pool = self.pool[platform]
        if pool and self.rng.random() < 0.3:
            return self.rng.choice(pool)
        while True:
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            handle = self._handle(platform, first, last)
            if (platform, handle.casefold()) not in self.taken:
                break
        self.taken.add((platform, handle.casefold()))
        display = f"{first} {last}" if platform != "reddit" else handle
        if self.rng.random() < 0.25 and platform != "reddit":
            display = f"{first} {self.rng.choice(NAME_EMOJI)}"
        created = self._since(platform)
        account = Account(
            platform=platform,
            id=self._account_id(platform, created),
            handle=handle,
            display_name=display,
            description=self.rng.choice(BIOS),
            created_at=created,
            followers=self.rng.randrange(3, 4000),
        )
        self._finish(account, new=False)
        pool.append(account)
        return account

    def _handle(self, platform: str, first: str, last: str) -> str:
        f, last_ = first.lower(), last.lower()
        n = self.rng.randrange(1, 99)
        if platform == "x":
            return self.rng.choice(
                [f"{f}_{last_}", f"{f}{last_[:3]}{n}", f"{f[0]}{last_}{n}", f"{f}{last_}_"]
            )
        if platform == "reddit":
            adjectives, nouns = REDDIT_WORDS
            return self.rng.choice(
                [
                    "-".join(
                        [
                            self.rng.choice(adjectives),
                            self.rng.choice(nouns),
                            str(self.rng.randrange(1000, 9999)),
                        ]
                    ),
                    f"throwaway_qm{self.rng.randrange(100, 9999)}",
                    f"{f}_{last_[:4]}{n}",
                    f"MileEnd{first}{n}",
                ]
            )
        if platform == "bluesky":
            return self.rng.choice(
                [f"{f}{last_}.bsky.social", f"{f}-{last_[0]}.bsky.social", f"{f}{n}.bsky.social"]
            )
        user = self.rng.choice([f, f + "_" + last_[:4], f + last_])
        return f"{user}@{self.rng.choice(MASTODON_INSTANCES)}"

    # Posts ---------------------------------------------------------------------------------

    def platform_for(self, draft: st.Draft, counts: dict[str, int]) -> str:
        if draft.by:
            return draft.by.split(":")[1]
        if draft.on:
            return draft.on
        if draft.title:
            return "reddit"
        total = sum(counts.values()) + 1
        return min(PLATFORMS, key=lambda p: (counts[p] / total - WEIGHTS[p], self.rng.random()))

    def moment(self, draft: st.Draft, after: datetime | None) -> datetime:
        if after is not None:
            return min(END, after + timedelta(minutes=self.rng.randrange(12, 2 * 24 * 60)))
        if draft.day:
            day = datetime(2026, 11, draft.day, tzinfo=UTC)
        else:
            day = START + timedelta(days=self.rng.randrange(0, 21))
        # People post mostly between breakfast and midnight, UK time (GMT in November).
        return day + timedelta(
            hours=self.rng.randrange(7, 24),
            minutes=self.rng.randrange(60),
            seconds=self.rng.randrange(60),
        )

    def identify(self, post: Built, parent: Built | None) -> None:
        ms = int(post.when.timestamp() * 1000)
        account = post.account
        if post.platform == "x":
            post.id = str(
                ((ms - X_EPOCH_MS) << 22)
                | (self.rng.randrange(1024) << 12)
                | self.rng.randrange(4096)
            )
            post.url = f"https://x.com/{account.handle}/status/{post.id}"
            post.extra["conversation_id"] = (
                parent.extra.get("conversation_id", parent.id) if parent else post.id
            )
            if parent:
                post.extra["in_reply_to_user_id"] = parent.account.id
        elif post.platform == "reddit":
            seconds = int((post.when - START).total_seconds())
            if post.draft.title:
                short = base36(int("1p00000", 36) + seconds * 3 + self.rng.randrange(3))
                post.id = f"t3_{short}"
                subreddit = self.rng.choice(SUBREDDITS)
                if (post.draft.key or "").startswith("megathread"):
                    subreddit = "QMUL"
                slug = re.sub(r"[^a-z0-9]+", "_", post.draft.title.lower()).strip("_")[:50]
                post.url = f"https://www.reddit.com/r/{subreddit}/comments/{short}/{slug}/"
                post.extra.update(subreddit=subreddit, title=post.draft.title)
            else:
                assert parent is not None, "a Reddit comment needs a thread"
                short = base36(int("n800000", 36) + seconds * 40 + self.rng.randrange(40))
                post.id = f"t1_{short}"
                thread = parent.extra.get("link_id", parent.id)
                thread_url = (
                    parent.url.split("/comments/")[0] + "/comments/" + thread.removeprefix("t3_")
                )
                slug = parent.url.rstrip("/").split("/")[7] if parent.url.count("/") >= 8 else "_"
                post.url = f"{thread_url}/{slug}/{short}/"
                post.extra.update(subreddit=parent.extra["subreddit"], link_id=thread)
        elif post.platform == "bluesky":
            rkey = self._tid(post.when)
            post.id = f"at://{account.id}/app.bsky.feed.post/{rkey}"
            post.url = f"https://bsky.app/profile/{account.handle}/post/{rkey}"
        else:
            post.id = str((ms << 16) | self.rng.randrange(65536))
            user, host = account.handle.split("@", 1)
            post.url = f"https://{host}/@{user}/{post.id}"

    def metrics(self, post: Built) -> dict[str, int]:
        reach = max(1, post.account.followers) ** 0.5
        likes = int(self.rng.random() * reach * 2)
        if post.platform == "x":
            return {
                "like_count": likes,
                "retweet_count": likes // 4,
                "reply_count": likes // 6,
                "quote_count": likes // 20,
                "impression_count": likes * 40 + self.rng.randrange(50, 400),
            }
        if post.platform == "reddit":
            return {"score": likes + 1, "num_comments": likes // 3}
        if post.platform == "bluesky":
            return {
                "like_count": likes,
                "repost_count": likes // 5,
                "reply_count": likes // 6,
                "quote_count": likes // 25,
            }
        return {"favourites_count": likes, "reblogs_count": likes // 5, "replies_count": likes // 6}


# Sub-labels for `crestwatch eval`, named as the detectors name them in evidence["labels"]; the
# draft tags on the left say what each case is. Tags not listed here stay descriptive only.
SUBLABELS = {
    "phone_number": "phone_number",
    "email": "email",
    "address": "postal_address",
    "student_id": "student_id",
    "staff_id": "staff_id",
    "date_of_birth": "date_of_birth",
    "secret": "secret",
    "aws_key": "secret:aws",
    "github_token": "secret:github",
    "slack_token": "secret:slack",
    "stripe_key": "secret:stripe",
    "google_api_key": "secret:google",
    "private_key": "secret:private_key",
    "password": "secret:password",
    "threat": "threat",
    "identity_attack": "identity_attack",
    "grievance": "complaint",
    "complaint": "complaint",
    "disciplinary": "disciplinary",
    "tribunal": "legal_proceedings",
    "legal_action": "legal_proceedings",
}


def eval_labels(draft: st.Draft) -> list[str]:
    """The draft's categories plus the detector sub-labels its tags stand for (labelled posts)."""
    subs = {SUBLABELS[t] for t in draft.tags if t in SUBLABELS} if draft.labels else set()
    return sorted(set(draft.labels) | subs)


def all_drafts() -> list[st.Draft]:
    groups = [
        st.OFFICIAL,
        st.QUESTIONS_ANSWERED,
        st.BENIGN,
        st.REDDIT_BENIGN,
        st.HARD_NEGATIVES,
        st.PHOTO_NEGATIVES,
        st.REPOSTED,
        st.ACCOUNT_HYGIENE,
        st.CONFIDENTIAL,
        st.COPYRIGHT,
        st.COMPLAINTS,
        st.PERSONAL_DATA,
        st.HARASSMENT,
        st.IMPERSONATION,
        st.LOGO_MISUSE,
    ]
    drafts = [d for group in groups for d in group]
    for draft in drafts:
        unknown = set(draft.labels) - {c.value for c in Category}
        if unknown:
            raise ValueError(f"{draft.text[:40]!r}: unknown categories {sorted(unknown)}")
    return drafts


def build(config: OrgConfig) -> tuple[Generator, list[Built], set[str]]:
    gen = Generator(config)
    drafts = all_drafts()
    # Shuffle so platforms and authors are not grouped by category, but keep it seeded.
    gen.rng.shuffle(drafts)
    by_key = {d.key: d for d in drafts if d.key}
    built: dict[int, Built] = {}
    counts = dict.fromkeys(PLATFORMS, 0)
    reddit_threads: list[Built] = []

    def make(draft: st.Draft) -> Built:
        if id(draft) in built:
            return built[id(draft)]
        parent = make(by_key[draft.reply]) if draft.reply else None
        platform = parent.platform if parent else gen.platform_for(draft, counts)
        when = None
        if platform == "reddit" and not draft.title and parent is None:
            # A Reddit post without a title is a comment in that week's chat thread.
            when = gen.moment(draft, None)
            threads = sorted(
                (t for t in reddit_threads if (t.draft.key or "").startswith("megathread")),
                key=lambda t: t.when,
            )
            earlier = [t for t in threads if t.when < when]
            parent = earlier[-1] if earlier else threads[0]
            when = max(when, parent.when + timedelta(minutes=gen.rng.randrange(5, 90)))
        account = gen.named(draft.by) if draft.by else gen.ordinary(platform)
        when = when or gen.moment(draft, parent.when if parent else None)
        post = Built(draft=draft, platform=platform, account=account, when=when)
        gen.identify(post, parent)
        if parent:
            post.extra["_parent"] = parent
        counts[platform] += 1
        built[id(draft)] = post
        if platform == "reddit" and draft.title:
            reddit_threads.append(post)
        return post

    # Submissions first, so Reddit comments have threads to join.
    for draft in sorted(drafts, key=lambda d: not d.title):
        make(draft)
    posts = sorted(built.values(), key=lambda p: p.when)
    media = {key for p in posts for key in p.draft.media}
    media |= {str(a["avatar"]) for a in st.ACCOUNTS.values() if a.get("avatar")}
    return gen, posts, media


def to_record(
    gen: Generator, post: Built, media_paths: dict[str, str], registry: dict[str, str]
) -> dict[str, Any]:
    draft = post.draft
    text = (
        f"{draft.title}\n\n{draft.text}"
        if draft.title and post.id.startswith("t3_")
        else draft.text
    )
    parent: Built | None = post.extra.pop("_parent", None)
    record: dict[str, Any] = {
        "platform": post.platform,
        "id": post.id,
        "url": post.url,
        "created_at": iso(post.when),
        "text": text,
        "lang": "en",
        "author": post.account.as_author(),
        "media": [
            {
                "url": gen.media_url(post.platform, post.account, extension(key)),
                "type": "image",
                "path": media_paths[key],
            }
            for key in draft.media
        ],
        "in_reply_to": parent.id if parent else None,
        "quoted": None,
        "metrics": gen.metrics(post),
        **post.extra,
    }
    if post.platform == "x":
        mentioned = {m.casefold() for m in re.findall(r"@(\w+)", draft.text)}
        hits = sorted({registry[m] for m in mentioned if m in registry})
        if hits:
            record["mentions_registry"] = hits
    return record


def render(config: OrgConfig) -> tuple[dict[str, str], set[str]]:
    """The output files' text by name (relative to samples/), and the image keys they use."""
    gen, posts, media_keys = build(config)
    media_paths = {key: f"images/{key}{extension(key)}" for key in media_keys}
    registry = {a.handle.casefold(): a.handle for a in config.accounts if a.platform == "x"}
    records = []
    for post in posts:
        record = to_record(gen, post, media_paths, registry)
        Post.model_validate(record)  # fail here, not in the demo, if a record is malformed
        records.append(record)
    expected = {f"{p.platform}:{p.id}": sorted(set(p.draft.labels)) for p in posts}
    labelled = []
    for record, post in zip(records, posts, strict=True):
        copy = json.loads(json.dumps(record))
        # The labelled copy lives one folder down, and its relative paths say so.
        for item in copy["media"]:
            item["path"] = f"../{item['path']}"
        if "avatar_path" in copy["author"]:
            copy["author"]["avatar_path"] = f"../{copy['author']['avatar_path']}"
        copy["labels"] = eval_labels(post.draft)
        copy["tags"] = list(post.draft.tags)
        labelled.append(copy)

    def jsonl(items: list[dict[str, Any]]) -> str:
        return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)

    files = {
        "posts.jsonl": jsonl(records),
        "expected_labels.json": json.dumps(expected, indent=1, ensure_ascii=False) + "\n",
        "eval/posts-labelled.jsonl": jsonl(labelled),
    }
    return files, media_keys


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    files, media_keys = render(load_config(PROJECT_ROOT / "config" / "example.yaml"))
    write_images(SAMPLES / "images", media_keys)
    for name, text in files.items():
        path = SAMPLES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = json.loads(files["expected_labels.json"])
    by_platform = {p: sum(doc.startswith(f"{p}:") for doc in expected) for p in PLATFORMS}
    benign = sum(not v for v in expected.values())
    log.info(
        "wrote %d posts (%s), %d benign, %d images",
        len(expected),
        by_platform,
        benign,
        len(media_keys),
    )


if __name__ == "__main__":
    main()
