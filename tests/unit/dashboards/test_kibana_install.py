"""`crestwatch setup --kibana-url` against a Kibana stand-in on loopback that answers in the
documented wire format of the saved-objects, connectors and alerting APIs (Kibana itself cannot
run here). It checks what Crestwatch sends and how it reacts to refusals."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from typer.testing import CliRunner

from dashboards.kibana_api import KibanaError, install
from pipeline.cli.app import app


@dataclass
class FakeKibana:
    url: str = ""
    requests: list[tuple[str, str, dict, bytes]] = field(default_factory=list)
    objects: dict[str, dict] = field(default_factory=dict)  # path -> stored body
    refuse_import: bool = False
    require_auth: str | None = None


def _handler(state: FakeKibana):
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append((self.command, self.path, dict(self.headers), body))
            if state.require_auth and self.headers.get("Authorization") != state.require_auth:
                return self._reply(401, {"statusCode": 401, "error": "Unauthorized",
                                         "message": "[security_exception] unable to authenticate"})
            if self.command != "GET" and self.headers.get("kbn-xsrf") != "true":
                return self._reply(400, {"statusCode": 400, "error": "Bad Request",
                                         "message": "Request must contain a kbn-xsrf header."})
            path = self.path.split("?")[0]
            if path == "/api/saved_objects/_import":
                return self._import(body)
            if self.command == "GET":
                if path in state.objects:
                    return self._reply(200, state.objects[path])
                return self._reply(404, {"statusCode": 404, "error": "Not Found",
                                         "message": f"Saved object [{path}] not found"})
            state.objects[path] = {"id": path.rsplit("/", 1)[1], **json.loads(body)}
            return self._reply(200, state.objects[path])

        def _import(self, body: bytes) -> None:
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            form = BytesParser(policy=HTTP).parsebytes(head + body)
            (part,) = [p for p in form.iter_parts()
                       if p.get_param("name", header="content-disposition") == "file"]
            lines = [json.loads(x) for x in part.get_payload(decode=True).decode().splitlines()]
            if state.refuse_import:
                return self._reply(200, {"success": False, "successCount": 0, "errors": [
                    {"id": lines[-1]["id"], "type": lines[-1]["type"],
                     "meta": {"title": lines[-1]["attributes"]["title"]},
                     "error": {"type": "missing_references", "references": []}}]})
            return self._reply(200, {"success": True, "successCount": len(lines),
                                     "successResults": [{"id": o["id"], "type": o["type"],
                                                         "meta": {"title": ""}} for o in lines]})

        do_GET = do_POST = do_PUT = _handle  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture()
def kibana() -> Iterator[FakeKibana]:
    state = FakeKibana()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()


def test_install_imports_then_creates_connector_and_rules_and_updates_on_rerun(
        kibana, example_config, monkeypatch):
    monkeypatch.setenv("CRESTWATCH_KIBANA_API_KEY", "a2liYW5hLWtleQ==")
    monkeypatch.setenv("CRESTWATCH_SMTP_USER", "alerts")
    monkeypatch.setenv("CRESTWATCH_SMTP_PASSWORD", "smtp-secret")
    kibana.require_auth = "ApiKey a2liYW5hLWtleQ=="
    first = install(example_config, kibana.url)
    assert first.imported == 9  # 2 data views, 4 saved searches, 3 dashboards
    assert first.connector == "created"
    assert set(first.rules.values()) == {"created"}
    import_call = kibana.requests[0]
    assert import_call[0] == "POST" and "overwrite=true" in import_call[1]
    posted = {p: b for m, p, _, b in kibana.requests if m == "POST" and "_import" not in p}
    connector = next(json.loads(b) for p, b in posted.items() if "/connector/" in p)
    assert connector["secrets"] == {"user": "alerts", "password": "smtp-secret"}
    rule = next(json.loads(b) for p, b in posted.items() if "/rule/" in p)
    assert rule["rule_type_id"] == ".es-query" and rule["actions"][0]["id"] in \
        "".join(posted)

    second = install(example_config, kibana.url)
    assert second.connector == "updated" and set(second.rules.values()) == {"updated"}
    puts = [json.loads(b) for m, p, _, b in kibana.requests if m == "PUT" and "/rule/" in p]
    assert puts and all("rule_type_id" not in body and "consumer" not in body for body in puts)


def test_a_refused_import_creates_no_rules(kibana, example_config):
    kibana.refuse_import = True
    with pytest.raises(KibanaError, match="missing_references"):
        install(example_config, kibana.url)
    assert [m for m, *_ in kibana.requests] == ["POST"]


def test_setup_reports_bad_credentials_clearly(kibana, monkeypatch):
    kibana.require_auth = "ApiKey right"
    monkeypatch.setenv("CRESTWATCH_KIBANA_API_KEY", "wrong-key-value")
    result = CliRunner().invoke(app, ["setup", "--skip-elasticsearch", "--kibana-url",
                                      kibana.url])
    assert result.exit_code == 1
    assert "Kibana refused the credentials (HTTP 401)" in result.stderr
    assert "wrong-key-value" not in result.stderr
