"""`crestwatch erase`: after the demo, its alerts, its report and an evidence pack, one person
is erased and nothing of them remains in any file the project wrote; others are kept; a store
that does not match the config is refused with nothing deleted."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.store.sqlite import SQLiteStore
from tests.unit.privacy.test_demo_outputs_masked import _texts

pytestmark = pytest.mark.slow


def _cli(*args: str) -> str:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, (done.output, done.exception)
    return done.output


@pytest.mark.timeout(1200)
def test_an_erased_person_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, exports = tmp_path / "data", tmp_path / "exports"
    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(data))
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "erasure")
    monkeypatch.chdir(tmp_path)  # ./reports is searched by default
    exe = Path(sys.executable).with_name("crestwatch")
    subprocess.run([str(exe), "run", "--demo", "--data-dir", str(data)], check=True,
                   capture_output=True, timeout=900, env=dict(os.environ))
    with SQLiteStore(data / "crestwatch.sqlite") as store:
        hits = list(store.iter_hits())
    # The person: the author of a critical hit with an evidence image, so an alert is queued
    # and an image is written for them.
    person = next(h for h in hits if h.risk == "critical"
                  and str(h.evidence.get("image_path", "")).startswith(str(data)))
    theirs = [h for h in hits if h.platform == person.platform and h.author_id == person.author_id]
    other = next(h for h in hits if h.author_id != person.author_id and h.risk == "critical")
    for hit in (*theirs, other):
        _cli("evidence", hit.id, "--out", str(exports))
    _cli("report", "--week", "2026-W47", "--out", "reports", "--no-pdf")
    CliRunner().invoke(app, ["notify", "--since-hours", "100000"])  # no SMTP: stays queued
    outbox = sqlite3.connect(data / "outbox.sqlite")
    queued = outbox.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    outbox.close()
    assert queued >= 2

    # Not the configured store: refused, nothing deleted.
    refused = CliRunner().invoke(app, ["erase", "--author", f"{person.platform}:{person.author_id}",
                                       "--es-url", "http://127.0.0.1:9"])
    assert refused.exit_code == 2 and "config's store is sqlite" in refused.output
    with SQLiteStore(data / "crestwatch.sqlite") as store:
        assert store.get_hit(person.id) is not None

    said = _cli("erase", "--author", f"{person.platform}:{person.author_handle}",
                "--folder", str(exports), "--actor", "dpo")
    assert "outbox: 0 messages" not in said and "files: 0" not in said

    needles = {person.author_id, *(h.id for h in theirs), *(h.post_id for h in theirs),
               *(h.post_url for h in theirs), Path(person.evidence["image_path"]).name}
    texts = _texts(tmp_path)
    # Raw bytes too: a deleted row must not linger in the SQLite file's free pages or WAL.
    raw = {str(p): p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()}
    left = sorted({(n, name) for n in needles for name, text in {**texts, **raw}.items()
                   if n in text or n in name})
    assert not left
    assert not Path(person.evidence["image_path"]).exists()
    # Everyone else is still there, their pack included.
    with SQLiteStore(data / "crestwatch.sqlite") as store:
        assert store.get_hit(other.id) is not None
    assert (exports / f"evidence-{other.id}.zip").exists()
    # The audit line says what was done, not to whom.
    (entry,) = [json.loads(line) for line in
                (data / "audit" / "erasures.jsonl").read_text().splitlines()]
    assert entry["actor"] == "dpo" and entry["store_documents"] >= len(theirs)
    assert len(entry["account_hashes"]) == 1 and person.author_id not in json.dumps(entry)
