"""`retention` in the config, and applying it: the store's expired records, the files under the
data directory they named (and only those), and old quarantined items."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.core.config import ConfigError, Retention, parse_config
from pipeline.review.retention import apply_retention
from pipeline.run.quarantine import Quarantine, QuarantinedItem
from pipeline.store.sqlite import SQLiteStore
from tests.factories import BASE_TIME, make_hit, make_post

ORG = {"organisation": {"name": "Queen Mary University of London", "short_name": "QMUL"}}


def test_retention_block_and_its_defaults():
    config = parse_config({**ORG, "retention": {"posts_days": 120, "closed_hits_days": 30}})
    assert config.retention == Retention(posts_days=120, closed_hits_days=30)
    assert parse_config(ORG).retention == Retention(posts_days=180, closed_hits_days=180)


def test_old_retention_days_is_read_as_both_periods():
    assert parse_config({**ORG, "retention_days": 90}).retention == Retention(
        posts_days=90, closed_hits_days=90)


@pytest.mark.parametrize(("data", "message"), [
    ({"retention": {"posts_days": 0}}, "<config>: retention.posts_days: Input should be "
                                       "greater than or equal to 1"),
    ({"retention": {"closed_days": 3}}, "<config>: retention.closed_days: Extra inputs are "
                                        "not permitted"),
    ({"retention": {"posts_days": 30}, "retention_days": 30},
     "<config>: (top level): Value error, retention_days is the old spelling of retention"),
])
def test_bad_retention_is_refused_naming_the_key(data, message):
    with pytest.raises(ConfigError) as info:
        parse_config({**ORG, **data})
    assert str(info.value).startswith(message)


def test_apply_retention_deletes_expired_records_and_their_files(config, tmp_path):
    data = tmp_path / "data"
    config.data_dir = data
    config.retention = Retention(posts_days=10, closed_hits_days=5)
    now = BASE_TIME + timedelta(days=12)
    media = data / "media"
    media.mkdir(parents=True)
    outside = tmp_path / "samples-image.jpg"  # a file the user pointed at: never ours to delete
    outside.write_bytes(b"img")
    paths = {n: media / f"{n}.jpg" for n in (1, 2, 3)}
    for path in paths.values():
        path.write_bytes(b"img")
    evidence = data / "evidence" / "2.png"
    evidence.parent.mkdir()
    evidence.write_bytes(b"png")
    store = SQLiteStore(data / "crestwatch.sqlite")
    store.setup()
    # Post 1 and 2: 12 days old. Post 3: 7 days old, so kept, but its resolved hit is not.
    old = [make_post(1, media=[{"url": "u1", "path": str(paths[1])},
                               {"url": "u0", "path": str(outside)}]),
           make_post(2, media=[{"url": "u2", "path": str(paths[2])}])]
    recent = make_post(3, created_at=BASE_TIME + timedelta(days=5),
                       media=[{"url": "u3", "path": str(paths[3])}])
    store.upsert_posts([*old, recent])
    escalated = make_hit(2)
    escalated.evidence["image_path"] = str(evidence)
    resolved = make_hit(3, created_at=BASE_TIME + timedelta(days=5))
    resolved.evidence["image_path"] = str(paths[3])
    store.upsert_hits([make_hit(1), escalated, resolved])
    store.update_hit(escalated.id, {"status": "escalated"}, actor="a", action="status")
    store.update_hit(resolved.id, {"status": "resolved"}, actor="a", action="status")
    report = apply_retention(config, store, now=now)
    assert report.store_documents == 2 + 2  # posts 1 and 2; hits 1 and 3 (resolved)
    assert store.get_hit(escalated.id) is not None and store.get_hit(resolved.id) is None
    assert store.get_post("x:3") is not None
    # Posts 1 and 2's media go; post 3's image stays with post 3 though its hit named it too;
    # the escalated hit keeps its evidence; the file outside the data directory is untouched.
    assert sorted(report.files) == [str(paths[1]), str(paths[2])]
    assert not paths[1].exists() and not paths[2].exists() and paths[3].exists()
    assert evidence.exists() and outside.exists()
    store.close()


def test_quarantined_items_are_kept_no_longer_than_posts(config, tmp_path):
    from pipeline.core.models import utcnow

    config.data_dir = tmp_path / "data"
    config.retention = Retention(posts_days=10, closed_hits_days=5)
    with Quarantine.in_data_dir(config.data_dir) as held:
        held.add(QuarantinedItem("x:search", "x:9", "store", "text", "refused", "post", "{}"))
    with SQLiteStore(config.data_dir / "crestwatch.sqlite") as store:
        store.setup()
        assert apply_retention(config, store, now=utcnow()).quarantined_items == 0
        report = apply_retention(config, store, now=utcnow() + timedelta(days=11))
    assert report.quarantined_items == 1
    with Quarantine.in_data_dir(config.data_dir) as held:
        assert held.count() == 0
