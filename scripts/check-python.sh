#!/usr/bin/env bash
# One line, never a traceback, when the interpreter is missing or older than pyproject allows.
set -euo pipefail
python="${1:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "Python not found as '$python': install Python 3.11 or newer, or run make PYTHON=/path/to/python3.11" >&2
    exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    found="$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo unknown)"
    echo "Crestwatch needs Python 3.11 or newer; '$python' is $found: run make PYTHON=/path/to/python3.11" >&2
    exit 2
fi
