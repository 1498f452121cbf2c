import json
from collections.abc import Sequence
from pathlib import Path

from detectors.base import Detector
from detectors.registry import build_detectors
from pipeline.core.models import Category, Finding, Post
from pipeline.policy.engine import Policy
from pipeline.run.runner import run_pass
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.base import WriteResult
from pipeline.store.sqlite import SQLiteStore
from tests.factories import make_post


class WordDetector(Detector):
    """Flags posts containing a word; raises on posts containing 'boom'."""

    name = "word"
    categories = (Category.harassment,)

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        if any("boom" in p.text for p in posts):
            raise RuntimeError("detector bug")
        return [
            Finding(post_id=p.doc_id, detector=self.name, category=Category.harassment,
                    score=0.9, explanation="contains 'bad'")
            for p in posts if "bad" in p.text
        ]


def write_posts(path: Path, texts: list[str]) -> None:
    path.write_text(
        "".join(make_post(n, text=t).model_dump_json() + "\n" for n, t in enumerate(texts, 1))
    )


def test_rerun_from_start_duplicates_nothing(tmp_path, config, sqlite_store):
    source_file = tmp_path / "posts.jsonl"
    write_posts(source_file, ["bad one", "fine", "bad two"] * 50)
    source = JsonlSource(source_file, page_size=40)
    detector = WordDetector(config)
    first = run_pass([source], store=sqlite_store, detectors=[detector], policy=Policy(config))
    assert first.posts_read == 150 and first.hits_written == 100 and first.ok
    assert sqlite_store.get_checkpoint(source.name) == "150"
    second = run_pass([source], store=sqlite_store, detectors=[detector], policy=Policy(config),
                      from_start=True)
    assert second.posts_read == 150
    assert sqlite_store.count_hits() == 100
    # Without from_start the checkpoint means nothing is read again.
    third = run_pass([source], store=sqlite_store, detectors=[detector], policy=Policy(config))
    assert third.posts_read == 0


def test_a_detector_failure_costs_only_the_bad_post(tmp_path, config, sqlite_store):
    source_file = tmp_path / "posts.jsonl"
    write_posts(source_file, ["bad a", "boom", "bad b"])
    summary = run_pass([JsonlSource(source_file)], store=sqlite_store,
                       detectors=[WordDetector(config)], policy=Policy(config))
    assert sqlite_store.count_hits() == 2
    assert summary.skipped == ["word on x:2: RuntimeError: detector bug"]


class RefusingStore(SQLiteStore):
    """A store whose writes for one post fail, as a full disk or a mapping conflict would."""

    def upsert_posts(self, posts):
        posts = list(posts)
        result = super().upsert_posts([p for p in posts if p.id != "45"])
        result.failed += [(p.doc_id, "disk full") for p in posts if p.id == "45"]
        return result


def test_checkpoint_stays_before_a_page_the_store_refused(tmp_path, config):
    source_file = tmp_path / "posts.jsonl"
    write_posts(source_file, [f"post {n}" for n in range(100)])
    store = RefusingStore(tmp_path / "s.sqlite")
    store.setup()
    source = JsonlSource(source_file, page_size=20)
    summary = run_pass([source], store=store, detectors=[], policy=Policy(config))
    # Pages 1-2 (posts 1-40) are acknowledged; page 3 holds post 45 and stops the source.
    assert store.get_checkpoint(source.name) == "40"
    assert summary.errors == ["store refused x:45: disk full"]
    assert "stopped at page 3" in summary.sources[source.name]


def test_bad_lines_are_counted_and_skipped(tmp_path, config, sqlite_store):
    source_file = tmp_path / "posts.jsonl"
    write_posts(source_file, ["bad one"])
    with source_file.open("a") as handle:
        handle.write("{broken\n")
        handle.write(json.dumps({"platform": "x", "id": "9"}) + "\n")
        handle.write(make_post(3, text="bad three").model_dump_json() + "\n")
    summary = run_pass([JsonlSource(source_file)], store=sqlite_store,
                       detectors=[WordDetector(config)], policy=Policy(config))
    assert summary.posts_read == 2 and sqlite_store.count_hits() == 2
    assert [s.split(": ")[0] for s in summary.skipped] == [f"{source_file}:2", f"{source_file}:3"]


def test_policy_threshold_comes_from_config(config):
    config.detectors["word"] = config.detector("word").model_copy(update={"threshold": 0.95})
    finding = Finding(post_id="x:1", detector="word", category=Category.harassment,
                      score=0.9, explanation="e")
    assert Policy(config).apply([finding]) == []


def test_build_detectors_knows_the_confidential_detector(config):
    (detector,) = build_detectors(config, ["confidential"])
    found = detector.detect([make_post(1, text="This is STRICTLY CONFIDENTIAL, do not share")])
    assert [f.category for f in found] == [Category.confidential]


def test_write_result_accumulates():
    total = WriteResult(written=2)
    total += WriteResult(written=1, failed=[("a", "b")])
    assert total.written == 3 and not total.ok
