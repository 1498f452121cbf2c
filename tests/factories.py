"""Small builders for posts, findings and hits used across the suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.core.config import OrgConfig
from pipeline.core.models import Author, Category, Decision, Finding, Hit, Post, Severity

BASE_TIME = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def make_post(n: int = 1, *, platform: str = "x", author_id: str = "100", **extra: Any) -> Post:
    data: dict[str, Any] = {
        "platform": platform,
        "id": str(n),
        "url": f"https://x.com/someone/status/{n}",
        "created_at": BASE_TIME + timedelta(minutes=n),
        "text": f"Post number {n} about Queen Mary",
        "author": Author(id=author_id, handle=f"user{author_id}", display_name="Some One"),
    }
    data.update(extra)
    return Post.model_validate(data)


def make_hit(
    n: int = 1,
    *,
    category: Category = Category.harassment,
    severity: Severity = Severity.high,
    detector: str = "harassment",
    seen: datetime | None = None,
    **post_fields: Any,
) -> Hit:
    post = make_post(n, **post_fields)
    finding = Finding(
        post_id=post.doc_id,
        detector=detector,
        category=category,
        score=0.9,
        explanation="test finding",
        evidence={"labels": ["offensive"], "spans": [{"start": 0, "end": 4, "text": "Post"}]},
    )
    decision = Decision(True, severity, ("test decision",))
    return Hit.from_finding(finding, post, decision, now=seen or BASE_TIME + timedelta(hours=n))


def decided(finding: Finding, config: OrgConfig, post: Post | None = None) -> Decision:
    """The policy's decision on a detector's finding, as a run would make it."""
    from pipeline.policy.engine import Policy

    return Policy(config).decide(finding, post)


def portable_config_data(config: OrgConfig) -> dict[str, Any]:
    """`config` as data with every file path it names made absolute, so a test can change it and
    write it anywhere (the loader checks that named files exist)."""
    data: dict[str, Any] = config.model_dump(mode="json", exclude_none=True)
    for logo in data.get("logos", []):
        logo["path"] = str(config.resolve(logo["path"]))
    for account in data.get("accounts", []):
        if account.get("avatar"):
            account["avatar"] = str(config.resolve(account["avatar"]))
    for source in data.get("sources", []):
        if source.get("path"):
            source["path"] = str(config.resolve(source["path"]))
    if data.get("protected_documents"):
        data["protected_documents"] = str(config.resolve(data["protected_documents"]))
    return data


def example_config_data() -> dict[str, Any]:
    """config/example.yaml as data, ready to change and write anywhere."""
    from pipeline.core.config import load_config

    return portable_config_data(load_config())
