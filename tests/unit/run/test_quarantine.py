"""Poisoned items go to the quarantine; the rest of the page is stored and the checkpoint moves.

The poison lines are the ones that stopped a pass before (each crashed `run`, and the checkpoint
stayed before it, so every rerun crashed on the same line)."""

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detectors.base import Detector
from pipeline.cli.app import app
from pipeline.core.limits import MAX_LINE_BYTES
from pipeline.core.models import Category, Finding, Post
from pipeline.policy.engine import Policy
from pipeline.run.quarantine import Quarantine, retry_held
from pipeline.run.runner import process_page, run_pass
from pipeline.sources.base import Page
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.base import WriteResult
from pipeline.store.sqlite import SQLiteStore
from tests.factories import make_post


class WordDetector(Detector):
    """Flags posts containing 'bad'; raises on any batch holding 'boom'."""

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


class RefusingStore(SQLiteStore):
    """Refuses the posts whose id is in `refuse`, the way Elasticsearch refuses a document its
    mapping cannot take (document_parsing_exception), and writes the rest."""

    refuse: set[str] = set()
    reason = "document_parsing_exception: [author.followers] out of range"

    def upsert_posts(self, posts: Iterable[Post]) -> WriteResult:
        posts = list(posts)
        result = super().upsert_posts([p for p in posts if p.doc_id not in self.refuse])
        result.failed.extend((p.doc_id, self.reason) for p in posts if p.doc_id in self.refuse)
        return result


def good(n: int, text: str = "fine") -> bytes:
    return make_post(n, text=text).model_dump_json().encode() + b"\n"


POISON = {
    "lone surrogate": b'{"platform": "x", "id": "s1", "created_at": "2026-11-20T10:00:00Z", '
                      b'"text": "caf\\ud800", "author": {"id": "1", "handle": "h"}}\n',
    "invalid UTF-8": b'{"platform": "x", "id": "u1", "text": "\xff\xfe"}\n',
    "1,200 levels": b'{"a": ' + b"[" * 1200 + b"]" * 1200 + b"}\n",
    "over the line limit": b'{"text": "' + b"a" * (MAX_LINE_BYTES + 10) + b'"}\n',
}


@pytest.fixture
def quarantine(tmp_path: Path) -> Iterable[Quarantine]:
    with Quarantine(tmp_path / "quarantine.sqlite") as held:
        yield held


def test_poison_lines_are_quarantined_and_every_other_line_stored_once(
    tmp_path, config, sqlite_store, quarantine
):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join(good(n) for n in range(1, 151)) + b"".join(POISON.values())
                     + b"".join(good(n) for n in range(151, 201)))
    source = JsonlSource(path, page_size=100)
    for _ in range(2):  # the second run finds nothing new and holds nothing twice
        summary = run_pass([source], store=sqlite_store, detectors=[], policy=Policy(config),
                           quarantine=quarantine)
        assert summary.ok, summary.errors
    assert sqlite_store.get_checkpoint(source.name) == str(200 + len(POISON))
    assert len(list(sqlite_store.iter_posts())) == 200
    held = quarantine.items()
    assert [(i.location, i.stage, i.field) for i in held] == [
        ("line 151", "parse", "text"),
        ("line 152", "decode", "(line)"),
        ("line 153", "parse", "(line)"),
        ("line 154", "decode", "(line)"),
    ]
    assert "lone surrogate" in held[0].reason and "UTF-8" in held[1].reason
    assert "nested deeper" in held[2].reason and "byte limit" in held[3].reason
    assert all(i.source == source.name and i.attempts == 1 for i in held)
    assert held[3].raw is None  # an over-long line is never kept whole


def test_a_document_the_store_refuses_is_quarantined_and_the_source_goes_on(
    tmp_path, config, quarantine
):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join(good(n, "bad" if n % 2 else "fine") for n in range(1, 31)))
    store = RefusingStore(tmp_path / "store.sqlite")
    store.setup()
    store.refuse = {"x:5"}
    source = JsonlSource(path, page_size=10)
    summary = run_pass([source], store=store, detectors=[WordDetector(config)],
                       policy=Policy(config), quarantine=quarantine)
    assert summary.ok and summary.quarantined == 1
    assert store.get_checkpoint(source.name) == "30"
    assert len(list(store.iter_posts())) == 29
    [item] = quarantine.items()
    assert (item.location, item.stage, item.field) == ("x:5", "store", "x:5")
    assert "document_parsing_exception" in item.reason

    # Once the store takes it, a retry stores the post with its hit and lets it go.
    store.refuse = set()
    outcome = retry_held(quarantine, store=store, detectors=[WordDetector(config)],
                         policy=Policy(config))
    assert [i.location for i in outcome.released] == ["x:5"] and not outcome.held
    assert quarantine.count() == 0
    assert store.get_post("x:5") is not None
    assert any(h.post_id == "x:5" for h in store.iter_hits())


def test_without_a_quarantine_a_refused_document_still_stops_the_source(tmp_path, config):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join(good(n) for n in range(1, 21)))
    store = RefusingStore(tmp_path / "store.sqlite")
    store.setup()
    store.refuse = {"x:15"}
    summary = run_pass([JsonlSource(path, page_size=10)], store=store, detectors=[],
                       policy=Policy(config))
    assert not summary.ok
    assert store.get_checkpoint("jsonl:posts.jsonl") == "10"


def test_a_store_that_cannot_write_at_all_stops_the_source_even_with_a_quarantine(
    tmp_path, config, quarantine
):
    # Elasticsearch blocks every index read-only when its disk fills: no document is at fault,
    # so none is held, and the checkpoint must not move past what the store never took.
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"".join(good(n) for n in range(1, 21)))
    store = RefusingStore(tmp_path / "store.sqlite")
    store.setup()
    store.refuse = {"x:15"}
    store.reason = ("cluster_block_exception: index [cw-posts] blocked by: "
                    "[TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark]")
    summary = run_pass([JsonlSource(path, page_size=10)], store=store, detectors=[],
                       policy=Policy(config), quarantine=quarantine)
    assert not summary.ok and "cluster_block_exception" in summary.errors[0]
    assert quarantine.count() == 0
    assert store.get_checkpoint("jsonl:posts.jsonl") == "10"


def test_a_retry_that_fails_again_keeps_the_item_with_its_new_reason(
    tmp_path, config, sqlite_store, quarantine
):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(good(1) + POISON["lone surrogate"] + good(2))
    run_pass([JsonlSource(path)], store=sqlite_store, detectors=[], policy=Policy(config),
             quarantine=quarantine)
    outcome = retry_held(quarantine, store=sqlite_store, detectors=[], policy=Policy(config))
    assert not outcome.released and len(outcome.held) == 1
    [item] = quarantine.items()
    assert item.location == "line 2" and "lone surrogate" in item.reason


def test_a_post_that_cannot_be_serialised_is_held_and_the_page_is_stored(
    config, sqlite_store, quarantine
):
    from pipeline.run.runner import RunSummary

    posts = [make_post(1, text="bad one"), make_post(2, text="caf\ud800 bad"), make_post(3)]
    summary = RunSummary()
    assert process_page(Page(posts=posts, checkpoint="3"), store=sqlite_store,
                        detectors=[WordDetector(config)], policy=Policy(config),
                        summary=summary, quarantine=quarantine, source="replay")
    assert [p.doc_id for p in sqlite_store.iter_posts()] == ["x:1", "x:3"]
    assert [h.post_id for h in sqlite_store.iter_hits()] == ["x:1"]
    [item] = quarantine.items()
    assert (item.source, item.location, item.stage) == ("replay", "x:2", "serialise")


def test_a_post_a_detector_fails_on_is_held_for_that_detector(
    tmp_path, config, sqlite_store, quarantine
):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(good(1, "bad a") + good(2, "boom") + good(3, "bad b"))
    summary = run_pass([JsonlSource(path)], store=sqlite_store,
                       detectors=[WordDetector(config)], policy=Policy(config),
                       quarantine=quarantine)
    assert sqlite_store.count_hits() == 2 and summary.quarantined == 1
    [item] = quarantine.items()
    assert (item.location, item.stage, item.field) == ("x:2", "score", "word")
    assert "detector bug" in item.reason


def test_the_same_id_twice_in_a_page_is_one_version_for_post_and_hit(
    config, sqlite_store
):
    from pipeline.run.runner import RunSummary

    first, edited = make_post(1, text="bad first"), make_post(1, text="bad, edited")
    process_page(Page(posts=[first, edited]), store=sqlite_store,
                 detectors=[WordDetector(config)], policy=Policy(config), summary=RunSummary())
    [hit] = list(sqlite_store.iter_hits())
    assert sqlite_store.get_post("x:1").text == "bad, edited"
    assert hit.post_text == "bad, edited"


def test_quarantine_list_and_retry_commands(tmp_path):
    from tests.factories import example_config_data

    posts = tmp_path / "posts.jsonl"
    handle = '{"platform": "x", "id": "9", "text": "t", "author": {"handle": "\u202eevil"}}'
    posts.write_bytes(good(1) + handle.encode() + b"\n" + POISON["invalid UTF-8"])
    data = example_config_data()
    data["sources"] = [{"name": "replay", "platform": "jsonl", "path": str(posts)}]
    data["data_dir"] = str(tmp_path / "data")
    data["detectors"] = {}
    for key in ("logos", "protected_documents"):
        data.pop(key, None)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    runner = CliRunner()

    result = runner.invoke(app, ["run", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "items quarantined" in result.output

    listed = runner.invoke(app, ["quarantine", "list", "-c", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "line 2" in listed.output and "line 3" in listed.output
    assert "not valid UTF-8" in listed.output and "\u202e" not in listed.output

    retried = runner.invoke(app, ["quarantine", "retry", "-c", str(config)])
    assert retried.exit_code == 1, retried.output
    assert "0 let go, 2 still held" in retried.output
    with Quarantine.in_data_dir(tmp_path / "data") as held:
        assert held.count() == 2 and json.loads(held.items()[0].raw or "")["id"] == "9"
