#!/usr/bin/env bash
# The virtualenv from a lock file: `install.sh demo` (run-time dependencies only) or
# `install.sh test` (every extra: PyTorch for training, Airflow, the test tools).
# Every package comes pinned with its hashes from requirements/*.lock; uv itself is installed
# from PyPI with hashes (requirements-uv.txt) into .cache/tools. Nothing here needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:?usage: install.sh demo|test|tools}"
python="${PYTHON:-python3}"
tools=.cache/tools
uv="$tools/bin/uv"
lock="requirements/$what.lock"
export UV_PYTHON_DOWNLOADS=never  # use the machine's Python, never fetch one

bash scripts/check-python.sh "$python"
if [ ! -x "$uv" ] || ! cmp -s scripts/requirements-uv.txt "$tools/.requirements"; then
    "$python" -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
        -r scripts/requirements-uv.txt
    cp scripts/requirements-uv.txt "$tools/.requirements"
fi
[ "$what" = tools ] && exit 0
"$python" scripts/lock_fingerprint.py --check "$lock"
[ -x .venv/bin/python ] || "$uv" venv --quiet --python "$python" .venv
export VIRTUAL_ENV="$PWD/.venv"
if [ "$what" = test ]; then
    # Exactly the lock: anything else in the virtualenv is removed. Compiled to bytecode here
    # (about 2 minutes on 2 cores), so that no process of the suite, the Airflow workers or a
    # deployment built from this install compiles its imports at start (4 s a process where
    # PYTHONDONTWRITEBYTECODE is set, as on CI machines); the demo's one process does not pay.
    "$uv" pip sync --quiet --require-hashes --compile-bytecode "$lock"
else
    # The demo's packages, leaving a test install's extras in place.
    "$uv" pip install --quiet --require-hashes -r "$lock"
fi
"$uv" pip install --quiet --no-deps --no-build-isolation -e .
