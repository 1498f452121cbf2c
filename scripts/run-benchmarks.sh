#!/usr/bin/env bash
# Every benchmark in bench/, one after the other, against a local Elasticsearch started here.
# Each prints ratios measured within its own run; see the README's "Measured" table.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
url="$(bash scripts/elasticsearch.sh start | tail -n 1)"
trap 'bash scripts/elasticsearch.sh stop' EXIT
py=.venv/bin/python
run() { echo; echo "== $*"; "$py" "$@"; }
run bench/bench_store.py --url "$url"
run bench/bench_report.py
run bench/bench_report.py --es-url "$url"
run bench/bench_backfill.py
run bench/bench_media.py
run bench/bench_ocr.py
run bench/bench_impersonation.py
run bench/bench_logo.py
run bench/bench_harassment.py
run bench/bench_end_to_end.py --es-url "$url"
run bench/bench_end_to_end.py --es-url "$url" --image-every 0
