#!/usr/bin/env bash
# The whole suite against a real local Elasticsearch, started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Assigned before it is exported, so a node that fails to start stops the run here.
url="$(bash scripts/elasticsearch.sh start | tail -n 1)"
export CRESTWATCH_TEST_ES_URL="$url"
trap 'bash scripts/elasticsearch.sh stop' EXIT
echo "Elasticsearch for tests: $CRESTWATCH_TEST_ES_URL"
"${PYTEST:-.venv/bin/pytest}" "$@"
