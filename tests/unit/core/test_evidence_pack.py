import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from pipeline.core.models import Category, Media
from pipeline.review.evidence_pack import build_evidence_pack, report_link
from pipeline.review.workflow import Reviewer
from pipeline.store.base import UnknownHit
from tests.factories import make_hit, make_post


def test_pack_holds_post_author_images_evidence_and_a_true_manifest(tmp_path: Path, sqlite_store):
    image = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), "navy").save(image)
    evidence = tmp_path / "annotated.png"
    Image.new("RGB", (64, 32), "red").save(evidence)
    post = make_post(1, media=[Media(url="https://cdn.example/1.png", path=str(image)),
                               Media(url="https://cdn.example/2.png", error="refused: too large")])
    hit = make_hit(1, category=Category.logo_misuse, detector="logo")
    hit.evidence["image_path"] = str(evidence)
    sqlite_store.upsert_posts([post])
    sqlite_store.upsert_hits([hit])
    Reviewer(sqlite_store, "amira").set_status(hit.id, "takedown_requested")

    path = build_evidence_pack(sqlite_store, hit.id, tmp_path / "packs")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"post.json", "author.json", "hit.json", "audit.json", "summary.json",
                "media/01-photo.png", "evidence/annotated.png", "SHA256SUMS"} <= names
        for line in archive.read("SHA256SUMS").decode().splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        summary = json.loads(archive.read("summary.json"))
        assert summary["report_at"] == "https://help.x.com/forms/ipi/trademark"
        assert summary["missing_files"] == ["media 2: not fetched (refused: too large)"]
        assert json.loads(archive.read("audit.json"))[0]["actor"] == "amira"
    assert not list((tmp_path / "packs").glob("*.partial"))


def test_unknown_hit_writes_nothing(tmp_path: Path, sqlite_store):
    with pytest.raises(UnknownHit):
        build_evidence_pack(sqlite_store, "nope", tmp_path / "packs")
    assert not (tmp_path / "packs").exists()


def test_mastodon_reports_go_to_the_authors_server():
    hit = make_hit(1, platform="mastodon", url="https://mastodon.ac.uk/@x/1")
    assert report_link(hit) == "https://mastodon.ac.uk/about"
