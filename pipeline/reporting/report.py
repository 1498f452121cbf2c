"""The weekly trend report's numbers, computed from the store (either backend).

Everything is counted by when the posts were made, in the organisation's time zone, not by when
Crestwatch happened to read them: a backfill or a late run files its hits under the week they
were posted, and a week's report says the same whenever it is built.

One pass over the hits whose posts fall in the trend window (eight weeks ending with the
report's week) and one over the posts of that window give: posts read and hits per platform and
day, hits per 1,000 posts, volumes by category, platform and risk with week-over-week change, a
multi-week trend, the reach and engagement of the flagged posts, the most notable of them with
their (masked) text, the accounts that impersonate the University (named), logo misuse grouped
by account, top accounts, terms and hashtags, review turnaround, the false-positive rate per
detector, the University-branded accounts' hygiene, and a short written summary.

Accounts are pseudonymised in the report unless the University has a reason to name them: an
account impersonating it or its people, an account one of whose hits a reviewer escalated or
reported for takedown, and the University's own registered accounts.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.core.config import OrgConfig
from pipeline.core.models import Category, Hit, Post, Status
from pipeline.reporting.hygiene import AccountHygiene, account_hygiene
from pipeline.reporting.terms import top_terms
from pipeline.store.base import Store

ESCALATED = {Status.escalated, Status.takedown_requested}
REVIEWED = {Status.escalated, Status.takedown_requested, Status.resolved, Status.false_positive,
            Status.whitelisted}
DISMISSED = {Status.false_positive, Status.whitelisted}
RISKS = ("critical", "high", "medium", "low", "info")
RISK_RANK = {risk: n for n, risk in enumerate(reversed(RISKS))}
TREND_WEEKS = 8
NOTABLE_POSTS = 8

# What each platform calls its engagement counts (X, Bluesky, Mastodon, Reddit).
_LIKES = ("like_count", "favourites_count", "likes", "score")
_SHARES = ("retweet_count", "repost_count", "reblogs_count", "reposts")
_REPLIES = ("reply_count", "replies_count", "num_comments", "replies")
_QUOTES = ("quote_count", "quotes")
_VIEWS = ("impression_count", "view_count")


def iso_week(label: str, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """'2026-W47' -> [Monday 00:00, next Monday 00:00) in `zone` (UTC unless given)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", label)
    if not match:
        raise ValueError(f"week {label!r}: use the ISO form YYYY-Www, e.g. 2026-W47")
    try:
        start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"week {label!r}: {match[1]} has no week {match[2]}") from None
    begin = datetime(start.year, start.month, start.day, tzinfo=zone)
    after = start + timedelta(days=7)
    return begin, datetime(after.year, after.month, after.day, tzinfo=zone)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Change:
    this_week: int
    last_week: int

    @property
    def delta(self) -> int:
        return self.this_week - self.last_week

    @property
    def percent(self) -> float | None:
        return None if self.last_week == 0 else 100.0 * self.delta / self.last_week


@dataclass
class Volume:
    """Posts read and hits among them."""

    posts: int = 0
    hits: int = 0

    @property
    def rate(self) -> float | None:
        """Hits per 1,000 posts read (None when no post was read)."""
        return 1000.0 * self.hits / self.posts if self.posts else None


@dataclass
class WeekPoint:
    week: str
    posts: int
    hits: int
    by_category: dict[str, int]

    @property
    def rate(self) -> float | None:
        return Volume(self.posts, self.hits).rate


@dataclass
class Engagement:
    likes: int = 0
    shares: int = 0
    replies: int = 0
    quotes: int = 0
    views: int | None = None

    @property
    def total(self) -> int:
        return self.likes + self.shares + self.replies + self.quotes


@dataclass
class Reach:
    """The flagged posts of one category: how many, the followers of their authors and the
    engagement they drew (posts without counts add nothing)."""

    posts: int = 0
    followers: int = 0
    engagement: int = 0
    shares: int = 0
    views: int = 0


@dataclass
class NotablePost:
    post_id: str
    hit_ids: list[str]
    platform: str
    author: str
    posted_at: datetime
    categories: list[str]
    risk: str
    status: str
    text: str
    url: str | None
    followers: int | None
    engagement: Engagement


@dataclass
class Impersonator:
    hit_id: str
    platform: str
    handle: str
    display_name: str | None
    impersonates: str
    risk: str
    status: str
    posts: int
    explanation: str
    url: str | None


@dataclass
class LogoAccount:
    """One account's logo misuse in the week: one row however many posts or avatars."""

    platform: str
    author: str
    hit_ids: list[str]
    posts: int
    references: list[str]
    avatar: bool
    risk: str
    statuses: list[str]
    image_path: str | None
    post_url: str | None


@dataclass
class WeeklyReport:
    organisation: str
    week: str
    start: datetime
    end: datetime
    timezone: str
    total: Change
    posts: Change
    by_category: dict[str, Change]
    by_platform: dict[str, Change]
    by_risk: dict[str, Change]
    daily: dict[str, dict[str, int]]  # ISO day -> category -> hits
    volumes: dict[str, dict[str, Volume]]  # ISO day -> platform -> posts read and hits
    platform_volume: dict[str, Volume]
    trend: list[WeekPoint]
    reach: dict[str, Reach]  # category -> reach of its flagged posts
    notable: list[NotablePost]
    impersonators: list[Impersonator]
    top_accounts: list[tuple[str, str, int]]  # (shown name, platform, hits)
    top_terms: list[tuple[str, int]]
    top_hashtags: list[tuple[str, int]]
    logo_accounts: list[LogoAccount]
    median_review_minutes: float | None
    reviewed_share: float | None
    dismissed: int
    false_positive_rate: dict[str, tuple[int, int]]  # detector -> (false positives, reviewed)
    hygiene: list[AccountHygiene] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def last_day(self) -> datetime:
        return self.end - timedelta(days=1)

    @property
    def volume(self) -> Volume:
        """Posts read this week and how many of them were flagged."""
        return Volume(self.posts.this_week, sum(v.hits for v in self.platform_volume.values()))


def _first(metrics: dict[str, Any], names: tuple[str, ...]) -> int:
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0, int(value))
    return 0


def engagement(post: Post) -> Engagement:
    metrics = post.metrics or {}
    views = next((int(metrics[n]) for n in _VIEWS if isinstance(metrics.get(n), int | float)),
                 None)
    return Engagement(_first(metrics, _LIKES), _first(metrics, _SHARES),
                      _first(metrics, _REPLIES), _first(metrics, _QUOTES), views)


def _changes(now: Counter[str], before: Counter[str], keys: Iterable[str]) -> dict[str, Change]:
    return {k: Change(now.get(k, 0), before.get(k, 0)) for k in keys}


def _value(hit: Hit, name: str) -> str:
    value = getattr(hit, name)
    return value.value if hasattr(value, "value") else str(value)


class _Names:
    """How the report shows an account: named where the University has a reason to, otherwise
    a stable pseudonym (the same account is the same pseudonym in every table and CSV)."""

    def __init__(self, config: OrgConfig, hits: list[Hit]) -> None:
        from pipeline.core.values import load_salt

        self._salt = load_salt(config.data_path())
        self._config = config
        self.named = {
            (h.platform, h.author_id) for h in hits
            if h.status in ESCALATED
            or (h.category is Category.impersonation and h.status not in DISMISSED)
        }

    def __call__(self, hit: Hit) -> str:
        key = (hit.platform, hit.author_id)
        if key in self.named or self._config.registered(hit.platform, hit.author_handle,
                                                        hit.author_id):
            return f"@{hit.author_handle}"
        from pipeline.core.values import keyed_hash

        return "account-" + keyed_hash(f"{hit.platform}:{hit.author_id}", self._salt)[:8]


def _day(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def build_weekly_report(store: Store, config: OrgConfig, week: str, *,
                        trend_weeks: int = TREND_WEEKS) -> WeeklyReport:
    zone = ZoneInfo(config.organisation.timezone)
    start, end = iso_week(week, zone)
    previous_start = start - timedelta(days=7)
    week_starts = [start - timedelta(days=7 * n) for n in range(trend_weeks - 1, -1, -1)]
    trend_start = week_starts[0]

    def week_of(moment: datetime) -> int | None:
        """Index in week_starts of the week `moment` falls in, or None outside the window."""
        if not trend_start <= moment < end:
            return None
        return min((moment - trend_start).days // 7, trend_weeks - 1)

    # A post is read before its hits are written, so every hit on a post of the window was
    # detected at or after the window's start.
    now_hits: list[Hit] = []
    before: dict[str, Counter[str]] = {"category": Counter(), "platform": Counter(),
                                       "risk": Counter()}
    trend_hits: list[Counter[str]] = [Counter() for _ in week_starts]
    for hit in store.iter_hits(trend_start, None):
        index = week_of(hit.post_created_at)
        if index is None:
            continue
        trend_hits[index][hit.category.value] += 1
        if hit.post_created_at >= start:
            now_hits.append(hit)
        elif hit.post_created_at >= previous_start:
            for name in before:
                before[name][_value(hit, name)] += 1
    now = {name: Counter(_value(h, name) for h in now_hits) for name in before}

    days = [(start + timedelta(days=d)).date().isoformat() for d in range(7)]
    hit_posts = {h.post_id for h in now_hits}
    posts_by_week = [0] * trend_weeks
    volumes: dict[str, dict[str, Volume]] = {d: {} for d in days}
    previous_posts = 0
    week_posts: dict[str, Post] = {}
    for post in store.iter_posts(trend_start, end):
        index = week_of(post.created_at)
        if index is None:
            continue
        posts_by_week[index] += 1
        if post.created_at >= start:
            cell = volumes.setdefault(_day(post.created_at, zone), {}).setdefault(
                post.platform, Volume())
            cell.posts += 1
            if post.doc_id in hit_posts:
                week_posts[post.doc_id] = post
        elif post.created_at >= previous_start:
            previous_posts += 1

    daily: dict[str, dict[str, int]] = {d: {} for d in days}
    flagged_posts: dict[tuple[str, str], set[str]] = defaultdict(set)  # (day, platform) -> posts
    for hit in now_hits:
        day = _day(hit.post_created_at, zone)
        daily.setdefault(day, {})
        daily[day][hit.category.value] = daily[day].get(hit.category.value, 0) + 1
        flagged_posts[(day, hit.platform)].add(hit.post_id)
    for (day, platform), flagged in flagged_posts.items():
        cell = volumes.setdefault(day, {}).setdefault(platform, Volume())
        # A post with two hits is one flagged post; an account-level hit (hygiene) has no post.
        cell.hits += len(flagged)
    platform_volume: dict[str, Volume] = {}
    for cells in volumes.values():
        for platform, cell in cells.items():
            total = platform_volume.setdefault(platform, Volume())
            total.posts += cell.posts
            total.hits += cell.hits

    names = _Names(config, now_hits)
    open_hits = [h for h in now_hits if h.status not in DISMISSED]
    accounts: Counter[tuple[str, str]] = Counter((names(h), h.platform) for h in now_hits)
    term_list, hashtag_list = top_terms(
        [h.post_text for h in {h.post_id: h for h in now_hits}.values()],
        [*config.organisation.all_names(), *config.organisation.hashtags],
    )

    reviewed = [h for h in now_hits if h.status in REVIEWED]
    minutes = [h.review_minutes for h in now_hits if h.review_minutes is not None]
    fp: dict[str, tuple[int, int]] = {}
    for detector in sorted({h.detector for h in reviewed}):
        mine = [h for h in reviewed if h.detector == detector]
        fp[detector] = (sum(h.status is Status.false_positive for h in mine), len(mine))

    report = WeeklyReport(
        organisation=config.organisation.name,
        week=week, start=start, end=end, timezone=config.organisation.timezone,
        total=Change(len(now_hits), sum(before["category"].values())),
        posts=Change(posts_by_week[-1], previous_posts),
        by_category=_changes(now["category"], before["category"], [c.value for c in Category]),
        by_platform=_changes(now["platform"], before["platform"],
                             sorted(set(now["platform"]) | set(before["platform"])
                                    | set(platform_volume))),
        by_risk=_changes(now["risk"], before["risk"], RISKS),
        daily=daily,
        volumes={d: dict(sorted(v.items())) for d, v in sorted(volumes.items())},
        platform_volume=dict(sorted(platform_volume.items())),
        trend=[WeekPoint(week_label(s.date()), posts_by_week[n], sum(trend_hits[n].values()),
                         dict(trend_hits[n])) for n, s in enumerate(week_starts)],
        reach=_reach(now_hits, week_posts),
        notable=_notable(open_hits, week_posts, names),
        impersonators=_impersonators(open_hits),
        top_accounts=[(name, platform, n) for (name, platform), n in accounts.most_common(10)],
        top_terms=term_list,
        top_hashtags=hashtag_list,
        logo_accounts=_logo_accounts(open_hits, names),
        median_review_minutes=statistics.median(minutes) if minutes else None,
        reviewed_share=len(reviewed) / len(now_hits) if now_hits else None,
        dismissed=sum(h.status in DISMISSED for h in now_hits),
        false_positive_rate=fp,
        hygiene=account_hygiene(config, store, start, end),
    )
    report.summary = summary(report)
    return report


def _reach(hits: list[Hit], posts: dict[str, Post]) -> dict[str, Reach]:
    reach: dict[str, Reach] = {}
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        if (hit.category.value, hit.post_id) in seen:
            continue
        seen.add((hit.category.value, hit.post_id))
        item = reach.setdefault(hit.category.value, Reach())
        item.posts += 1
        post = posts.get(hit.post_id)
        if post is None:
            continue
        counts = engagement(post)
        item.followers += post.author.followers or 0
        item.engagement += counts.total
        item.shares += counts.shares
        item.views += counts.views or 0
    return dict(sorted(reach.items(), key=lambda kv: -kv[1].engagement))


def _notable(hits: list[Hit], posts: dict[str, Post], names: _Names) -> list[NotablePost]:
    """The flagged posts most worth reading (dismissed hits left out): highest risk first,
    then the most engaged-with."""
    by_post: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        if hit.category is not Category.account_hygiene:
            by_post[hit.post_id].append(hit)
    items = []
    for post_id, group in by_post.items():
        post = posts.get(post_id)
        top = max(group, key=lambda h: RISK_RANK.get(h.risk, 0))
        counts = engagement(post) if post else Engagement()
        items.append(NotablePost(
            post_id=post_id, hit_ids=[h.id for h in group], platform=top.platform,
            author=names(top), posted_at=top.post_created_at,
            categories=sorted({h.category.value for h in group}), risk=top.risk,
            status=top.status.value,
            # The stored post is masked with every hit's redactions; a hit's own copy of the
            # text only with its own, so the post is preferred.
            text=post.text if post else top.post_text,
            url=top.post_url, followers=post.author.followers if post else None,
            engagement=counts,
        ))
    items.sort(key=lambda p: (-RISK_RANK.get(p.risk, 0), -p.engagement.total,
                              -(p.followers or 0), p.post_id))
    return items[:NOTABLE_POSTS]


def _impersonators(hits: list[Hit]) -> list[Impersonator]:
    found = []
    for hit in hits:
        if hit.category is not Category.impersonation:
            continue
        evidence = hit.evidence
        target = evidence.get("matched_account") or evidence.get("person") or ""
        posts = evidence.get("posts_seen")
        found.append(Impersonator(
            hit_id=hit.id, platform=hit.platform, handle=f"@{hit.author_handle}",
            display_name=hit.author_display_name, impersonates=str(target), risk=hit.risk,
            status=hit.status.value,
            posts=posts if isinstance(posts, int) else 1,
            explanation=hit.explanation, url=hit.post_url,
        ))
    found.sort(key=lambda i: (-RISK_RANK.get(i.risk, 0), i.platform, i.handle.casefold()))
    return found


def _logo_accounts(hits: list[Hit], names: _Names) -> list[LogoAccount]:
    groups: dict[tuple[str, str], list[Hit]] = defaultdict(list)
    for hit in hits:
        if hit.category is Category.logo_misuse:
            groups[(hit.platform, hit.author_id)].append(hit)
    accounts = []
    for (platform, _), group in groups.items():
        group.sort(key=lambda h: (-RISK_RANK.get(h.risk, 0), h.post_created_at))
        shown = next((h for h in group if _evidence_file(h)), group[0])
        accounts.append(LogoAccount(
            platform=platform, author=names(group[0]), hit_ids=[h.id for h in group],
            posts=len({h.post_id for h in group}),
            references=sorted({str(h.evidence.get("reference") or h.evidence.get("brand") or "")
                               for h in group} - {""}),
            avatar=any(h.evidence.get("media_index") == -1 for h in group),
            risk=group[0].risk, statuses=sorted({h.status.value for h in group}),
            image_path=_evidence_file(shown), post_url=shown.post_url,
        ))
    accounts.sort(key=lambda a: (-RISK_RANK.get(a.risk, 0), -a.posts, a.author))
    return accounts


def _evidence_file(hit: Hit) -> str | None:
    path = hit.evidence.get("image_path")
    return str(path) if path and Path(str(path)).is_file() else None


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def summary(report: WeeklyReport) -> list[str]:
    """A few plain sentences an analyst can paste into an update."""
    lines = []
    volume = report.volume
    platforms = sum(1 for v in report.platform_volume.values() if v.posts)
    change = report.total
    rate = f" ({volume.rate:.1f} per 1,000)" if volume.rate is not None else ""
    lines.append(
        f"{_plural(volume.posts, 'post')} about {report.organisation} made in {report.week} "
        f"were read on {_plural(platforms, 'platform')}; {volume.hits:,} of them were "
        f"flagged{rate}."
    )
    if change.last_week:
        moved = (f"{abs(change.percent or 0):.0f}% {'more' if change.delta > 0 else 'fewer'} "
                 f"than the week before ({change.last_week:,})" if change.delta
                 else "as many as the week before")
    else:
        moved = "none the week before"
    lines.append(f"{_plural(change.this_week, 'hit')} {'was' if change.this_week == 1 else 'were'}"
                 f" raised, {moved}.")
    top = sorted(((c, v.this_week) for c, v in report.by_category.items() if v.this_week),
                 key=lambda cv: -cv[1])[:3]
    if top:
        listed = [f"{c.replace('_', ' ')} ({n})" for c, n in top]
        lines.append("Most were " + (", ".join(listed[:-1]) + " and " + listed[-1]
                                     if len(listed) > 1 else listed[0]) + ".")
    critical = report.by_risk["critical"].this_week
    if change.this_week:
        reviewed = (f"reviewers have acted on {100 * report.reviewed_share:.0f}% of all hits"
                    if report.reviewed_share else "none has been reviewed yet")
        turnaround = (f", a median {report.median_review_minutes:.0f} minutes after they were "
                      "raised" if report.median_review_minutes is not None else "")
        lines.append(f"{_plural(critical, 'hit')} {'was' if critical == 1 else 'were'} "
                     f"critical; {reviewed}{turnaround}.")
    if report.impersonators:
        shown = ", ".join(f"{i.handle} ({i.platform})" for i in report.impersonators[:4])
        more = len(report.impersonators) - 4
        lines.append(f"{_plural(len(report.impersonators), 'account')} impersonated the "
                     f"University or its people: {shown}" + (f" and {more} more" if more > 0
                                                              else "") + ".")
    engaged = max(report.notable, key=lambda p: p.engagement.total, default=None)
    if engaged and engaged.engagement.total:
        lines.append(
            f"The most engaged-with flagged post ({engaged.engagement.total:,} likes, shares and "
            f"replies) was a {engaged.categories[0].replace('_', ' ')} hit on "
            f"{engaged.platform} on {engaged.posted_at:%d %b}.")
    if report.dismissed:
        lines.append(f"{_plural(report.dismissed, 'hit')} of the week "
                     f"{'was' if report.dismissed == 1 else 'were'} dismissed by reviewers as "
                     "false positives or whitelisted.")
    return lines
