"""The local CeleryExecutor deployment (scripts/celery-stack.sh) as the tests drive it: started
with settings that make faults show quickly, and reached only through Airflow's public REST API
(the way an operator or the UI would), never through its database."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import yaml

from detectors.registry import available
from pipeline.core.paths import PROJECT_ROOT

STACK_SCRIPT = PROJECT_ROOT / "scripts" / "celery-stack.sh"

# Scheduled runs off (a test triggers each run itself), a task whose worker died is noticed
# after 30 s instead of 5 minutes, and retried 3 s later instead of after the DAGs' 2 minutes.
TEST_SETTINGS = {
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    "CRESTWATCH_STACK_RETRY_DELAY": "3",
}


def script_env() -> dict[str, str]:
    """This process's environment without its own Airflow and Crestwatch settings (the DAG
    tests point AIRFLOW_HOME at a SQLite DB), plus the test settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "CRESTWATCH_"))}
    return {**env, **TEST_SETTINGS}


def stack_script(*args: str, timeout: float = 600) -> str:
    result = subprocess.run(["bash", str(STACK_SCRIPT), *args], capture_output=True, text=True,
                            timeout=timeout, env=script_env())
    if result.returncode != 0:
        raise RuntimeError(f"celery-stack.sh {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def stack_environment() -> dict[str, str]:
    """The `export` lines of `celery-stack.sh env`, as a dict."""
    env: dict[str, str] = {}
    text = subprocess.run(["bash", str(STACK_SCRIPT), "env"], capture_output=True, text=True,
                          timeout=30, check=True, env=script_env()).stdout
    for line in text.splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                name, _, value = word.partition("=")
                env[name] = value
    return env


@dataclass
class CeleryStack:
    url: str
    env: dict[str, str]
    _token: str | None = field(default=None, repr=False)

    @property
    def home(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"]).parent

    @property
    def config_path(self) -> Path:
        """Where the stack's DAGs read the organisation config from."""
        return Path(self.env["CRESTWATCH_CONFIG"])

    def worker_log(self, n: int) -> str:
        return (self.home / "logs" / f"worker-{n}.log").read_text(errors="replace")

    def worker_pid(self, n: int) -> int:
        return int((self.home / "pids" / f"worker-{n}").read_text())

    # -- REST API --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            password = (self.home / "admin_password").read_text().strip()
            answer = requests.post(f"{self.url}/auth/token", timeout=30,
                                   json={"username": "admin", "password": password})
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(method, f"{self.url}/api/v2{path}", headers=self._headers(),
                                  timeout=60, **kwargs)
        if answer.status_code == 401:  # the token expired: sign in again, once
            self._token = None
            answer = requests.request(method, f"{self.url}/api/v2{path}",
                                      headers=self._headers(), timeout=60, **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the dag-processor has parsed the DAG; then unpause it, with no run active."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.api("GET", f"/dags/{dag_id}")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        self.fail_unfinished_runs(dag_id)

    def fail_unfinished_runs(self, dag_id: str) -> None:
        """Mark runs an earlier, interrupted test left behind as failed: the DAG allows one
        active run, so a leftover would hold up the next test's run."""
        for state in ("running", "queued"):
            answer = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"state": state})
            for run in answer["dag_runs"]:
                self.api("PATCH", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}",
                         json={"state": "failed"})

    def trigger(self, dag_id: str, run_id: str) -> None:
        self.api("POST", f"/dags/{dag_id}/dagRuns",
                 json={"dag_run_id": run_id, "logical_date": None})

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 420) -> str:
        deadline = time.monotonic() + timeout
        while (state := self.run_state(dag_id, run_id)) not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise AssertionError(f"{dag_id} {run_id} still {state} after {timeout:.0f} s: "
                                     f"{self.task_states(dag_id, run_id)}")
            time.sleep(2)
        return state

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                          params={"limit": 100})
        return list(answer["task_instances"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, list[str]]:
        states: dict[str, list[str]] = {}
        for ti in sorted(self.task_instances(dag_id, run_id), key=lambda t: t["map_index"]):
            states.setdefault(ti["task_id"], []).append(str(ti["state"]))
        return states

    def xcom(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> Any:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
                          f"/xcomEntries/return_value", params={"map_index": map_index})
        return answer["value"]


def received(stack: CeleryStack) -> list[int]:
    """How many task messages each worker has taken off the broker so far."""
    return [stack.worker_log(n).count("] received") for n in (1, 2)]


def warm_ups(stack: CeleryStack, n: int, since: datetime) -> list[str]:
    """Worker `n`'s log lines, from `since` on, saying a pool process loaded the detectors."""
    lines = []
    for line in stack.worker_log(n).splitlines():
        stamp, _, rest = line.partition(" ")
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:  # a continuation line
            continue
        if when >= since and "worker warm-up: " in rest and "detectors loaded" in rest:
            lines.append(rest)
    return lines


def process_ancestors(pid: int) -> list[int]:
    """`pid`'s parent, its parent, and so on up to init."""
    chain = []
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the command name
        chain.append(pid)
    return chain


# -- what the ingest DAG reads and writes ------------------------------------------------

MARKER = "strictly confidential"


def write_deployment(folder: Path, stack: CeleryStack, *, es_url: str, prefix: str,
                     sources: dict[str, int]) -> tuple[int, int]:
    """JSONL replays (source name -> number of posts) and the config the stack's DAGs read;
    returns the posts and hits a complete pass must store. Every tenth post carries the
    confidentiality marker; only that cheap detector runs (the test is about the executor)."""
    folder.mkdir(parents=True, exist_ok=True)
    posts = hits = 0
    specs = []
    for s, (name, count) in enumerate(sources.items()):
        lines = []
        for n in range(count):
            marked = n % 10 == 0
            text = (f"{MARKER.capitalize()}: board minutes {n}, do not share" if marked
                    else f"Post {n} from {name} about the open day")
            lines.append(json.dumps({
                "platform": "x", "id": f"{s + 1}{n:06d}",
                "url": f"https://x.com/someone/status/{s + 1}{n:06d}",
                "created_at": f"2026-11-{1 + n % 28:02d}T10:00:00+00:00", "text": text,
                "author": {"id": f"a{n % 7}", "handle": f"user_{n % 7}"},
            }))
            hits += marked
        posts += count
        path = folder / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        specs.append({"name": name, "platform": "jsonl", "path": str(path)})
    config = {
        "organisation": {"name": "Test University", "short_name": "TU"},
        "confidential_markers": [MARKER],
        "detectors": {name: {"enabled": name == "confidential"} for name in available()},
        "store": {"backend": "elasticsearch", "index_prefix": prefix, "elasticsearch_url": es_url},
        "data_dir": str(folder / "data"),
        "sources": specs,
    }
    stack.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return posts, hits


def counts(es_client, prefix: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Posts and hits stored (0 for an index the task has not created yet)."""
    es_client.indices.refresh(index=f"{prefix}-*", allow_no_indices=True)
    return tuple(  # type: ignore[return-value]
        es_client.count(index=f"{prefix}-{kind}*", allow_no_indices=True)["count"]
        for kind in ("posts", "hits"))


def posts_so_far(es_client, prefix: str) -> int:  # type: ignore[no-untyped-def]
    """Posts stored while a task runs: 0 until its indices exist and their shards are up."""
    from elasticsearch import ApiError

    try:
        return counts(es_client, prefix)[0]
    except ApiError:  # 503 while a just-created index has no active primary yet
        return 0
