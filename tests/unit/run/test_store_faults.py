"""Elasticsearch down at the start, or gone mid-run: one line naming the nodes and the reason,
a non-zero exit, and the checkpoint left where it was (no server needed: a closed port)."""

import socket
from pathlib import Path

import yaml
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.policy.engine import Policy
from pipeline.run.runner import run_pass
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.base import StoreError
from pipeline.store.elasticsearch import ElasticsearchStore
from tests.factories import example_config_data, make_post


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_setup_against_a_closed_port_is_one_store_error():
    port = closed_port()
    store = ElasticsearchStore(Elasticsearch(f"http://127.0.0.1:{port}", request_timeout=2),
                               replicas=0)
    try:
        store.setup()
    except StoreError as exc:
        message = str(exc)
    else:
        raise AssertionError("setup against a closed port must fail")
    assert "\n" not in message
    assert f"127.0.0.1:{port}" in message and "Connection refused" in message


def test_a_store_gone_mid_run_stops_the_source_with_one_line(tmp_path, config):
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(make_post(n).model_dump_json() + "\n" for n in range(1, 6)))
    store = ElasticsearchStore(
        Elasticsearch(f"http://127.0.0.1:{closed_port()}", request_timeout=2), replicas=0)
    summary = run_pass([JsonlSource(path)], store=store, detectors=[], policy=Policy(config),
                       from_start=True)
    assert not summary.ok
    assert all("\n" not in e and "unreachable while" in e for e in summary.errors)
    assert summary.sources["jsonl:posts.jsonl"].startswith("stopped at page 1")
    # The error names the posts that wait for the next run, and the checkpoint: a replay from
    # the start leaves a saved one as it was.
    [error] = [e for e in summary.errors if e.startswith("jsonl:posts.jsonl:")]
    assert error.endswith("; page 1 not acknowledged (5 posts: x:1, x:2, x:3, x:4, x:5), the "
                          "checkpoint stays where it was: the next run reads them again")


def test_the_error_names_the_first_and_last_posts_of_a_long_page():
    from pipeline.run.runner import unacknowledged
    from pipeline.sources.base import Page

    page = Page(posts=[make_post(n) for n in range(101, 201)], checkpoint="200")
    assert unacknowledged(page, 2) == ("page 2 not acknowledged (100 posts: x:101, x:102, x:103"
                                       " ... x:198, x:199, x:200)")


def test_run_with_elasticsearch_down_exits_non_zero_with_one_line(tmp_path: Path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text(make_post(1).model_dump_json() + "\n")
    data = example_config_data()
    data["sources"] = [{"name": "replay", "platform": "jsonl", "path": str(posts)}]
    data["data_dir"] = str(tmp_path / "data")
    data["detectors"] = {}
    for key in ("logos", "protected_documents"):
        data.pop(key, None)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, [
        "run", "-c", str(config), "--store", "elasticsearch",
        "--es-url", f"http://127.0.0.1:{closed_port()}",
    ])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    [line] = [x for x in result.output.splitlines() if x.strip()]
    assert "unreachable while setting up the indices" in line
