"""Impersonation of University accounts, staff and students: judges accounts, not posts.

Every unregistered author in a batch is compared with the organisation config's account
registry and protected people. Signals:

- lookalike handle or display name (homoglyphs, diacritics, leetspeak, separators, affixes;
  see `detectors.impersonation.names`), and zero-width or bidi control characters hidden in
  the name;
- avatar or banner showing an official avatar (`detectors.impersonation.avatar`), when the
  author's images are on disk (`Author.avatar_path`, `Author.banner_path`);
- a bio claiming to be official, naming the University or a staff role;
- posts copied word for word from official accounts (in the batch, or remembered from earlier
  batches);
- and, only alongside one of those, a young account, few followers, a verification badge.

They are combined into one score (each signal's weight, combined as independent evidence) with
an explanation listing what fired. Registered accounts and protected people's own handles are
never flagged. "Parody", "fan" or "unofficial" in the bio lowers the severity but keeps the hit:
the guidance judges impersonation by its effect.

One account gets one hit: `subject` is ``account:<platform>:<author id>``, and the account's
history (first and last post seen, number of posts, recent post ids) and the official posts'
fingerprints are kept across runs by the store (`pipeline.core.history.AccountHistory`), which
the runner hands the detector before each page and writes after the store acknowledged it.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from detectors.base import Detector, DetectorOptions, UsesHistory
from detectors.impersonation.names import (
    NameIndex,
    NameMatch,
    invisible_controls,
    skeleton,
    targets_from_config,
    visible_letters,
)
from pipeline.core.history import (
    AccountHistory,
    AccountPost,
    HistoryUpdate,
    OfficialPost,
    account_subject,
    seen_with,
)
from pipeline.core.models import Author, Category, Finding, Post

log = logging.getLogger(__name__)

# Findings below this score are not worth keeping even for calibration.
FLOOR = 0.15

_PARODY = re.compile(
    r"\b(parody|satire|satirical|fan\s*(account|page|club|site)?|unofficial|"
    r"not\s+(affiliated|endorsed|official|associated)|no\s+affiliation)\b", re.I,
)
_OFFICIAL_CLAIM = re.compile(
    r"(?<![\w-])(official|verified|authorised|authorized)\b(?!\s+(affiliation))", re.I
)
_GENERIC_ROLES = (
    "president", "principal", "vice-principal", "vice principal", "provost", "chancellor",
    "vice-chancellor", "registrar", "dean", "head of", "director of", "lecturer", "professor",
    "press office", "communications team", "admissions team", "admissions office",
    "student services", "it services", "helpdesk", "help desk", "support team",
)


@dataclass
class Signal:
    key: str  # machine name, also the evaluation label
    weight: float  # this signal's strength alone, in [0, 1)
    phrase: str  # for the explanation
    primary: bool = True  # False: only counts next to a primary signal


@dataclass
class Verdict:
    signals: list[Signal] = field(default_factory=list)
    name: NameMatch | None = None
    name_field: str | None = None
    name_value: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    parody: bool = False

    def counted(self) -> list[Signal]:
        """The signals the score uses: account age, followers and the like only count next to
        a signal that points at impersonation by itself."""
        primary = [s for s in self.signals if s.primary and s.weight > 0]
        if not primary or max(s.weight for s in primary) < 0.25:
            return primary
        return [s for s in self.signals if s.weight > 0]

    @property
    def score(self) -> float:
        return _combine(self.counted())


def _combine(signals: Sequence[Signal]) -> float:
    return 1.0 - math.prod(1.0 - min(0.99, s.weight) for s in signals)


def name_weight(similarity: float) -> float:
    """How much a lookalike name alone says: nothing under 0.7, and a plain copy of a name
    (0.95 and up) alone crosses the usual threshold."""
    if similarity < 0.7:
        return 0.0
    if similarity < 0.85:
        return (similarity - 0.7) * 4
    return 0.6 + (similarity - 0.85) * 2


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ImpersonationOptions(DetectorOptions):
    # An account younger than this, or with fewer followers, adds a profile signal.
    new_account_days: int = Field(default=30, ge=0)
    few_followers: int = Field(default=100, ge=0)
    # Account history across runs (first/last seen, posts; copies of earlier official posts).
    memory: bool = True


class ImpersonationDetector(Detector, UsesHistory):
    name = "impersonation"
    categories = (Category.impersonation,)
    Options = ImpersonationOptions
    options: ImpersonationOptions

    def load(self) -> None:
        config = self.config
        self._names = NameIndex(targets_from_config(config))
        self._main_account: dict[str, str] = {}
        for account in config.accounts:
            if account.official:
                self._main_account.setdefault(account.platform, f"@{account.handle.lstrip('@')}")
        names = sorted({skeleton(n).strip() for n in config.organisation.all_names()}, key=len)
        hashtags = [skeleton(h) for h in config.organisation.hashtags]
        words = [re.escape(n) for n in names + hashtags if len(n) >= 2]
        self._org_pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(words) + r")(?![a-z0-9])")
        roles = {skeleton(p.role).strip() for p in config.protected_people if p.role}
        self._protected_roles = [r for r in roles if r]
        self._role_pattern = re.compile(
            r"\b(" + "|".join(re.escape(r) for r in _GENERIC_ROLES) + r")\b"
        )
        self._new_account_days = self.options.new_account_days
        self._few_followers = self.options.few_followers
        self._avatars = self._load_avatars()
        self._loaded = True

    def _history(self) -> AccountHistory | None:
        return self.history if self.options.memory else None

    def _load_avatars(self) -> Any:
        paths = {
            f"@{a.handle.lstrip('@')}": self.config.resolve(a.avatar)
            for a in self.config.accounts
            if a.avatar is not None
        }
        if not paths:
            return None
        from detectors.impersonation.avatar import AvatarMatcher

        return AvatarMatcher.from_paths(paths)

    # --- the batch -------------------------------------------------------------------------

    def is_registered(self, platform: str, author: Author) -> bool:
        """A registry account or a protected person's own handle: the originals that others
        copy, never judged themselves."""
        return bool(
            self.config.registered(platform, author.handle, author.id)
            or self.config.protected_handle(platform, author.handle)
        )

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        from detectors.impersonation.history import fingerprint

        by_account: dict[tuple[str, str], list[Post]] = defaultdict(list)
        official: dict[str, tuple[str, str]] = {}
        for o in self._official_posts(posts):
            official.setdefault(o.fingerprint, (o.post_id, o.account))
        for post in posts:
            if not self.is_registered(post.platform, post.author):
                by_account[(post.platform, post.author.id)].append(post)
        history = self._history()
        if history is not None:
            candidates = {
                fp for group in by_account.values() for p in group
                if not _is_share(p) and (fp := fingerprint(p.text)) and fp not in official
            }
            official.update(history.official_copies(candidates))

        findings = []
        for (platform, author_id), group in by_account.items():
            group.sort(key=lambda p: (_aware(p.created_at), p.id))
            latest = group[-1]
            verdict = self.judge(latest.author, platform, group, official)
            score = verdict.score
            if score < FLOOR:
                continue
            findings.append(self._finding(platform, author_id, group, verdict, score))
        return findings

    # --- one account -----------------------------------------------------------------------

    def judge(
        self,
        author: Author,
        platform: str,
        posts: Sequence[Post] = (),
        official: dict[str, tuple[str, str]] | None = None,
    ) -> Verdict:
        """Every signal about one unregistered account, from its profile and its posts."""
        verdict = Verdict()
        self._name_signals(author, platform, verdict)
        self._image_signals(author, verdict)
        self._bio_signals(author, verdict)
        if posts and official:
            self._copy_signals(posts, official, verdict)
        newest = max((_aware(p.created_at) for p in posts), default=datetime.now(UTC))
        self._profile_signals(author, newest, verdict)
        return verdict

    def _name_signals(self, author: Author, platform: str, verdict: Verdict) -> None:
        from detectors.impersonation.names import handle_name

        fields = [("handle", author.handle, handle_name(author.handle))]
        if author.display_name:
            fields.append(("display name", author.display_name, author.display_name))
        matches = []
        hidden: list[str] = []
        for label, raw, text in fields:
            controls = invisible_controls(raw)
            if controls:
                hidden.extend(f"{label}: {c}" for c in controls)
            if not visible_letters(raw).strip():
                verdict.signals.append(Signal(
                    "blank_name", 0.15,
                    f"{label} {raw!r} shows nothing when displayed (only invisible characters "
                    "or combining marks), so it was not compared", primary=False,
                ))
                continue
            match = self._names.best(text, platform=platform)
            if match is not None and name_weight(match.similarity) > 0:
                matches.append((name_weight(match.similarity), label, raw, match))
        if hidden:
            verdict.evidence["hidden_characters"] = hidden
            verdict.signals.append(Signal(
                "hidden_characters", 0.35,
                f"name hides {len(hidden)} zero-width or direction-control character(s)",
            ))
        if not matches:
            return
        matches.sort(key=lambda m: m[0], reverse=True)
        weight, label, raw, match = matches[0]
        verdict.name, verdict.name_field, verdict.name_value = match, label, raw
        verdict.signals.append(Signal(
            "lookalike_name", weight,
            f"{label} {raw!r} resembles {match.target.owner} "
            f"({match.similarity:.2f} {match.how})",
        ))
        for weight, label, raw, other in matches[1:]:
            # Handle and display name both copying a name is more deliberate than either alone.
            verdict.signals.append(Signal(
                "lookalike_name", weight / 2,
                f"{label} {raw!r} also resembles {other.target.owner} ({other.similarity:.2f})",
            ))

    def _image_signals(self, author: Author, verdict: Verdict) -> None:
        from detectors.common.image import ImageError

        images = [("avatar", author.avatar_path), ("banner", author.banner_path)]
        for kind, path in images:
            refused = (author.model_extra or {}).get(f"{kind}_error")
            if not path and refused:
                verdict.problems.append(f"{kind} not fetched: {refused}")
        if self._avatars is None or not any(path for _, path in images):
            return
        for kind, path in images:
            if not path:
                continue
            try:
                match = self._avatars.match(path, kind)
            except ImageError as exc:
                verdict.problems.append(f"{kind} not compared: {exc}")
                continue
            if match is None:
                continue
            weight = 0.85 if kind == "avatar" else 0.6
            if match.distance is None or match.distance > 8:
                weight -= 0.1
            verdict.evidence.setdefault("image_path", str(path))
            verdict.evidence.setdefault("reference", match.reference)
            verdict.evidence.setdefault("image_match", []).append({
                "image": kind, "account": match.account, "hash_distance": match.distance,
                "inliers": match.inliers,
            })
            verdict.signals.append(Signal("avatar_match", weight, match.describe()))

    def _bio_signals(self, author: Author, verdict: Verdict) -> None:
        bio = author.description or ""
        if not bio.strip():
            return
        folded = skeleton(bio)
        verdict.parody = bool(_PARODY.search(folded))
        names_org = self._org_pattern.search(folded)
        claims = _OFFICIAL_CLAIM.search(folded) if not verdict.parody else None
        role = next((r for r in self._protected_roles if r in folded), None)
        generic_role = self._role_pattern.search(folded)
        org = f" and names the University ({names_org.group(0)!r})" if names_org else ""
        if claims:
            # "Official account of <anything>" is common; it matters when it names us.
            weight = 0.5 if names_org else 0.1
            verdict.signals.append(Signal(
                "official_claim", weight, f"bio claims to be {claims.group(0).lower()}{org}"
            ))
        if role:
            verdict.signals.append(Signal(
                "staff_role", 0.45, f"bio gives the role of a protected person ({role!r})"
            ))
        elif generic_role and names_org:
            verdict.signals.append(Signal(
                "staff_role", 0.3,
                f"bio gives a staff role ({generic_role.group(0)!r}){org}",
            ))
        elif names_org and not claims:
            verdict.signals.append(Signal(
                "names_university", 0.1, f"bio names the University ({names_org.group(0)!r})",
                primary=False,
            ))
        if verdict.parody:
            verdict.signals.append(Signal(
                "parody", 0.0, "bio says it is a parody, fan or unofficial account",
                primary=False,
            ))

    def _copy_signals(
        self, posts: Sequence[Post], official: dict[str, tuple[str, str]], verdict: Verdict
    ) -> None:
        from detectors.impersonation.history import fingerprint

        copies = []
        for post in posts:
            fp = None if _is_share(post) else fingerprint(post.text)
            if fp and fp in official:
                source_id, account = official[fp]
                copies.append({"post_id": post.doc_id, "official_post": source_id,
                               "account": account})
        if copies:
            verdict.evidence["copied_posts"] = copies
            accounts = sorted({c["account"] for c in copies})
            verdict.signals.append(Signal(
                "copied_posts", 0.5 if len(copies) == 1 else 0.65,
                f"reposts {len(copies)} post(s) of {', '.join(accounts)} word for word",
            ))

    def _profile_signals(self, author: Author, now: datetime, verdict: Verdict) -> None:
        if author.created_at is not None:
            age = (now - _aware(author.created_at)).days
            if 0 <= age <= self._new_account_days:
                weight = 0.25 if age <= 7 else 0.15
                verdict.signals.append(Signal(
                    "new_account", weight, f"account is {age} day(s) old", primary=False
                ))
        if author.followers is not None and author.followers < self._few_followers:
            verdict.signals.append(Signal(
                "few_followers", 0.1, f"{author.followers} follower(s)", primary=False
            ))
        if author.verified:
            verdict.signals.append(Signal(
                "verified_badge", 0.1, "shows a verification badge", primary=False
            ))

    # --- the finding -----------------------------------------------------------------------

    def _finding(
        self, platform: str, author_id: str, posts: list[Post], verdict: Verdict, score: float
    ) -> Finding:
        latest = posts[-1]
        author = latest.author
        subject = account_subject(platform, author_id)
        seen = seen_with(self._history(), subject,
                         [(p.doc_id, _aware(p.created_at)) for p in posts])
        first, last, count, evidence_posts = (seen.first_seen, seen.last_seen, seen.posts,
                                              seen.evidence_posts)

        counted = verdict.counted() + [s for s in verdict.signals if s.key == "parody"]
        labels = sorted({s.key for s in counted})
        target = verdict.name.target if verdict.name else None
        copied = verdict.evidence.get("copied_posts") or [{}]
        matched = (
            (target.account if target and target.account else None)
            or self._image_account(verdict)
            or copied[0].get("account")
            or (self._main_account.get(platform) if target else None)
        )
        evidence: dict[str, Any] = {
            **verdict.evidence,
            "labels": labels,
            "matched_account": matched,
            "terms": [target.text] if target else [],
            "signals": [
                {"signal": s.key, "weight": round(s.weight, 3), "detail": s.phrase}
                for s in counted
            ],
            "account": {
                "platform": platform, "id": author_id, "handle": author.handle,
                "display_name": author.display_name,
                "created_at": author.created_at.isoformat() if author.created_at else None,
                "followers": author.followers, "verified": author.verified,
            },
            "first_seen": first.isoformat(),
            "last_seen": last.isoformat(),
            "posts_seen": count,
            "evidence_posts": evidence_posts,
        }
        if verdict.name is not None:
            evidence["name_match"] = {
                "field": verdict.name_field, "value": verdict.name_value,
                "target": verdict.name.target.text, "target_kind": verdict.name.target.kind,
                "similarity": round(verdict.name.similarity, 3), "how": verdict.name.how,
            }
        if verdict.problems:
            evidence["problems"] = verdict.problems
        domains, calls = _links_and_calls(posts, self.config.organisation.domains)
        pushes = bool(domains or calls)
        if domains:
            evidence["link_domains"] = domains
        if calls:
            evidence["calls_to_action"] = calls
        who = target.owner if target else (f"registered {matched}" if matched else "the University")
        phrases = "; ".join(s.phrase for s in counted)
        handle = repr(author.handle.lstrip("@"))[1:-1]  # escapes hidden characters
        explanation = f"Account @{handle} may impersonate {who}: {phrases}."
        if verdict.problems:
            explanation += f" Not checked: {'; '.join(verdict.problems)}."
        return Finding(
            post_id=latest.doc_id,
            detector=self.name,
            category=Category.impersonation,
            score=round(min(1.0, score), 4),
            explanation=explanation,
            evidence=evidence,
            signals=sorted({s.key for s in verdict.signals}
                           | ({"parody"} if verdict.parody else set())
                           | ({"pushes_link"} if pushes else set())),
            subject=subject,
        )

    # --- the account history (written by the runner once the store has the page) ---------

    def history_update(self, posts: Sequence[Post], findings: Sequence[Finding]) -> HistoryUpdate:
        """What this page adds: the posts of every account found here, and fingerprints of the
        official accounts' posts (for copies of them in later runs)."""
        subjects = {f.subject for f in findings if f.detector == self.name}
        account_posts = [
            AccountPost(subject, p.doc_id, _aware(p.created_at))
            for p in posts
            if (subject := account_subject(p.platform, p.author.id)) in subjects
        ]
        return HistoryUpdate(account_posts, self._official_posts(posts))

    def _official_posts(self, posts: Sequence[Post]) -> list[OfficialPost]:
        from detectors.impersonation.history import fingerprint

        official = []
        for post in posts:
            if self.is_registered(post.platform, post.author) and (fp := fingerprint(post.text)):
                account = f"@{post.author.handle.lstrip('@')}"
                official.append(OfficialPost(fp, post.doc_id, account, _aware(post.created_at)))
        return official

    @staticmethod
    def _image_account(verdict: Verdict) -> str | None:
        matches = verdict.evidence.get("image_match") or []
        return matches[0]["account"] if matches else None


_URL = re.compile(r"https?://([^/\s:?#]+)", re.I)
_CALL_TO_ACTION = re.compile(
    r"\b(link in (?:our |my )?bio|sign up|register (?:now|here|today)|click (?:here|the link)|"
    r"dm us|send (?:us )?your|claim (?:your|now)|apply (?:now|here)|free (?:laptops?|tickets|"
    r"gifts?|money))\b", re.I,
)


def _links_and_calls(
    posts: Sequence[Post], own_domains: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Link domains (other than the University's own) and calls to action in an account's
    posts: a lookalike account that pushes a link is after clicks or credentials, which the
    policy reads as more severe."""
    own = tuple(d.casefold().lstrip(".") for d in own_domains)
    domains: dict[str, None] = {}
    calls: dict[str, None] = {}
    for post in posts:
        for m in _URL.finditer(post.text):
            domain = m.group(1).casefold().removeprefix("www.")
            if not any(domain == d or domain.endswith("." + d) for d in own):
                domains.setdefault(domain)
        for m in _CALL_TO_ACTION.finditer(post.text):
            calls.setdefault(m.group(1).casefold())
    return list(domains)[:5], list(calls)[:5]


def _is_share(post: Post) -> bool:
    # A retweet or boost shows the original author; only a copy passed off as one's own counts.
    return post.text.lstrip().startswith("RT @") or bool(post.model_extra and post.model_extra.get(
        "reposted"
    ))
