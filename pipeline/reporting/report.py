"""The weekly trend report's numbers, computed from the store (either backend).

One pass over the hits of the week and of the week before gives: volumes by category, platform
and risk with week-over-week change; top accounts (pseudonymised unless a hit of theirs was
escalated); top terms and hashtags; logo misuse with evidence images; review turnaround; the
false-positive rate per detector; and the University-branded accounts' hygiene.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline.core.config import OrgConfig
from pipeline.core.models import Category, Hit, Status
from pipeline.reporting.hygiene import AccountHygiene, account_hygiene
from pipeline.store.base import Store

ESCALATED = {Status.escalated, Status.takedown_requested}
REVIEWED = {Status.escalated, Status.takedown_requested, Status.resolved, Status.false_positive,
            Status.whitelisted}

_WORD = re.compile(r"[#@]?[^\W\d_][\w'’-]{2,}", re.UNICODE)
_STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with you your yours yourself yourselves get got one would also amp via rt like
really still dont don't can't cant im i'm it's its us new today week http https www com
""".split())


def iso_week(label: str) -> tuple[datetime, datetime]:
    """'2026-W47' -> [Monday 00:00 UTC, next Monday 00:00 UTC)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", label)
    if not match:
        raise ValueError(f"week {label!r}: use the ISO form YYYY-Www, e.g. 2026-W47")
    start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return begin, begin + timedelta(days=7)


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
class LogoItem:
    hit_id: str
    author: str
    platform: str
    reference: str
    image_path: str | None
    post_url: str | None


@dataclass
class WeeklyReport:
    organisation: str
    week: str
    start: datetime
    end: datetime
    total: Change
    by_category: dict[str, Change]
    by_platform: dict[str, Change]
    by_risk: dict[str, Change]
    daily: dict[str, dict[str, int]]  # ISO day -> category -> hits
    top_accounts: list[tuple[str, str, int]]  # (shown name, platform, hits)
    top_terms: list[tuple[str, int]]
    top_hashtags: list[tuple[str, int]]
    logo_items: list[LogoItem]
    median_review_minutes: float | None
    reviewed_share: float | None
    false_positive_rate: dict[str, tuple[int, int]]  # detector -> (false positives, reviewed)
    hygiene: list[AccountHygiene] = field(default_factory=list)

    @property
    def last_day(self) -> datetime:
        return self.end - timedelta(days=1)


def _changes(now: Counter[str], before: Counter[str], keys: list[str]) -> dict[str, Change]:
    return {k: Change(now.get(k, 0), before.get(k, 0)) for k in keys}


def _pseudonym(hit: Hit, salt: bytes) -> str:
    from pipeline.core.values import keyed_hash

    return "account-" + keyed_hash(f"{hit.platform}:{hit.author_id}", salt)[:8]


def _terms(texts: list[str]) -> tuple[Counter[str], Counter[str]]:
    terms: Counter[str] = Counter()
    hashtags: Counter[str] = Counter()
    for text in texts:
        for token in _WORD.findall(text):
            lowered = token.lower()
            if lowered.startswith("#"):
                hashtags[lowered] += 1
            elif not lowered.startswith("@") and lowered not in _STOPWORDS:
                terms[lowered] += 1
    return terms, hashtags


def build_weekly_report(store: Store, config: OrgConfig, week: str) -> WeeklyReport:
    start, end = iso_week(week)
    previous_start = start - timedelta(days=7)
    now_hits: list[Hit] = []
    before: dict[str, Counter[str]] = {"category": Counter(), "platform": Counter(),
                                       "risk": Counter()}
    for hit in store.iter_hits(previous_start, end):
        if hit.detected_at >= start:
            now_hits.append(hit)
        else:
            for name in before:
                before[name][_value(hit, name)] += 1
    now = {name: Counter(_value(h, name) for h in now_hits) for name in before}

    from pipeline.core.values import load_salt

    salt = load_salt(config.data_path())
    escalated_accounts = {(h.platform, h.author_id) for h in now_hits if h.status in ESCALATED}
    accounts: Counter[tuple[str, str]] = Counter()
    for hit in now_hits:
        shown = (f"@{hit.author_handle}" if (hit.platform, hit.author_id) in escalated_accounts
                 else _pseudonym(hit, salt))
        accounts[(shown, hit.platform)] += 1
    terms, hashtags = _terms([h.post_text for h in now_hits])

    daily: dict[str, dict[str, int]] = {
        (start + timedelta(days=d)).date().isoformat(): {} for d in range(7)}
    for hit in now_hits:
        day = daily.setdefault(hit.detected_at.date().isoformat(), {})
        day[hit.category.value] = day.get(hit.category.value, 0) + 1

    reviewed = [h for h in now_hits if h.status in REVIEWED]
    minutes = [h.review_minutes for h in now_hits if h.review_minutes is not None]
    fp: dict[str, tuple[int, int]] = {}
    for detector in sorted({h.detector for h in reviewed}):
        mine = [h for h in reviewed if h.detector == detector]
        fp[detector] = (sum(h.status is Status.false_positive for h in mine), len(mine))

    logos = [
        LogoItem(h.id, f"@{h.author_handle}", h.platform,
                 str(h.evidence.get("reference") or h.evidence.get("brand") or ""),
                 h.evidence.get("image_path"), h.post_url)
        for h in now_hits if h.category is Category.logo_misuse
    ]
    return WeeklyReport(
        organisation=config.organisation.name,
        week=week, start=start, end=end,
        total=Change(len(now_hits), sum(before["category"].values())),
        by_category=_changes(now["category"], before["category"],
                             [c.value for c in Category]),
        by_platform=_changes(now["platform"], before["platform"],
                             sorted(set(now["platform"]) | set(before["platform"]))),
        by_risk=_changes(now["risk"], before["risk"],
                         ["critical", "high", "medium", "low", "info"]),
        daily=daily,
        top_accounts=[(name, platform, n) for (name, platform), n in accounts.most_common(10)],
        top_terms=terms.most_common(15),
        top_hashtags=hashtags.most_common(10),
        logo_items=logos[:24],
        median_review_minutes=statistics.median(minutes) if minutes else None,
        reviewed_share=len(reviewed) / len(now_hits) if now_hits else None,
        false_positive_rate=fp,
        hygiene=account_hygiene(config, store, start, end),
    )


def _value(hit: Hit, name: str) -> str:
    value = getattr(hit, name)
    return value.value if hasattr(value, "value") else str(value)


def evidence_exists(item: LogoItem) -> bool:
    return bool(item.image_path) and Path(str(item.image_path)).is_file()
