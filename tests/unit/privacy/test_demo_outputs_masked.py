"""After the demo and every export of it (review show, the evidence packs, the weekly report in
HTML, CSV and PDF, the alert outbox, verbose logs), no file the project wrote holds any secret
or personal detail of the demo's posts in clear."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.store.sqlite import SQLiteStore

pytestmark = pytest.mark.slow

# Every secret and personal detail written into samples/posts.jsonl (see
# samples/eval/posts-labelled.jsonl for their labels), as written and without their spaces.
VALUES = (
    "07700 900126", "07700 900417", "020 7946 0188", "020 7946 0832",
    "ghp_CrestwatchDemoQ7m4ZdRt9sLpXv2NbK8yHe", "AIzaSyCrestwatchDemo-Q7m4ZdRt9sLpXv2NbK",
    "AKIACWDEMOQ7M4ZDRT9S", "Crestwatch/DemoQ7m4ZdRt9sLpXv2NbK8yHe3Wf",
    "sk_live_CrestwatchDemoQ7m4ZdRt9s", "xoxb-4820193756-5920384716253-CrestwatchDemoQ7m4ZdRt9s",
    "MIIEowIBAAKCAQEAdemoFAKEkeyCRESTWATCHnotREAL0000", "Mil3End!Staff2026",
    "230145678", "12/03/2005", "240987654", "04/07/2004", "QM231122334", "QMS-104233",
    "27 Coborn Road", "E3 2DA", "14 Tredegar Square", "E3 5AD",
    "sam.okr88@example.com", "s.okonkwo-reid@example.ac.uk",
    # What the secrets share: no part of them is kept under another mask either.
    "DemoQ7m4ZdRt9s",
)
NEEDLES = sorted({v for value in VALUES for v in (value, value.replace(" ", ""))})


def _demo(data: Path, env: dict[str, str], log: list[str]) -> None:
    exe = Path(sys.executable).with_name("crestwatch")
    done = subprocess.run([str(exe), "--verbose", "run", "--demo", "--data-dir", str(data)],
                          capture_output=True, text=True, timeout=900, env=env, check=False)
    log.append(f"$ crestwatch run --demo\n{done.stdout}\n{done.stderr}")
    assert done.returncode == 0, log[-1]


def _crestwatch(*args: str, log: list[str], check: bool = True) -> None:
    # In this process (one start-up for all the exports); logs go to the test's log file.
    done = CliRunner().invoke(app, ["--verbose", *args])
    log.append(f"$ crestwatch {' '.join(args)}\n{done.output}")
    if check:
        assert done.exit_code == 0, (log[-1], done.exception)


def _texts(folder: Path) -> dict[str, str]:
    """Every file under `folder` as text: SQLite files dumped, zips member by member, PDFs
    through pdftotext, anything else read as UTF-8 (bytes that are not are dropped)."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        if raw.startswith(b"SQLite format 3"):
            with sqlite3.connect(path) as db:
                out[str(path)] = "\n".join(db.iterdump())
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as pack:
                for name in pack.namelist():
                    out[f"{path}!{name}"] = pack.read(name).decode("utf-8", "ignore")
        elif raw.startswith(b"%PDF"):
            out[str(path)] = subprocess.run(["pdftotext", "-layout", str(path), "-"],
                                            capture_output=True, text=True, check=True).stdout
        else:
            out[str(path)] = raw.decode("utf-8", "ignore")
    return out


@pytest.mark.timeout(1200)
def test_no_secret_or_personal_value_in_anything_the_demo_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, exports = tmp_path / "data", tmp_path / "exports"
    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(data))
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "privacy")
    log: list[str] = []
    _demo(data, dict(os.environ), log)
    handler = logging.FileHandler(tmp_path / "exports.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    monkeypatch.setattr(root, "level", logging.DEBUG)
    store = SQLiteStore(data / "crestwatch.sqlite")
    try:
        leaks = [h.id for h in store.iter_hits()
                 if h.category.value in ("confidential", "personal_data")]
    finally:
        store.close()
    assert len(leaks) >= 15
    for hit_id in leaks:
        _crestwatch("review", "show", hit_id, log=log)
        _crestwatch("review", "show", "--json", hit_id, log=log)
        _crestwatch("evidence", hit_id, "--out", str(exports), log=log)
    _crestwatch("report", "--week", "2026-W47", "--out", str(exports), log=log)
    # No SMTP server listens: the alerts are written to the outbox and their failure logged.
    _crestwatch("notify", "--since-hours", "100000", log=log, check=False)
    root.removeHandler(handler)
    handler.close()
    (tmp_path / "commands.log").write_text("\n".join(log), encoding="utf-8")

    texts = _texts(tmp_path)
    kinds = {Path(name.split("!")[0]).suffix for name in texts}
    assert {".sqlite", ".zip", ".html", ".csv", ".pdf", ".log"} <= kinds, kinds
    assert any("!post.json" in name for name in texts)
    found = [(needle, name) for name, text in texts.items() for needle in NEEDLES
             if needle in text]
    assert not found
    # The masks are there instead.
    assert any("[•••• aws, 32-63 chars]" in text for text in texts.values())
