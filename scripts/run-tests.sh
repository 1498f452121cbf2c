#!/usr/bin/env bash
# The whole suite against a real local Elasticsearch, started here and stopped on exit (a node
# that was already running is used and left running).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Assigned before it is exported, so a node that fails to start stops the run here.
running=0
bash scripts/elasticsearch.sh status >/dev/null 2>&1 && running=1
url="$(bash scripts/elasticsearch.sh start | tail -n 1)"
export CRESTWATCH_TEST_ES_URL="$url"
[ "$running" = 1 ] || trap 'bash scripts/elasticsearch.sh stop' EXIT
echo "Elasticsearch for tests: $CRESTWATCH_TEST_ES_URL"
"${PYTEST:-.venv/bin/pytest}" "$@"
