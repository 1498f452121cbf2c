#!/usr/bin/env bash
# The whole suite against a real local Elasticsearch, started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export CRESTWATCH_TEST_ES_URL="$(bash scripts/elasticsearch.sh start | tail -n 1)"
trap 'bash scripts/elasticsearch.sh stop' EXIT
echo "Elasticsearch for tests: $CRESTWATCH_TEST_ES_URL"
"${PYTEST:-.venv/bin/pytest}" "$@"
