"""No credential reaches the console, the logs, the outbox's last_error or the quarantine.

Each scenario runs the real `crestwatch --verbose` command in this process with known fake
credentials in the environment, makes it fail the way production would (platforms refusing
the token, Elasticsearch down or given a bad URL or a URL with a password in it, SMTP refusing
the login, a webhook that cannot be reached or answers with an error), and then looks for every
one of those credentials in everything the command wrote.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import sqlite3
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import responses
import respx
import yaml
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.core.paths import PROJECT_ROOT

# The loopback SMTP server of the notification tests (STARTTLS, and AUTH that refuses our login).
from tests.unit.notify.conftest import free_port, smtp_server  # noqa: F401 - a fixture

# Fake credentials, each distinctive enough that any trace of it is unmistakable.
X_TOKEN = "AAAAxLeakTestBearerQ4v9Zt2Lm7Rp"
REDDIT_SECRET = "rdLeakTestClientSecretK8w3Nf5"
REDDIT_ID = "rdLeakTestClientIdH2j6"
BLUESKY_PASSWORD = "bsky-leak-test-pw-x7q2"
MASTODON_TOKEN = "mstdLeakTestAccessTokenP3s8Wc"
ES_PASSWORD = "esLeakTestPasswordV6m1Yd"
ES_URL_PASSWORD = "esUrlLeakTestPassT5b8"
ES_API_KEY = "esLeakTestApiKeyG9h4Rk=="
SMTP_USER = "smtpLeakTestUser"
SMTP_PASSWORD = "smtpLeakTestPassword2Qz"
WEBHOOK_TOKEN = "hookLeakTestTokenN4c7Ux"

SECRETS = (X_TOKEN, REDDIT_SECRET, REDDIT_ID, BLUESKY_PASSWORD, MASTODON_TOKEN, ES_PASSWORD,
           ES_URL_PASSWORD, ES_API_KEY, SMTP_USER, SMTP_PASSWORD, WEBHOOK_TOKEN)

SAMPLES = PROJECT_ROOT / "samples" / "posts.jsonl"


def _config(tmp_path: Path, **changes: object) -> Path:
    """The example config in `tmp_path`, every collector on, and `changes` on top."""
    data = yaml.safe_load((PROJECT_ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
    tmp_path.mkdir(parents=True, exist_ok=True)
    for folder in ("logos", "documents"):
        (tmp_path / folder).symlink_to(PROJECT_ROOT / "config" / folder)
    posts = tmp_path / "posts.jsonl"
    # Enough posts for hits of every level (critical ones are what the alerts are sent for).
    posts.write_text("".join(SAMPLES.read_text(encoding="utf-8").splitlines(True)[:120]),
                     encoding="utf-8")
    data["data_dir"] = str(tmp_path / "data")
    data["sources"] = [{"name": "posts", "platform": "jsonl", "path": str(posts)},
                       *({"name": p, "platform": p, "max_pages": 1, "connect_timeout": 1,
                          "deadline": 3} for p in ("x", "reddit", "bluesky", "mastodon"))]
    data.update(changes)
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture()
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "CRESTWATCH_X_BEARER_TOKEN": X_TOKEN,
        "CRESTWATCH_REDDIT_CLIENT_ID": REDDIT_ID,
        "CRESTWATCH_REDDIT_CLIENT_SECRET": REDDIT_SECRET,
        "CRESTWATCH_REDDIT_USER_AGENT": "crestwatch-leak-test/0.1",
        "CRESTWATCH_BLUESKY_HANDLE": "crestwatch.bsky.social",
        "CRESTWATCH_BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
        "CRESTWATCH_MASTODON_ACCESS_TOKEN": MASTODON_TOKEN,
        "CRESTWATCH_MASTODON_INSTANCE": "mastodon.social",
        "CRESTWATCH_ES_USER": "crestwatch",
        "CRESTWATCH_ES_PASSWORD": ES_PASSWORD,
        "CRESTWATCH_SMTP_USER": SMTP_USER,
        "CRESTWATCH_SMTP_PASSWORD": SMTP_PASSWORD,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    monkeypatch.delenv("CRESTWATCH_ES_API_KEY", raising=False)


@pytest.fixture()
def refusing_platforms() -> Iterator[None]:
    """Every platform answers 401, as it does to a revoked token: requests-based clients
    (tweepy, praw, Mastodon.py) through `responses`, atproto (httpx) through `respx`."""
    refused = {"error": "Unauthorized", "message": "invalid credentials", "status": 401}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps, \
            respx.mock(assert_all_called=False) as router:
        rsps.add_passthru(re.compile(r"http://127\.0\.0\.1"))  # the loopback webhook
        for method in (responses.GET, responses.POST):
            rsps.add(method, re.compile(r"https://.*"), status=401, json=refused)
        router.route(url__regex=r"https://.*").mock(
            return_value=httpx.Response(401, json={"error": "AuthenticationRequired",
                                                   "message": "Invalid identifier or password"}))
        yield


class _Answer404(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the handler's hook name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error": "no such hook"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def hook_404() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer404)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _invoke(*args: str, seen: list[str]) -> int:
    """Exit code of `crestwatch --verbose ARGS`; what it printed goes to `seen`. A command
    must end with its own words: an exception escaping it would be printed as a traceback
    (quoting whatever its message holds), so that fails the test."""
    done = CliRunner().invoke(app, ["--verbose", *args])
    # The command line itself is the test's, not the program's output: only its name is kept.
    seen.append(f"$ crestwatch {args[0]} ...\n{done.stdout}\n{done.stderr}")
    assert done.exception is None or isinstance(done.exception, SystemExit), (
        "".join(traceback.format_exception(done.exception)))
    return done.exit_code


def _sqlite_rows(path: Path, query: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [json.dumps(row) for row in db.execute(query).fetchall()]


def _assert_clean(texts: dict[str, str]) -> None:
    found = {(where, secret) for where, text in texts.items() for secret in SECRETS
             if secret in text}
    assert not found, sorted(found)


def test_a_failing_pass_and_failing_deliveries_leak_no_credential(
    tmp_path, secrets_env, refusing_platforms, smtp_server, hook_404, caplog,  # noqa: F811
    monkeypatch,
):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    config = _config(tmp_path, notifications={
        "recipients": ["alerts@example.ac.uk"], "smtp_host": smtp_server.host,
        "smtp_port": smtp_server.port, "smtp_ca_file": str(smtp_server.ca_file),
        "webhook": "slack", "sender": "crestwatch@example.ac.uk"})

    # A full pass: the file source is stored and scored, every collector is refused.
    assert _invoke("run", "-c", str(config), "-d", "personal_data,confidential",
                   seen=seen) == 1
    assert "HTTP 401" in seen[-1]  # the refusals were reached and reported
    assert len(re.findall(r"HTTP 401", seen[-1])) >= 4, seen[-1]

    # SMTP refuses the login (wrong password), the webhook answers 404.
    monkeypatch.setenv("CRESTWATCH_WEBHOOK_URL",
                       f"http://127.0.0.1:{hook_404}/services/T0/B0/{WEBHOOK_TOKEN}")
    assert _invoke("notify", "-c", str(config), "--since-hours", "100000", seen=seen) == 1
    assert smtp_server.inbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
    errors = {"first delivery": "\n".join(_sqlite_rows(
        tmp_path / "data" / "outbox.sqlite", "SELECT key, last_error FROM outbox"))}
    assert "SMTP 535" in errors["first delivery"] and "HTTP 404" in errors["first delivery"]
    # The webhook cannot be reached at all; SMTP cannot be connected to.
    closed = free_port()
    monkeypatch.setenv("CRESTWATCH_WEBHOOK_URL",
                       f"http://127.0.0.1:{closed}/services/T0/B0/{WEBHOOK_TOKEN}?t={WEBHOOK_TOKEN}")
    refused = _config(tmp_path / "refused", notifications={
        "recipients": ["alerts@example.ac.uk"], "smtp_host": "127.0.0.1", "smtp_port": closed,
        "webhook": "teams"}, data_dir=str(tmp_path / "data"))
    assert _invoke("notify", "-c", str(refused), "--since-hours", "100000", seen=seen) == 1

    outbox = _sqlite_rows(tmp_path / "data" / "outbox.sqlite",
                          "SELECT key, last_error FROM outbox WHERE last_error IS NOT NULL")
    assert any("Connection refused" in row for row in outbox), outbox
    assert any(row.startswith('["webhook:') for row in outbox), outbox
    _assert_clean({
        **errors,
        "console": "\n".join(seen),
        "logs": caplog.text,
        "outbox": "\n".join(outbox),
        "quarantine": "\n".join(_sqlite_rows(tmp_path / "data" / "quarantine.sqlite",
                                             "SELECT * FROM quarantine")),
    })


@pytest.mark.parametrize("url", [
    # Nothing listens there.
    "http://127.0.0.1:{closed}",
    # A password in the URL itself, several nodes, one of them down.
    f"http://crestwatch:{ES_URL_PASSWORD}@127.0.0.1:{{closed}},"
    f"https://crestwatch:{ES_URL_PASSWORD}@127.0.0.1:{{closed}}",
    # Not a URL the client can use.
    f"http//crestwatch:{ES_URL_PASSWORD}@127.0.0.1:{{closed}}",
    f"http://crestwatch:{ES_URL_PASSWORD}@127.0.0.1:99999999",
])
def test_elasticsearch_down_or_misconfigured_leaks_no_credential(
    tmp_path, secrets_env, url, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    config = _config(tmp_path)
    es_url = url.format(closed=free_port())
    code = _invoke("run", "-c", str(config), "-d", "personal_data", "--store", "elasticsearch",
                   "--es-url", es_url, seen=seen)
    assert code != 0
    monkeypatch.setenv("CRESTWATCH_ES_API_KEY", ES_API_KEY)
    monkeypatch.setenv("CRESTWATCH_ES_URL", es_url)
    code = _invoke("review", "list", "-c", str(config), "--store", "elasticsearch", seen=seen)
    assert code != 0
    data = tmp_path / "data"
    _assert_clean({
        "console": "\n".join(seen),
        "logs": caplog.text,
        "quarantine": "\n".join(_sqlite_rows(data / "quarantine.sqlite",
                                             "SELECT * FROM quarantine"))
        if (data / "quarantine.sqlite").exists() else "",
    })
