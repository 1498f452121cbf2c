"""The reposted-work detector: the demo's labelled reposts, a table of credited and uncredited
copies, memory across runs, registered works, erasure."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from detectors.registry import build_detectors
from detectors.reposts.memory import FILE_NAME, forget_author
from pipeline.core.config import DetectorSettings
from pipeline.core.jsonl import read_models
from pipeline.core.models import Author, Post
from pipeline.core.paths import PROJECT_ROOT
from tests.factories import BASE_TIME

SAMPLES = PROJECT_ROOT / "samples"
POEM = ("Mile End in the rain: / the canal holds the sky / like a borrowed coat, / and the 25 "
        "bus forgives nobody.")
PHOTO = SAMPLES / "images" / "photos" / "jade-night-sky.jpg"


def detector(config, **options):
    if options:
        config.detectors["reposts"] = DetectorSettings(options=options)
    return build_detectors(config, ["reposts"])[0]


def post(n, text, *, handle="someone", author_id=None, days=0, media=None, name=None, **extra):
    return Post(platform=extra.pop("platform", "x"), id=str(n), text=text,
                created_at=BASE_TIME + timedelta(days=days),
                author=Author(id=author_id or handle, handle=handle, display_name=name),
                media=[{"url": f"https://img.example/{n}", "path": str(p)} for p in media or []],
                **extra)


def flagged(findings, threshold=0.5):
    return {f.post_id: f for f in findings if f.score >= threshold}


def test_the_demos_labelled_reposts_are_found_and_no_benign_post(config):
    labels = json.loads((SAMPLES / "expected_labels.json").read_text())
    posts = [p for name in ("posts", "harassment", "impersonation")
             for p in read_models(SAMPLES / f"{name}.jsonl", Post)]
    found = detector(config)
    findings = []
    for start in range(0, len(posts), 50):  # pages, as a run reads them
        findings += found.detect(posts[start:start + 50])
    hits = flagged(findings, config.detector("reposts").threshold)
    reposts = {k for k, v in labels.items() if "reposted_work" in v}
    assert set(hits) == reposts
    benign = {k for k, v in labels.items() if not v}
    assert not benign & {f.post_id for f in findings if f.score >= 0.45}
    poem = hits["x:2119855437641452933"]
    assert poem.evidence["original"]["author"] == "@tomasz-writes.bsky.social"
    assert poem.evidence["claim"] == "wrote this" and poem.evidence["overlap"] == 1.0
    photo = hits["mastodon:117598064934940934"]
    assert photo.evidence["kind"] == "image"
    assert photo.evidence["original"]["author"] == "@jadeokafor_photo"


@pytest.mark.parametrize(("copy", "flagged_ids", "why"), [
    (post(2, POEM + " (wrote this on my walk home)", days=1), {"x:2"}, "copy with a claim"),
    (post(2, "the canal holds the sky like a borrowed coat, and the 25 bus forgives nobody, "
             "Mile End in the rain", days=1), {"x:2"}, "reordered lines keep most shingles"),
    (post(2, POEM + " via @tomasz", days=1), set(), "credited by handle"),
    (post(2, POEM + " (poem by Tomasz Nowak)", days=1), set(), "credited by name"),
    (post(2, POEM + " h/t @someoneelse", days=1), set(), "a credit phrase with a handle"),
    (post(2, "RT @tomasz: " + POEM, days=1), set(), "a native retweet"),
    (post(2, POEM, days=1, quoted="bluesky:1"), set(), "a quote post"),
    (post(2, POEM, handle="tomasz_writes", days=1), set(), "the same person on another platform"),
    (post(2, POEM, handle="renamed", days=1, author_id="tomasz-writes.bsky.social",
          platform="bluesky"), set(), "the same account, renamed"),
    (post(2, POEM, days=-1), {"bluesky:1"}, "the earlier post is the original"),
    (post(2, "Mile End in the rain again, the canal is full and the bus is late as ever.",
          days=1), set(), "the same topic, other words"),
    (post(2, "Mile End in the rain: the canal holds", days=1), set(), "too short"),
])
def test_text_copies(config, copy, flagged_ids, why):
    original = post(1, POEM, handle="tomasz-writes.bsky.social", platform="bluesky",
                    name="Tomasz Nowak")
    findings = detector(config).detect([original, copy])
    assert set(flagged(findings)) == flagged_ids, why


def test_the_original_may_come_in_an_earlier_run_and_a_rerun_adds_nothing(config):
    first = detector(config)
    assert first.detect([post(1, POEM, handle="tomasz")]) == []
    copy = post(2, POEM + " Follow for more!", days=2)
    later = detector(config)  # a new run: only the memory file links the two
    findings = later.detect([copy])
    assert [f.post_id for f in findings] == ["x:2"]
    assert later.detect([copy])[0].model_dump() == findings[0].model_dump()
    assert forget_author(config.data_path(), "x", "tomasz") == 1  # the factory's id is the handle
    assert detector(config).detect([copy]) == []
    assert (config.data_path() / "cache" / FILE_NAME).is_file()


def test_an_image_copy_needs_a_claim_or_a_registered_original(config, tmp_path: Path):
    original = post(1, "Night sky from the roof", handle="jade", media=[PHOTO])
    plain = post(2, "Stars over Mile End", days=1, media=[
        SAMPLES / "images" / "photos" / "jade-night-sky-repost.jpg"])
    claimed = post(3, "My shot of the stars last night", days=1, handle="other", media=[
        SAMPLES / "images" / "photos" / "jade-night-sky-repost.jpg"])
    findings = {f.post_id: f for f in detector(config).detect([original, plain, claimed])}
    assert findings["x:2"].score < 0.5 <= findings["x:3"].score
    assert findings["x:3"].evidence["coverage"] >= 0.5

    works = tmp_path / "works"
    works.mkdir()
    (works / "night-sky.jpg").write_bytes(PHOTO.read_bytes())
    (works / "poem.txt").write_text(POEM)
    registered = detector(config, memory=False, works=[
        {"path": str(works), "author": "Jade Okafor", "names": ["@jadeokafor_photo"]}])
    findings = flagged(registered.detect([
        post(4, "Stars over Mile End", media=[SAMPLES / "images" / "photos" /
                                              "jade-night-sky-crop.jpg"]),
        post(5, POEM + " so true", handle="third"),
        post(6, "Stars, photo by Jade Okafor", handle="fourth", media=[PHOTO]),
    ]))
    assert set(findings) == {"x:4", "x:5"}
    assert findings["x:4"].evidence["labels"] == ["image_copy", "registered_work"]
    assert "Jade Okafor's registered work night-sky.jpg" in findings["x:4"].explanation
    assert findings["x:4"].evidence["mirrored"] is True


def test_bad_options_are_refused(config):
    with pytest.raises(ValueError, match="min_overlap"):
        detector(config, min_overlap=2).ensure_loaded()
