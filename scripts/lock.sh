#!/usr/bin/env bash
# Writes the two lock files from pyproject.toml, every package pinned with its hashes:
#   requirements/test.lock  every extra (what `make test` and CI install)
#   requirements/demo.lock  the run-time dependencies only (what `make demo` installs), at the
#                           same versions as test.lock
# `make lock` keeps locked versions where pyproject still allows them; `make lock UPGRADE=1`
# moves everything to the newest releases inside pyproject's ranges (its own commit).
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-.cache/tools/bin/uv}"
python="${PYTHON:-python3}"
upgrade=()
[ "${UPGRADE:-}" = 1 ] && upgrade=(--upgrade)
header="# pyproject requirements: $("$python" scripts/lock_fingerprint.py)"
compile() {
    local out="$1"; shift
    # Starting from the current lock keeps its versions wherever pyproject still allows them.
    if [ -f "$out" ]; then cp "$out" "$out.tmp"; else rm -f "$out.tmp"; fi
    "$uv" pip compile pyproject.toml requirements/build.in "$@" --generate-hashes --universal \
        --python-version 3.11 --no-header --quiet "${upgrade[@]}" -o "$out.tmp"
    { echo "$header"; echo "# Written by scripts/lock.sh (make lock); install with make demo / make test."; cat "$out.tmp"; } > "$out"
    rm -f "$out.tmp"
}
compile requirements/test.lock --all-extras
# The demo's lock may only hold versions test.lock holds: resolve it against those pins.
# (pins keep their environment markers: a universal lock can hold two versions of one package)
grep -E '^[A-Za-z0-9_.-]+==' requirements/test.lock | sed 's/ \\$//' > requirements/.pins.txt
upgrade=()
compile requirements/demo.lock -c requirements/.pins.txt
rm -f requirements/.pins.txt
echo "locked: requirements/test.lock ($(grep -cE '^[A-Za-z0-9_.-]+==' requirements/test.lock) packages), requirements/demo.lock ($(grep -cE '^[A-Za-z0-9_.-]+==' requirements/demo.lock) packages)"
