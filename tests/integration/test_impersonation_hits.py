"""One hit per impersonating account in both stores, updated as new posts arrive, through the
real runner (JSONL source, policy, store)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from detectors.impersonation.detector import ImpersonationDetector
from pipeline.core.config import OrgConfig
from pipeline.core.models import Post
from pipeline.core.paths import PROJECT_ROOT
from pipeline.policy.engine import Policy
from pipeline.run.runner import run_pass
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.base import HitQuery, Store

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def _post(n: int, handle: str, author_id: str, avatar: str | None = None,
          name: str = "Queen Mary University") -> dict:
    return Post.model_validate({
        "platform": "x", "id": f"{author_id}-{n}", "created_at": START + timedelta(hours=n),
        "text": f"Update number {n} from the campus", "author": {
            "id": author_id, "handle": handle, "display_name": name,
            "avatar_path": avatar, "created_at": (START - timedelta(days=3)).isoformat(),
        },
    }).model_dump(mode="json", exclude_none=True)


def _write(path: Path, posts: list[dict]) -> None:
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))


def test_one_hit_per_account_updated_across_runs(
    tmp_path: Path, config: OrgConfig, store: Store, monkeypatch
) -> None:
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    images = tmp_path / "feed" / "avatars"
    images.mkdir(parents=True)
    (images / "fake.png").write_bytes(
        (PROJECT_ROOT / "config" / "logos" / "avatar-qmul.png").read_bytes()
    )
    feed = tmp_path / "feed" / "posts.jsonl"
    # Relative avatar paths are relative to the JSONL file's folder.
    first = [_post(n, "QMUL_0fficial", "imp1", "avatars/fake.png") for n in (1, 2, 3)]
    first.append(_post(1, "jane_doe_writes", "ok1", name="Jane Doe"))
    _write(feed, first)

    detector = ImpersonationDetector(config)
    policy = Policy(config)
    summary = run_pass([JsonlSource(feed, page_size=2)], store=store, detectors=[detector],
                       policy=policy, from_start=True)
    assert summary.ok, summary.errors
    hits = store.search_hits(HitQuery(category=["impersonation"]))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.subject == "account:x:imp1"
    assert hit.evidence["posts_seen"] == 3
    assert hit.evidence["image_path"] == str(images / "fake.png")
    assert hit.evidence["matched_account"] == "@QMUL_Official"
    store.update_hit(hit.id, {"status": "acknowledged"}, actor="reviewer", action="ack")

    # The same posts again, then two new ones: still one hit, review state kept.
    _write(feed, first + [_post(n, "QMUL_0fficial", "imp1") for n in (7, 8)])
    run_pass([JsonlSource(feed, page_size=50)], store=store, detectors=[detector],
             policy=policy, from_start=True)
    hits = store.search_hits(HitQuery(category=["impersonation"]))
    assert [h.id for h in hits] == [hit.id]
    again = hits[0]
    assert again.status == "acknowledged"
    assert again.first_seen == hit.first_seen
    assert again.evidence["posts_seen"] == 5
    assert again.evidence["evidence_posts"][0] == "x:imp1-8"
    assert again.post_id == "x:imp1-8"
