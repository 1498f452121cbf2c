"""Retention on both stores: posts after one period, closed hits after another, held hits
(escalated, takedown requested) never, and the files of what went named for deletion."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import BASE_TIME, make_hit, make_post

# Hit n is about post n (created BASE_TIME + n minutes) and has this status.
STATUSES = {1: "new", 2: "acknowledged", 3: "escalated", 4: "takedown_requested",
            5: "resolved", 6: "false_positive", 7: "whitelisted", 8: "resolved"}


def _media(n: int) -> str:
    return f"/data/media/{n}.jpg"


def _fill(store) -> None:  # type: ignore[no-untyped-def]
    store.upsert_posts([make_post(n, media=[{"url": f"https://img/{n}", "path": _media(n)}])
                        for n in STATUSES])
    hits = []
    for n in STATUSES:
        hit = make_hit(n)
        if n in (3, 5):
            hit.evidence["image_path"] = f"/data/evidence/{n}.png"
        if n == 6:  # a logo hit's evidence is the post's own image
            hit.evidence["image_path"] = _media(6)
        hits.append(hit)
    store.upsert_hits(hits)
    store.refresh()
    for hit, n in zip(hits, STATUSES, strict=True):
        store.update_hit(hit.id, {"status": STATUSES[n]}, actor="amira", action="status")
    store.refresh()


def test_retention_keeps_held_hits_and_closes_closed_ones_sooner(store):
    _fill(store)
    ids = {n: make_hit(n).id for n in STATUSES}
    # Posts 1-5 are past the posts period; closed hits of posts 1-7 past theirs.
    purged = store.purge_expired(BASE_TIME + timedelta(minutes=5, seconds=30),
                                 BASE_TIME + timedelta(minutes=7, seconds=30))
    store.refresh()
    assert [n for n in STATUSES if store.get_hit(ids[n]) is not None] == [3, 4, 8]
    assert [n for n in STATUSES if store.get_post(f"x:{n}") is not None] == [6, 7, 8]
    assert purged.documents == 5 + 5  # hits 1, 2, 5, 6, 7 and posts 1-5
    # The deleted hits' audit trails go with them; a held hit keeps its own.
    assert store.audit_trail(ids[1]) == [] and store.audit_trail(ids[5]) == []
    assert [e.action for e in store.audit_trail(ids[3])] == ["status"]
    # Files of what went, less those a remaining record still shows: hit 3 (held) keeps its
    # evidence image, post 6 (kept) its image that hit 6's evidence also named.
    assert purged.files == {*map(_media, range(1, 6)), "/data/evidence/5.png"}


def test_held_hits_outlive_any_retention(store):
    _fill(store)
    far = BASE_TIME + timedelta(days=3650)
    assert store.purge_before(far) > 0
    store.refresh()
    assert sorted(h.status.value for h in store.search_hits()) == [
        "escalated", "takedown_requested"]
    assert store.get_post("x:3") is None  # the hit keeps its own snapshot of the post
    assert store.get_hit(make_hit(3).id).post_text == make_post(3).text
    assert store.purge_before(far) == 0
