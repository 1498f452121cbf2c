"""Each detector's default alerting policy: what suppresses its findings and how their severity
is set. A config entry `detectors.<name>.severity` replaces the detector's default wholesale;
`detectors.<name>.suppress_when` replaces its suppressing signals.

Signals come from two places: the detector (what it saw: "threat", "avatar_match", ...) and the
policy itself, from the config and the post (`POLICY_SIGNALS`). Severity rules read both.
docs/policy.md lists every signal with what it means.
"""

from __future__ import annotations

from pipeline.core.config import SeverityPolicy, SeverityRule

# Signals the policy adds from the organisation config and the post's author.
POLICY_SIGNALS = {
    "registered_account": "the author is in the account registry (config.accounts)",
    "logo_permitted": "the author is a registered account that may use the logos",
    "verified_author": "the platform marks the author as verified",
}

# A detector with no entry here (a new one) gets this: medium, high from 0.9.
GENERIC = SeverityPolicy(base="medium", bands={"high": 0.9})

SEVERITY: dict[str, SeverityPolicy] = {
    "harassment": SeverityPolicy(
        base="low",
        bands={"medium": 0.75},
        rules=[
            SeverityRule(when=["identity_attack"], at_least="medium",
                         reason="an attack on a group identity"),
            SeverityRule(when=["threat"], min_score=0.5, at_least="high", reason="a threat"),
            SeverityRule(when=["targets_protected"], min_score=0.5, raise_by=1,
                         reason="aimed at a protected person or a University account"),
        ],
    ),
    "impersonation": SeverityPolicy(
        base="low",
        bands={"medium": 0.6, "high": 0.85},
        rules=[
            SeverityRule(any=["avatar_match", "copied_posts"], min_score=0.9,
                         at_least="critical", reason="copies the avatar or the posts"),
            SeverityRule(when=["verified_author"], raise_by=1, reason="a verified account"),
            SeverityRule(when=["parody"], raise_by=-1, reason="says it is a parody or fan account"),
            SeverityRule(when=["pushes_link"], min_score=0.6, raise_by=1,
                         reason="pushes a link or a call to action"),
        ],
    ),
    "logo": SeverityPolicy(
        base="medium",
        rules=[
            SeverityRule(any=["whole_image", "avatar", "registered_account"], at_least="high",
                         reason="the whole image or the avatar, or a registered account"),
            SeverityRule(when=["resembles_university"], at_least="critical",
                         reason="the author also looks like the University"),
        ],
    ),
    "secrets": SeverityPolicy(
        base="high",
        rules=[
            SeverityRule(any=["secret:aws", "secret:azure", "secret:github", "secret:gitlab",
                              "secret:stripe", "secret:private_key"], at_least="critical",
                         reason="a cloud, code-hosting or payment credential or a private key"),
        ],
    ),
    "confidential": SeverityPolicy(
        base="medium",
        rules=[SeverityRule(any=["strong_marker", "in_image"], at_least="high",
                            reason="a strong confidentiality marker, or text in an image")],
    ),
    "documents": SeverityPolicy(
        base="medium",
        rules=[SeverityRule(when=["confidential_document"], at_least="high",
                            reason="a protected document that is not teaching material")],
    ),
    # low: a detail the post ties to nobody (docs/leaks.md says what a reviewer does with one).
    "personal_data": SeverityPolicy(
        base="low",
        rules=[
            SeverityRule(any=["about_another", "several_kinds", "sensitive_kind"],
                         at_least="medium",
                         reason="another person's by the words, a dox, or a card, IBAN or id"),
            SeverityRule(when=["about_person"], at_least="high", reason="about a named person"),
            SeverityRule(when=["about_protected_person"], at_least="critical",
                         reason="about a protected person"),
        ],
    ),
    "complaints": SeverityPolicy(
        base="medium",
        rules=[
            SeverityRule(when=["about_person"], at_least="high", reason="about a named person"),
            SeverityRule(when=["about_protected_person"], at_least="critical",
                         reason="about a protected person"),
        ],
    ),
    "reposts": SeverityPolicy(
        base="low",
        bands={"medium": 0.8},
        rules=[SeverityRule(any=["claims_authorship", "registered_work"], at_least="medium",
                            reason="passed off as the poster's own, or a registered work")],
    ),
    "account_hygiene": SeverityPolicy(
        base="low",
        rules=[SeverityRule(any=["unused", "many_unanswered"], at_least="medium",
                            reason="unused, or three or more replies unanswered")],
    ),
}

# Findings carrying one of these signals are not alerted on (an allow-list).
SUPPRESS_WHEN: dict[str, list[str]] = {
    "logo": ["logo_permitted"],
    # every detail the author's own, the organisation's, a documentation value or a postcode
    "personal_data": ["not_about_others"],
}
