#!/usr/bin/env bash
# Puts the npm icon packages that the public logo benchmark (detectors/logo/public_bench.py)
# reads into a cache folder, at the exact versions it names. Run once before
# `crestwatch logo-bench --public`; nothing is fetched when the benchmark is built or tested.
#   usage: scripts/fetch-logo-marks.sh [DIR]   (default: ~/.cache/crestwatch/marks)
set -euo pipefail
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/crestwatch/marks}"
mkdir -p "$dir"
command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }
for spec in "@iconify-json/logos@1.2.19" "simple-icons@16.37.0"; do
    name="${spec%@*}"; version="${spec##*@}"
    file="$dir/$(echo "${name#@}" | tr / -)-$version.tgz"
    [ -f "$file" ] && continue
    npm pack --silent --pack-destination "$dir" "$spec" >/dev/null
done
ls "$dir"
