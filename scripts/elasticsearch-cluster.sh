#!/usr/bin/env bash
# A real multi-node Elasticsearch cluster on loopback, for the store's contract suite and the
# fault tests (a node killed in the middle of a bulk write).
#
#   scripts/elasticsearch-cluster.sh start          start every node, wait for a green cluster,
#                                                   print the nodes' URLs, comma-separated
#   scripts/elasticsearch-cluster.sh stop           stop every node and delete the data
#   scripts/elasticsearch-cluster.sh status         print the URLs, exit 1 unless all nodes answer
#   scripts/elasticsearch-cluster.sh urls           print the URLs
#   scripts/elasticsearch-cluster.sh kill-node N    SIGKILL node N (1-based), as a crash would
#   scripts/elasticsearch-cluster.sh start-node N   start node N again on its own data
#   scripts/elasticsearch-cluster.sh pid N          the server process id of node N
#
# Same distribution as scripts/elasticsearch.sh (which fetches it), but its own ports and data,
# so the single development node (and whoever uses it) is never touched:
#   CRESTWATCH_ES_CLUSTER=cluster          name: state under .cache/elasticsearch-<name>
#   CRESTWATCH_ES_CLUSTER_NODES=3          how many nodes (all master-eligible data nodes)
#   CRESTWATCH_ES_CLUSTER_HTTP_PORT=9301   node N answers HTTP on this port + N - 1
#   CRESTWATCH_ES_CLUSTER_TRANSPORT_PORT=9401
#   CRESTWATCH_ES_CLUSTER_HEAP="-Xms512m -Xmx512m"   per node
#   CRESTWATCH_ES_CLUSTER_WAIT=300         seconds to wait for a green cluster
# Each node has its own config folder (a copy of the distribution's), data and logs in one
# temporary folder. Security is off because every port is on 127.0.0.1. As root the nodes run
# as the system user `crestwatch-es`, as for the single node.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ES_VERSION="${CRESTWATCH_ES_VERSION:-9.4.3}"
ES_STATE="${CRESTWATCH_ES_STATE:-$ROOT/.cache/elasticsearch}"
DIST="$ES_STATE/elasticsearch-$ES_VERSION"
NAME="${CRESTWATCH_ES_CLUSTER:-cluster}"
NODES="${CRESTWATCH_ES_CLUSTER_NODES:-3}"
HTTP_BASE="${CRESTWATCH_ES_CLUSTER_HTTP_PORT:-9301}"
TRANSPORT_BASE="${CRESTWATCH_ES_CLUSTER_TRANSPORT_PORT:-9401}"
HEAP="${CRESTWATCH_ES_CLUSTER_HEAP:--Xms512m -Xmx512m}"
WAIT="${CRESTWATCH_ES_CLUSTER_WAIT:-300}"  # seconds; three JVMs start slowly on a busy 2-core box
RUN="$ROOT/.cache/elasticsearch-$NAME"
ES_USER=crestwatch-es

http_port() { echo $((HTTP_BASE + $1 - 1)); }
transport_port() { echo $((TRANSPORT_BASE + $1 - 1)); }
node_url() { echo "http://127.0.0.1:$(http_port "$1")"; }

urls() {
    local n out=""
    for n in $(seq 1 "$NODES"); do out="${out:+$out,}$(node_url "$n")"; done
    echo "$out"
}

data_dir() { cat "$RUN/data_dir" 2>/dev/null; }

# (This distribution has no handler for GET /.)
node_answers() { curl -fsS -m 5 "$(node_url "$1")/_cluster/health?local=true" >/dev/null 2>&1; }

# Green with every node in: replicas of every index are assigned.
cluster_green() {
    curl -fsS -m 5 "$(node_url "${1:-1}")/_cluster/health?wait_for_status=green&wait_for_nodes=$NODES&timeout=2s" \
        2>/dev/null | grep -q '"timed_out":false'
}

port_taken() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
finally:
    s.close()
sys.exit(1)
EOF
}

server_pid() {
    local data
    data=$(data_dir) || return 1
    cat "$data/node-$1/pid" 2>/dev/null
}

runas() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

prepare() {
    bash "$ROOT/scripts/elasticsearch.sh" fetch
    local data n
    data=$(mktemp -d "${TMPDIR:-/tmp}/crestwatch-es-$NAME.XXXXXX")
    for n in $(seq 1 "$NODES"); do
        mkdir -p "$data/node-$n/data" "$data/node-$n/logs"
        cp -r "$DIST/config" "$data/node-$n/config"
    done
    if [ "$(id -u)" = 0 ]; then
        id -u "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chown -R "$ES_USER" "$data"
        chmod o+rx "$data"
        if ! runuser -u "$ES_USER" -- test -x "$DIST/bin/elasticsearch"; then
            echo "user $ES_USER cannot reach $DIST (a folder above it is private):" \
                "chmod o+x the checkout's parent folders, or set CRESTWATCH_ES_STATE to a readable place" >&2
            rm -rf "$data"
            return 1
        fi
    fi
    mkdir -p "$RUN"
    echo "$data" > "$RUN/data_dir"
}

# start_node N [bootstrap]: a node joins through the others' transport ports; the first start
# of the cluster also names the master-eligible nodes that elect the first master.
start_node() {
    local n=$1 bootstrap=${2:-} java data seeds="" masters="" m
    java=$(bash "$ROOT/scripts/elasticsearch.sh" java)
    data=$(data_dir)
    for m in $(seq 1 "$NODES"); do
        seeds="${seeds:+$seeds,}127.0.0.1:$(transport_port "$m")"
        masters="${masters:+$masters,}$NAME-$m"
    done
    local -a discovery=(-E discovery.seed_hosts="$seeds")
    if [ "$NODES" = 1 ]; then
        discovery=(-E discovery.type=single-node)
    elif [ -n "$bootstrap" ]; then
        discovery+=(-E cluster.initial_master_nodes="$masters")
    fi
    if port_taken "$(http_port "$n")" || port_taken "$(transport_port "$n")"; then
        echo "port $(http_port "$n") or $(transport_port "$n") is already taken on 127.0.0.1:" \
            "set CRESTWATCH_ES_CLUSTER_HTTP_PORT / _TRANSPORT_PORT to free ones" >&2
        return 1
    fi
    rm -f "$data/node-$n/pid"
    runas env ES_JAVA_HOME="$java" ES_PATH_CONF="$data/node-$n/config" ES_JAVA_OPTS="$HEAP" \
        "$DIST/bin/elasticsearch" -p "$data/node-$n/pid" \
        -E cluster.name="crestwatch-$NAME" -E node.name="$NAME-$n" \
        "${discovery[@]}" \
        -E http.host=127.0.0.1 -E http.port="$(http_port "$n")" \
        -E transport.host=127.0.0.1 -E transport.port="$(transport_port "$n")" \
        -E path.data="$data/node-$n/data" -E path.logs="$data/node-$n/logs" \
        -E xpack.security.enabled=false \
        -E cluster.routing.allocation.disk.threshold_enabled=false \
        -E action.destructive_requires_name=false \
        >>"$data/node-$n/stdout.log" 2>&1 &
    echo $! > "$data/node-$n/launcher"
}

wait_for() {
    # wait_for WHAT NODE...: every node answers, then the cluster is green with all of them.
    local what=$1 i n ok
    shift
    local deadline=$((SECONDS + WAIT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        ok=1
        for n in "$@"; do
            node_answers "$n" && continue
            ok=0
            if ! kill -0 "$(cat "$(data_dir)/node-$n/launcher")" 2>/dev/null; then
                echo "node $n exited while starting; its output:" >&2
                tail -n 40 "$(data_dir)/node-$n/stdout.log" >&2
                return 1
            fi
        done
        if [ "$ok" = 1 ] && cluster_green "$1"; then return 0; fi
        sleep 1
    done
    echo "$what: no green cluster of $NODES nodes within $WAIT s; last lines of each node's log:" >&2
    for n in "$@"; do
        echo "--- node $n" >&2
        tail -n 15 "$(data_dir)/node-$n/logs/crestwatch-$NAME.log" >&2 2>/dev/null || true
    done
    return 1
}

all_answer() {
    local n
    [ -n "$(data_dir)" ] || return 1
    for n in $(seq 1 "$NODES"); do node_answers "$n" || return 1; done
}

start() {
    if all_answer && cluster_green; then urls; return 0; fi
    if [ -n "$(data_dir)" ]; then stop; fi
    prepare
    local n
    for n in $(seq 1 "$NODES"); do start_node "$n" bootstrap; done
    if ! wait_for "start" $(seq 1 "$NODES"); then stop; return 1; fi
    urls
}

stop_node() {
    local n=$1 signal=${2:-TERM} pid launcher data
    data=$(data_dir) || return 0
    pid=$(server_pid "$n" || true)
    launcher=$(cat "$data/node-$n/launcher" 2>/dev/null || true)
    [ -n "$pid" ] && kill "-$signal" "$pid" 2>/dev/null || true
    [ -n "$launcher" ] && kill "-$signal" "$launcher" 2>/dev/null || true
    for _ in $(seq 1 30); do
        { [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; } && break
        sleep 1
    done
}

stop() {
    local data n
    data=$(data_dir || true)
    if [ -n "$data" ]; then
        for n in $(seq 1 "$NODES"); do stop_node "$n" TERM; done
        rm -rf "$data"
    fi
    rm -f "$RUN/data_dir"
}

node_arg() {
    local n=${1:-}
    if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$NODES" ]; then
        echo "node number 1..$NODES expected, got '${n}'" >&2
        exit 2
    fi
    [ -n "$(data_dir)" ] || { echo "the cluster $NAME is not started" >&2; exit 1; }
    echo "$n"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if all_answer && cluster_green; then urls; else echo "not running" >&2; exit 1; fi ;;
    urls) urls ;;
    kill-node) n=$(node_arg "${2:-}"); stop_node "$n" KILL ;;
    start-node)
        n=$(node_arg "${2:-}")
        node_answers "$n" || { start_node "$n"; wait_for "node $n" "$n"; }
        ;;
    pid) n=$(node_arg "${2:-}"); server_pid "$n" ;;
    *) echo "usage: $0 start|stop|status|urls|kill-node N|start-node N|pid N" >&2; exit 2 ;;
esac
