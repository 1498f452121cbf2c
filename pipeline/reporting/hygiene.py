"""University-branded accounts' hygiene: which registry accounts are stale or unused, and which
replies they received went unanswered, from the posts the hygiene sources collect.

The weekly report shows the table; `flag_accounts` turns it into `account_hygiene` hits, one per
account (re-flagging updates it), so the comms team sees them in Kibana and `crestwatch review`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipeline.core.config import BrandedAccount, OrgConfig
from pipeline.core.models import Author, Category, Finding, Hit, Post
from pipeline.store.base import Store

STALE_DAYS = 30
UNUSED_DAYS = 90
DETECTOR = "account_hygiene"


@dataclass
class AccountHygiene:
    platform: str
    handle: str
    owner: str
    official: bool
    last_post_at: datetime | None
    posts_this_week: int
    replies_received: int
    replies_unanswered: int
    state: str  # active, stale, unused, or unknown (not watched long enough to judge)


def account_hygiene(config: OrgConfig, store: Store, start: datetime,
                    end: datetime) -> list[AccountHygiene]:
    """Registry accounts' activity from the posts collected for them (and any other posts)."""
    # keyed by plain strings: a stored Post's platform is any str, not the config's Literal
    accounts: dict[tuple[str, str], BrandedAccount] = {
        (a.platform, a.handle.lstrip("@").casefold()): a for a in config.accounts}
    by_id: dict[tuple[str, str], BrandedAccount] = {
        (a.platform, a.platform_id): a for a in config.accounts if a.platform_id}

    def owner_of(post: Post) -> BrandedAccount | None:
        return by_id.get((post.platform, post.author.id)) or accounts.get(
            (post.platform, post.author.handle.lstrip("@").casefold()))

    last_post: dict[tuple[str, str], datetime] = {}
    # The oldest post seen on each platform: Crestwatch cannot call an account unused for 90 days
    # before it has watched that platform for 90 days (a new install, a first ingest running).
    watched_since: dict[str, datetime] = {}
    own_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    answered: set[str] = set()  # ids of posts an account replied to
    week_posts: Counter[tuple[str, str]] = Counter()
    replies: list[Post] = []
    for post in store.iter_posts(end - timedelta(days=UNUSED_DAYS), end):
        watched_since.setdefault(post.platform, post.created_at)
        account = owner_of(post)
        if account is not None:
            key = (account.platform, account.handle)
            last_post[key] = max(last_post.get(key, post.created_at), post.created_at)
            own_ids[key].add(post.id)
            if post.in_reply_to:
                answered.add(post.in_reply_to)
            if start <= post.created_at < end:
                week_posts[key] += 1
        elif post.in_reply_to and start <= post.created_at < end:
            replies.append(post)
    result = []
    for account in config.accounts:
        key = (account.platform, account.handle)
        received = [r for r in replies if r.in_reply_to in own_ids[key]]
        last = last_post.get(key)
        since = watched_since.get(account.platform)
        watched = (end - since) if since is not None else timedelta(0)
        grace = timedelta(days=1)  # the window's first day may hold no post at all
        if last is not None and last >= end - timedelta(days=STALE_DAYS):
            state = "active"
        elif watched + grace >= timedelta(days=UNUSED_DAYS) and (
                last is None or last < end - timedelta(days=UNUSED_DAYS)):
            state = "unused"
        elif last is not None:
            state = "stale"
        else:
            state = "unknown"  # not watched long enough to say
        result.append(AccountHygiene(
            account.platform, account.handle, account.owner, account.official, last,
            week_posts[key], len(received), sum(r.id not in answered for r in received), state,
        ))
    return result


def _finding(item: AccountHygiene, post_id: str) -> Finding | None:
    problems = []
    signals = []
    if item.state == "unused":
        problems.append(f"no post seen for {UNUSED_DAYS} days: consider closing it")
        signals.append("unused")
    elif item.state == "stale":
        problems.append(f"last post {item.last_post_at:%d %b %Y}, over {STALE_DAYS} days ago")
    if item.replies_unanswered:
        problems.append(f"{item.replies_unanswered} of {item.replies_received} replies this week "
                        "went unanswered")
        if item.replies_unanswered >= 3:
            signals.append("many_unanswered")
    if not problems:
        return None
    kind = "official" if item.official else "unofficial"
    return Finding(
        post_id=post_id,
        detector=DETECTOR,
        category=Category.account_hygiene,
        signals=signals,
        score=1.0,
        explanation=f"University {kind} account @{item.handle} on {item.platform} "
                    f"({item.owner}): " + "; ".join(problems) + ".",
        evidence={"labels": [item.state] + (["unanswered"] if item.replies_unanswered else []),
                  "matched_account": item.handle, "last_post_at": (
                      item.last_post_at.isoformat() if item.last_post_at else None),
                  "replies_received": item.replies_received,
                  "replies_unanswered": item.replies_unanswered},
        subject=f"account:{item.platform}:{item.handle}",
    )


def flag_accounts(config: OrgConfig, store: Store, now: datetime) -> list[Hit]:
    """One hit per registry account with a problem over the 7 days before `now`, as the policy
    decides it (an account the reviewers whitelisted is left alone)."""
    from pipeline.policy.engine import Policy

    policy = Policy.for_store(config, store)
    hits = []
    for item in account_hygiene(config, store, now - timedelta(days=7), now):
        # The hit is about the account, not a post: it points at the account itself.
        account_post = Post(
            platform=item.platform, id=f"account:{item.handle}", created_at=now,
            text="", author=Author(id=item.handle, handle=item.handle, display_name=item.owner),
        )
        finding = _finding(item, account_post.doc_id)
        if finding is None:
            continue
        decision = policy.decide(finding, account_post)
        if decision.admitted:
            hits.append(Hit.from_finding(finding, account_post, decision, now=now))
    return hits
