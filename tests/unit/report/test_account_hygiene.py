"""Account-hygiene hits from collected posts: stale, unused, unanswered; reruns update."""

from __future__ import annotations

from datetime import timedelta

import yaml

from pipeline.airflow import tasks
from pipeline.reporting.hygiene import flag_accounts
from pipeline.store.sqlite import SQLiteStore
from tests.factories import BASE_TIME, make_post

NOW = BASE_TIME + timedelta(days=3)


def seed(store):
    official = {"author_id": "19094651"}  # @QMUL's platform id in the example config
    store.upsert_posts([
        make_post(100, created_at=NOW - timedelta(days=1), **official),
        *[make_post(101 + n, created_at=NOW - timedelta(hours=20 - n), in_reply_to="100")
          for n in range(4)],
        make_post(110, created_at=NOW - timedelta(hours=10), in_reply_to="101", **official),
        make_post(120, created_at=NOW - timedelta(days=40), author_id="5550101"),  # @QMULNews
        # Someone else's post 89 days ago: X has been watched long enough to call an account
        # unused. The other platforms have no posts at all: not judged yet.
        make_post(130, created_at=NOW - timedelta(days=89), author_id="999"),
    ])


def x_accounts(config):
    return [a for a in config.accounts if a.platform == "x"]


def test_flags_unanswered_stale_and_unused_accounts(sqlite_store, config):
    seed(sqlite_store)
    hits = {h.author_handle: h for h in flag_accounts(config, sqlite_store, NOW)}
    qmul = hits["QMUL"]
    assert qmul.evidence["replies_unanswered"] == 3 and qmul.severity.value == "medium"
    assert "3 of 4 replies this week went unanswered" in qmul.explanation
    assert hits["QMULNews"].evidence["labels"] == ["stale"]
    assert hits["QMULLibrary"].evidence["labels"] == ["unused"]
    assert "consider closing it" in hits["QMULLibrary"].explanation
    assert {h.category.value for h in hits.values()} == {"account_hygiene"}
    assert len(hits) == len(x_accounts(config))  # the other platforms are not judged yet


def test_a_new_install_does_not_call_accounts_unused(sqlite_store, config):
    """The first ingest has brought one day of posts: nobody has been silent for 90 days yet."""
    from pipeline.reporting.hygiene import account_hygiene

    sqlite_store.upsert_posts([
        make_post(100, created_at=NOW - timedelta(hours=5), author_id="19094651"),  # @QMUL
        make_post(101, created_at=NOW - timedelta(hours=20), author_id="999"),
    ])
    states = {a.handle: a.state for a in account_hygiene(config, sqlite_store,
                                                         NOW - timedelta(days=7), NOW)}
    assert states["QMUL"] == "active"
    assert set(states.values()) == {"active", "unknown"}
    assert flag_accounts(config, sqlite_store, NOW) == []


def test_task_upserts_once_and_skips_whitelisted_accounts(tmp_path):
    from tests.factories import example_config_data

    data = example_config_data()
    data["data_dir"] = str(tmp_path / "data")
    # The config is written elsewhere: its relative paths would name files that are not there.
    data["sources"] = []
    for key in ("logos", "protected_documents"):
        data.pop(key, None)
    for account in data["accounts"]:
        account.pop("avatar", None)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    store.setup()
    seed(store)
    store.add_to_whitelist("account", "x:QMULLibrary", actor="amira", reason="archive account")
    store.close()
    first = tasks.flag_account_hygiene(path, now=NOW)
    second = tasks.flag_account_hygiene(path, now=NOW + timedelta(hours=1))
    assert "QMULLibrary" not in first["accounts"]
    assert first["accounts"] == second["accounts"]
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    x = [a for a in data["accounts"] if a["platform"] == "x"]
    assert store.count_hits() == first["flagged"] == len(x) - 1
    store.close()
