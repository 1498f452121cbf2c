import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.core.jsonl import ReadReport, read_models, write_models
from pipeline.core.models import Category, Decision, Finding, Hit, Post, Severity
from tests.factories import make_post

GOOD = {
    "platform": "mastodon",
    "id": 110000000000000123,
    "url": "https://mastodon.ac.uk/@someone/110000000000000123",
    "created_at": "2026-11-20T10:00:00+00:00",
    "text": "كلية كوين ماري 🎓 graduation today",
    "author": {"id": "42", "handle": "someone@mastodon.ac.uk", "bot": False},
    "media": [{"url": "https://files.example/1.png", "type": "image", "blurhash": "UBL_:rOpGG-;"}],
    "sensitive": False,
}


def test_post_keeps_unknown_fields_and_numeric_ids_become_text():
    post = Post.model_validate(GOOD)
    assert post.doc_id == "mastodon:110000000000000123"
    again = Post.model_validate_json(post.model_dump_json())
    assert again.model_extra["sensitive"] is False
    assert again.author.model_extra["bot"] is False
    assert again.media[0].model_extra["blurhash"] == "UBL_:rOpGG-;"
    assert again.text == GOOD["text"]


def test_bad_lines_are_reported_with_line_and_field_and_the_rest_is_read(tmp_path: Path):
    path = tmp_path / "posts.jsonl"
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "id": "2", "created_at": "yesterday"}),
        "",
        json.dumps([1, 2]),
        json.dumps({**GOOD, "id": "3", "author": {"handle": "x"}}),
        json.dumps({**GOOD, "id": "4", "media": [{"path": "images/a.png", "url": "u"}]}),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = ReadReport()
    posts = list(read_models(path, Post, report))
    assert [p.id for p in posts] == ["110000000000000123", "4"]
    assert [(e.line, e.field) for e in report.errors] == [
        (2, "(line)"), (3, "created_at"), (5, "(line)"), (6, "author.id"),
    ]
    assert str(report.errors[1]).startswith(f"{path}:3: created_at: ")
    # Relative media paths are relative to the file's folder.
    assert posts[1].media[0].path == str(tmp_path / "images" / "a.png")


def test_write_and_read_back(tmp_path: Path):
    out = io.StringIO()
    assert write_models([make_post(1), make_post(2)], out) == 2
    path = tmp_path / "out.jsonl"
    path.write_text(out.getvalue())
    assert [p.doc_id for p in read_models(path, Post)] == ["x:1", "x:2"]


def test_hit_ids_are_stable_and_subject_groups_an_account():
    post = make_post(1)
    finding = Finding(post_id=post.doc_id, detector="impersonation",
                      category=Category.impersonation, score=0.8, explanation="e")
    other_post = make_post(2)
    same_account = finding.model_copy(update={"post_id": other_post.doc_id,
                                              "subject": "account:x:100"})
    first = finding.model_copy(update={"subject": "account:x:100"})
    assert first.hit_id == same_account.hit_id
    assert finding.hit_id != first.hit_id
    hit = Hit.from_finding(first, post, Decision(True, Severity.high, ("r",)))
    assert hit.subject == "account:x:100" and hit.risk == "high" and hit.status == "new"


def test_severity_raised_is_capped():
    assert Severity.medium.raised() is Severity.high
    assert Severity.critical.raised(2) is Severity.critical
    assert Severity.low.raised(-1) is Severity.low


def test_findings_name_their_labels_and_keep_scores_aside():
    post = make_post(1)
    with pytest.raises(ValidationError, match="labels must be a list of names"):
        Finding(post_id=post.doc_id, detector="confidential", category=Category.confidential,
                score=0.85, explanation="e", evidence={"labels": {"confidential_marker": 0.85}})
    finding = Finding(post_id=post.doc_id, detector="confidential",
                      category=Category.confidential, score=0.85, explanation="e",
                      evidence={"labels": ["confidential_marker"],
                                "label_scores": {"confidential_marker": 0.85}})
    hit = Hit.from_finding(finding, post, Decision(True, Severity.high, ("r",)))
    assert hit.evidence["labels"] == ["confidential_marker"]
    assert hit.decision == {"reasons": ["r"], "signals": []}
