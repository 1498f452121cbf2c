"""What the Celery pool-process warm-up (pipeline/airflow/celery_worker.py) saves each task.

Airflow's Celery worker forks every task from a pool process. This runs that shape without a
broker: a parent process that has imported Airflow's Celery provider, as a pool process has,
forks a child per task; the child builds the ingest pass from the config, loads every detector
and scores the first demo page (the task's way to its first stored post). Rounds alternate a
parent that never warmed up with one that ran `warm_up()` first, in the same run, and the
script prints each side's median seconds from the fork to detectors loaded and to the first
page scored, and their ratio.

    .venv/bin/python bench/bench_worker_warmup.py [--rounds 5] [--config config/example.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One parent: imports what a pool process has, warms up or not, forks the task, prints what
# the task measured.
PARENT = r"""
import json, os, sys, time
import airflow.providers.celery.executors.default_celery  # what a pool process has imported
config_path, warm = sys.argv[1], sys.argv[2] == "warm"
if warm:
    from pipeline.airflow.celery_worker import warm_up
    warm_up(config_path)
read, write = os.pipe()
forked = time.monotonic()
pid = os.fork()
if pid == 0:
    os.close(read)
    from pipeline.core.config import load_config
    from pipeline.run.assemble import build_pass
    config = load_config(config_path)
    work = build_pass(config, demo=True)
    work.load()
    loaded = time.monotonic() - forked
    page = next(iter(work.sources[0].pages(None)))
    for detector in work.detectors:
        detector.detect(page.posts)
    scored = time.monotonic() - forked
    os.write(write, json.dumps({"loaded": loaded, "scored": scored,
                                "posts": len(page.posts)}).encode())
    os._exit(0)
os.close(write)
os.waitpid(pid, 0)
print(os.read(read, 4096).decode())
"""


def one(config: Path, mode: str, data_dir: str) -> dict[str, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT),
           "CRESTWATCH_DATA_DIR": data_dir}
    out = subprocess.run([sys.executable, "-c", PARENT, str(config), mode], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "example.yaml")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as data_dir:
        one(args.config, "cold", data_dir)  # fills the logo and document caches for both sides
        for n in range(args.rounds):
            for mode in ("cold", "warm") if n % 2 == 0 else ("warm", "cold"):
                results[mode].append(one(args.config, mode, data_dir))
    posts = results["warm"][0]["posts"]
    print(f"ingest task from fork to first page ({posts} posts, every detector of "
          f"{args.config.name}), median of {args.rounds} rounds each, alternating:")
    medians = {}
    for mode, rows in results.items():
        medians[mode] = {k: statistics.median(r[k] for r in rows) for k in ("loaded", "scored")}
        print(f"  {mode}: detectors loaded {medians[mode]['loaded']:.2f} s, first page scored "
              f"{medians[mode]['scored']:.2f} s")
    for key in ("loaded", "scored"):
        print(f"  cold / warm, {key}: {medians['cold'][key] / medians['warm'][key]:.1f}x")


if __name__ == "__main__":
    main()
