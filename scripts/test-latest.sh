#!/usr/bin/env bash
# The suite against the newest releases inside pyproject's ranges, in .venv-latest (the locked
# .venv is left alone), then which upgraded package each failing test broke in.
# An upgrade is then a deliberate commit: `make lock UPGRADE=1`, fix, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
uv=.cache/tools/bin/uv
work=.cache/latest
mkdir -p "$work"
export UV_PYTHON_DOWNLOADS=never
"$uv" pip compile pyproject.toml requirements/build.in --all-extras --upgrade --quiet \
    --python "$python" --no-header -o "$work/latest.txt"
rm -rf .venv-latest
"$uv" venv --quiet --python "$python" .venv-latest
VIRTUAL_ENV="$PWD/.venv-latest" "$uv" pip sync --quiet "$work/latest.txt"
VIRTUAL_ENV="$PWD/.venv-latest" "$uv" pip install --quiet --no-deps --no-build-isolation -e .
status=0
PYTEST=.venv-latest/bin/pytest bash scripts/run-tests.sh -q -p no:cacheprovider \
    --junitxml="$work/junit.xml" "$@" || status=$?
.venv-latest/bin/python scripts/latest_report.py requirements/test.lock "$work/latest.txt" \
    "$work/junit.xml" .venv-latest
exit "$status"
