import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli.app import app
from tests.factories import make_post
from tests.unit.core.test_cli import _config_with_source

runner = CliRunner()


def test_review_commands_on_the_sqlite_store(tmp_path: Path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(
        make_post(n, text=t, platform="reddit").model_dump_json() + "\n"
        for n, t in enumerate(["internal only: draft budget", "not for circulation"], 1)
    ))
    config = str(_config_with_source(tmp_path, posts))
    assert runner.invoke(app, ["run", "-c", config, "-d", "confidential"]).exit_code == 0

    listed = runner.invoke(app, ["review", "list", "-c", config, "--json"])
    hits = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(hits) == 2 and {h["platform"] for h in hits} == {"reddit"}
    hit_id = hits[0]["id"]

    ok = runner.invoke(app, ["review", "status", hit_id, "escalated", "--as", "amira",
                             "--note", "board paper leak", "-c", config])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["review", "status", hit_id, "new", "--as", "amira", "-c", config])
    assert bad.exit_code == 1
    assert "it can go to" in bad.stderr
    missing = runner.invoke(app, ["review", "show", "nope", "-c", config])
    assert missing.exit_code == 1 and "no hit with id 'nope'" in missing.stderr

    shown = runner.invoke(app, ["review", "show", hit_id, "--json", "-c", config])
    shown = json.loads(shown.stdout)
    assert shown["hit"]["status"] == "escalated"
    assert [a["actor"] for a in shown["audit"]] == ["amira"]
    escalated = runner.invoke(app, ["review", "list", "--status", "escalated", "-c", config])
    assert "1 of 1 hits" in escalated.stdout

    exported = runner.invoke(app, ["feedback", "export", "-c", config])
    assert [json.loads(x)["labels"] for x in exported.stdout.splitlines()] == [["confidential"]]
