"""The policy engine: one decision per finding (admitted, severity, reasons), from config."""

from __future__ import annotations

import pytest

from pipeline.core.config import DetectorSettings, OrgConfig, SeverityPolicy, SeverityRule
from pipeline.core.models import Author, Category, Finding, Severity
from pipeline.policy.engine import ALLOW_LISTED, BELOW_THRESHOLD, WHITELISTED, Policy
from tests.factories import make_post


def finding(post_id: str = "x:1", *, detector: str = "harassment", score: float = 0.8,
            signals: tuple[str, ...] = (), category: Category = Category.harassment) -> Finding:
    return Finding(post_id=post_id, detector=detector, category=category, score=score,
                   explanation="e", signals=list(signals))


@pytest.mark.parametrize(
    ("score", "signals", "severity"),
    [
        (0.6, (), Severity.low),
        (0.8, (), Severity.medium),
        (0.6, ("identity_attack",), Severity.medium),
        (0.6, ("threat",), Severity.high),
        (0.6, ("threat", "targets_protected"), Severity.critical),
        (0.4, ("threat",), Severity.low),  # below the rule's min_score (and the threshold)
    ],
)
def test_harassment_defaults(example_config: OrgConfig, score: float, signals: tuple[str, ...],
                             severity: Severity) -> None:
    decision = Policy(example_config).decide(finding(score=score, signals=signals))
    assert decision.severity is severity


def test_every_change_of_severity_is_a_reason(example_config: OrgConfig) -> None:
    decision = Policy(example_config).decide(
        finding(score=0.9, signals=("threat", "targets_protected")))
    assert decision.admitted
    assert decision.reasons == (
        "score 0.90 at or above threshold 0.50",
        "severity medium from score 0.90",
        "a threat: medium -> high",
        "aimed at a protected person or a University account: high -> critical",
    )


def test_below_threshold_is_not_admitted_and_says_so(example_config: OrgConfig) -> None:
    decision = Policy(example_config).decide(finding(score=0.2))
    assert not decision.admitted and decision.suppressed_by == BELOW_THRESHOLD
    assert decision.reasons[0] == "score 0.20 below threshold 0.50"


def test_config_replaces_a_detectors_severity_rules(example_config: OrgConfig) -> None:
    example_config = example_config.model_copy(deep=True)  # the fixture is shared
    example_config.detectors["harassment"] = DetectorSettings(
        threshold=0.5,
        severity=SeverityPolicy(base="high", rules=[
            SeverityRule(when=["threat"], at_least="critical", reason="any threat")]),
    )
    policy = Policy(example_config)
    assert policy.decide(finding(score=0.55)).severity is Severity.high
    assert policy.decide(finding(score=0.55, signals=("threat",))).severity is Severity.critical


def test_a_registered_account_permitted_to_use_logos_is_allow_listed(
    example_config: OrgConfig,
) -> None:
    qmul = example_config.registered("x", "QMUL")
    assert qmul is not None and qmul.may_use_logos
    post = make_post(1, author=Author(id=qmul.platform_id or "1", handle="QMUL"))
    logo = finding(post.doc_id, detector="logo", score=0.9, category=Category.logo_misuse)
    decision = Policy(example_config).decide(logo, post)
    assert not decision.admitted and decision.suppressed_by == ALLOW_LISTED
    assert {"registered_account", "logo_permitted"} <= set(decision.signals)


@pytest.mark.parametrize(
    ("entry", "suppressed"),
    [
        (("account", "x:555"), {"harassment", "logo_misuse"}),
        (("account_category", "x:555/logo_misuse"), {"logo_misuse"}),
        (("image", "ab" * 32), {"logo_misuse"}),
    ],
)
def test_whitelist_entries_cover_their_scope_only(
    example_config: OrgConfig, entry: tuple[str, str], suppressed: set[str]
) -> None:
    post = make_post(9, author_id="555")
    insult = finding(post.doc_id)
    logo = Finding(post_id=post.doc_id, detector="logo", category=Category.logo_misuse,
                   score=0.9, explanation="e", evidence={"image_sha256": "ab" * 32})
    policy = Policy(example_config, whitelist=[entry])
    decided = {f.category.value: policy.decide(f, post) for f in (insult, logo)}
    assert {c for c, d in decided.items() if d.suppressed_by == WHITELISTED} == suppressed


def test_a_verified_author_is_a_policy_signal(example_config: OrgConfig) -> None:
    post = make_post(1, author=Author(id="7", handle="someone", verified=True))
    imp = finding(post.doc_id, detector="impersonation", score=0.7,
                  category=Category.impersonation)
    decision = Policy(example_config).decide(imp, post)
    assert "verified_author" in decision.signals and decision.severity is Severity.high


def test_the_run_summary_counts_what_was_suppressed_and_why(
    example_config: OrgConfig, sqlite_store: object
) -> None:
    from pipeline.run.runner import RunSummary, process_page
    from pipeline.sources.base import Page

    class Fixed:
        name = "fixed"

        def ensure_loaded(self) -> None: ...

        def detect(self, posts: list) -> list[Finding]:
            return [finding(posts[0].doc_id, score=0.9), finding(posts[1].doc_id, score=0.1)]

    posts = [make_post(1), make_post(2)]
    summary = RunSummary()
    process_page(Page(posts=posts), store=sqlite_store, detectors=[Fixed()],  # type: ignore
                 policy=Policy(example_config), summary=summary)
    assert summary.suppressed == {("harassment", BELOW_THRESHOLD): 1}
    (hit,) = sqlite_store.search_hits()  # type: ignore[attr-defined]
    assert hit.severity is Severity.medium, hit.decision
    assert hit.decision["reasons"][0] == "score 0.90 at or above threshold 0.50"
