#!/usr/bin/env bash
# Makes `docker compose` available where the docker CLI is installed without its compose plugin
# (the tests validate docker-compose.yml with `docker compose config`). Docker Compose v2 is a
# Go module: it is built here with the machine's Go toolchain and installed as a CLI plugin.
# Does nothing when `docker compose` already works or when there is no docker CLI at all.
set -euo pipefail
VERSION="${CRESTWATCH_COMPOSE_VERSION:-v2.40.3}"
command -v docker >/dev/null || exit 0
docker compose version >/dev/null 2>&1 && exit 0
if ! command -v go >/dev/null; then
    echo "docker compose is missing and there is no Go toolchain to build it; install the" \
         "docker-compose-plugin package of your Docker distribution" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    plugins=/usr/local/lib/docker/cli-plugins
else
    plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
fi
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
echo "building docker compose $VERSION (a few minutes, once per machine)" >&2
# `go install module@version` refuses this module (its go.mod has exclude directives), so the
# module is downloaded and built in place.
dir="$(go mod download -json "github.com/docker/compose/v2@$VERSION" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" \
    -o "$work/docker-compose" ./cmd)
mkdir -p "$plugins"
install -m 0755 "$work/docker-compose" "$plugins/docker-compose"
docker compose version
