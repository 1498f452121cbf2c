#!/usr/bin/env bash
# What a new user meets: the committed tree cloned into a temporary folder, a clean HOME and
# empty package caches, then `make demo` and `make test` as the README says, each timed, with
# what was downloaded (bytes received on the network interfaces) and the virtualenv's size.
#   scripts/fresh-machine-check.sh [--demo-only] [--keep]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
demo_only=0 keep=0
for arg in "$@"; do
    case "$arg" in
        --demo-only) demo_only=1 ;;
        --keep) keep=1 ;;
        *) echo "usage: $0 [--demo-only] [--keep]" >&2; exit 2 ;;
    esac
done
tmp="$(mktemp -d /tmp/crestwatch-fresh.XXXXXX)"
# Readable by others, like a normal checkout: as root the test node runs as its own user.
chmod 755 "$tmp"
logs="$(mktemp -d /tmp/crestwatch-fresh-logs.XXXXXX)"  # kept: the clone is removed
cleanup() {
    [ -x "$tmp/crestwatch/scripts/elasticsearch.sh" ] \
        && (cd "$tmp/crestwatch" && bash scripts/elasticsearch.sh stop >/dev/null 2>&1 || true)
    if [ "$keep" = 1 ]; then echo "kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
mkdir -p "$tmp/home"
export HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache" PIP_CACHE_DIR="$tmp/pip-cache" \
    UV_CACHE_DIR="$tmp/uv-cache" PIP_NO_INPUT=1
unset VIRTUAL_ENV CRESTWATCH_TEST_ES_URL CRESTWATCH_CONFIG CRESTWATCH_DATA_DIR

received() {  # bytes received so far on every interface but loopback
    awk -F'[: ]+' 'NR > 2 && $2 != "lo" { sum += $3 } END { printf "%.0f\n", sum }' /proc/net/dev
}
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
report=()
step() {  # step NAME COMMAND...: run it in the clone, keep its time and download
    local name="$1"; shift
    local before start status=0
    before="$(received)"; start="$(date +%s)"
    (cd "$tmp/crestwatch" && "$@") > "$logs/$name.log" 2>&1 || status=$?
    local seconds=$(( $(date +%s) - start )) bytes=$(( $(received) - before ))
    report+=("$(printf '%-22s %6ss  %10s  %s' "$name" "$seconds" "$(mib "$bytes")" \
        "$([ "$status" = 0 ] && echo ok || echo "FAILED (exit $status)")")")
    tail -n 25 "$logs/$name.log"
    return "$status"
}
git clone --quiet "$repo" "$tmp/crestwatch"
echo "fresh clone of $(git -C "$repo" rev-parse --short HEAD) in $tmp/crestwatch"
failed=0
step "make demo" make demo || failed=1
venv_demo="$(du -sm "$tmp/crestwatch/.venv" | cut -f1) MiB"
if [ "$demo_only" = 0 ] && [ "$failed" = 0 ]; then
    step "make test" make test || failed=1
fi
venv_all="$(du -sm "$tmp/crestwatch/.venv" | cut -f1) MiB"
echo
echo "step                     time    download  result"
printf '%s\n' "${report[@]}"
echo "virtualenv after make demo: $venv_demo; after make test: $venv_all"
echo "logs: $logs"
exit "$failed"
