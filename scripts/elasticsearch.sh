#!/usr/bin/env bash
# A real single-node Elasticsearch for development and tests.
#
#   scripts/elasticsearch.sh start    fetch (once), unpack, start on 127.0.0.1, wait until it answers
#   scripts/elasticsearch.sh stop     stop it and delete its data
#   scripts/elasticsearch.sh status   print its URL, exit 1 if it is not running
#   scripts/elasticsearch.sh url      print its URL
#   scripts/elasticsearch.sh java     print the JDK it runs on (scripts/elasticsearch-cluster.sh)
#
# It uses the official integ-test-zip distribution from Maven (no bundled JDK, so it needs a
# JDK 21+ on the machine) and keeps the zip in Maven's local repository. The node's data and
# logs live in a temporary directory; security is off because it only listens on loopback.
# Elasticsearch refuses to run as root, so as root the node runs as a system user
# `crestwatch-es`, created on first use.
set -euo pipefail

ES_VERSION="${CRESTWATCH_ES_VERSION:-9.4.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${CRESTWATCH_ES_STATE:-$ROOT/.cache/elasticsearch}"
DIST="$STATE/elasticsearch-$ES_VERSION"
RUN="$STATE/run"
ES_USER=crestwatch-es

find_java() {
    local candidate version
    for candidate in ${ES_JAVA_HOME:-} ${JAVA_HOME:-} /usr/lib/jvm/*; do
        [ -x "$candidate/bin/java" ] || continue
        version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 \
            | awk -F'= ' '/java.specification.version/ {print $2}')
        if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "no JDK 21+ found (looked in ES_JAVA_HOME, JAVA_HOME and /usr/lib/jvm)" >&2
    return 1
}

fetch() {
    [ -d "$DIST" ] && return 0
    mkdir -p "$STATE"
    echo "fetching Elasticsearch $ES_VERSION (integ-test-zip) with Maven" >&2
    mvn -q -B dependency:copy \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
        -DoutputDirectory="$STATE" -Dmdep.overWriteIfNewer=false >&2
    (cd "$STATE" && unzip -q -o "elasticsearch-$ES_VERSION.zip" && rm -f "elasticsearch-$ES_VERSION.zip")
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

url() { cat "$RUN/url" 2>/dev/null; }

alive() {
    local u
    u=$(url) || return 1
    [ -n "$u" ] && curl -fsS -m 2 "$u/_cluster/health" >/dev/null 2>&1
}

start() {
    if alive; then url; return 0; fi
    fetch
    local java port tport data
    java=$(find_java)
    port=$(free_port)
    tport=$(free_port)
    data=$(mktemp -d "${TMPDIR:-/tmp}/crestwatch-es.XXXXXX")
    mkdir -p "$RUN" "$data/data" "$data/logs"
    local -a runas=()
    if [ "$(id -u)" = 0 ]; then
        id -u "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chown -R "$ES_USER" "$data" "$DIST/config" "$DIST/logs" 2>/dev/null || chown -R "$ES_USER" "$data" "$DIST"
        chmod o+rx "$data"
        runas=(runuser -u "$ES_USER" --)
        if ! "${runas[@]}" test -x "$DIST/bin/elasticsearch"; then
            echo "user $ES_USER cannot reach $DIST (a folder above it is private):" \
                "chmod o+x the checkout's parent folders, or set CRESTWATCH_ES_STATE to a readable place" >&2
            return 1
        fi
    fi
    echo "$data" > "$RUN/data_dir"
    echo "http://127.0.0.1:$port" > "$RUN/url"
    "${runas[@]}" env ES_JAVA_HOME="$java" ES_JAVA_OPTS="${CRESTWATCH_ES_HEAP:--Xms1g -Xmx1g}" \
        "$DIST/bin/elasticsearch" \
        -E cluster.name=crestwatch-dev -E node.name=crestwatch-dev \
        -E discovery.type=single-node \
        -E http.host=127.0.0.1 -E http.port="$port" \
        -E transport.host=127.0.0.1 -E transport.port="$tport" \
        -E path.data="$data/data" -E path.logs="$data/logs" \
        -E xpack.security.enabled=false \
        -E cluster.routing.allocation.disk.threshold_enabled=false \
        -E action.destructive_requires_name=false \
        >"$data/stdout.log" 2>&1 &
    echo $! > "$RUN/pid"
    local i
    for i in $(seq 1 120); do
        if alive; then url; return 0; fi
        if ! kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
            echo "Elasticsearch exited while starting; its output:" >&2
            tail -n 40 "$data/stdout.log" >&2
            return 1
        fi
        sleep 1
    done
    echo "Elasticsearch did not answer within 120 s; see $data/logs" >&2
    return 1
}

stop() {
    local pid data
    pid=$(cat "$RUN/pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
        # The recorded pid is the launcher; the JVM is its child process tree.
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
    pkill -TERM -f "cluster.name=crestwatch-dev.*$(cat "$RUN/data_dir" 2>/dev/null || echo none)" 2>/dev/null || true
    data=$(cat "$RUN/data_dir" 2>/dev/null || true)
    [ -n "$data" ] && rm -rf "$data"
    rm -f "$RUN/pid" "$RUN/url" "$RUN/data_dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if alive; then url; else echo "not running" >&2; exit 1; fi ;;
    url) url ;;
    fetch) fetch ;;
    java) find_java ;;
    *) echo "usage: $0 start|stop|status|url|fetch|java" >&2; exit 2 ;;
esac
