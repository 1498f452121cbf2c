import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli.app import app
from tests.factories import make_post

runner = CliRunner()


def _config_with_source(tmp_path: Path, posts_file: Path) -> Path:
    from tests.factories import example_config_data

    data = example_config_data()
    data["sources"] = [{"name": "replay", "platform": "jsonl", "path": str(posts_file)}]
    data["data_dir"] = str(tmp_path / "data")
    for key in ("logos", "protected_documents"):
        data.pop(key, None)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_scan_reads_stdin_and_prints_one_finding_per_line_with_its_post_id():
    lines = "\n".join([
        make_post(1, text="Strictly confidential: the Senate paper on closures").model_dump_json(),
        "{broken",
        make_post(2, text="Great lecture today").model_dump_json(),
    ])
    result = runner.invoke(app, ["scan", "-", "--detectors", "confidential"], input=lines)
    assert result.exit_code == 0, result.output
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["post_id"] for f in findings] == ["x:1"]
    assert findings[0]["detector"] == "confidential"
    assert "<stdin>:2: (line): not valid JSON" in result.stderr


def test_a_malformed_config_exits_2_naming_file_and_key(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: {name: Q, short_name: Q}\nretention_days: zero\n")
    result = runner.invoke(app, ["scan", "-", "--config", str(bad)], input="")
    assert result.exit_code == 2
    assert f"{bad}: retention_days: Input should be a valid integer" in result.stderr


def test_run_twice_keeps_the_same_hits(tmp_path: Path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(
        make_post(n, text=t).model_dump_json() + "\n"
        for n, t in enumerate(["internal only: draft budget", "hello", "not for circulation"], 1)
    ))
    config = _config_with_source(tmp_path, posts)
    args = ["run", "--config", str(config), "--detectors", "confidential", "--from-start"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "hits in store" in first.stderr
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    from pipeline.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    assert store.count_hits() == 2
    store.close()


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "crestwatch"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("run", "scan", "setup", "eval"):
        assert command in out.stdout


@pytest.mark.slow
def test_demo_runs_on_a_machine_without_tesseract_or_chromium(tmp_path: Path, no_system_deps):
    """What `make demo` does, with the system packages really missing from PATH."""
    exe = Path(sys.executable).parent / "crestwatch"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([str(exe), "run", "--demo", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stderr.splitlines()
    assert lines.count("OCR off: tesseract not found; make system-deps installs it") == 1
    assert "Traceback" not in out.stderr
    from pipeline.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    try:
        assert store.count_hits() > 0
        posts = list(store.iter_posts())
        # Every demo post is stored, those with images too, and no image is blamed for OCR off.
        media = [m for p in posts for m in p.media if m.path]
        assert len(posts) == 248 and media
        assert not any("ocr_error" in (m.model_extra or {}) for m in media)
    finally:
        store.close()
