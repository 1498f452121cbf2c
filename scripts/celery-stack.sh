#!/usr/bin/env bash
# Airflow 3 with the CeleryExecutor on this machine, from Debian packages and the project's venv:
# Redis (the broker) and PostgreSQL (the metadata DB and Celery's result backend) on loopback,
# then the scheduler, the dag-processor, the api-server and two Celery workers as processes,
# running the DAGs in dags/. For the scale-out tests and for trying a multi-worker deployment.
#
#   scripts/celery-stack.sh start             start everything, wait until the workers are ready,
#                                             print the api-server's URL
#   scripts/celery-stack.sh stop              stop everything and delete the data
#   scripts/celery-stack.sh status            print the URL, exit 1 unless every part is up
#   scripts/celery-stack.sh env               the stack's environment as `export` lines:
#                                             `eval "$(scripts/celery-stack.sh env)"; airflow ...`
#   scripts/celery-stack.sh kill-worker N     SIGKILL worker N and every process under it
#   scripts/celery-stack.sh start-worker N    start worker N again
#   scripts/celery-stack.sh restart-redis     stop and start Redis (its append-only file kept)
#   scripts/celery-stack.sh restart-postgres  stop and start PostgreSQL (fast shutdown)
#
# Settings (environment, read by `start`):
#   CRESTWATCH_STACK_REDIS_PORT=16379  CRESTWATCH_STACK_PG_PORT=15432  CRESTWATCH_STACK_API_PORT=18080
#   CRESTWATCH_STACK_WORKERS=2         CRESTWATCH_STACK_CONCURRENCY=1 (task slots per worker)
#   CRESTWATCH_STACK_LOG_PORT=18793    worker N serves its task logs on this port + N - 1
#   CRESTWATCH_CONFIG                  the organisation config the DAGs read (default: the
#                                      stack's own path, <data>/crestwatch.yaml, for tests to write)
#   CRESTWATCH_STACK_RETRY_DELAY       seconds between task retries on this stack (fault tests)
#   AIRFLOW__*                         any other Airflow setting, passed to every process
# Passwords (PostgreSQL, Redis, the Airflow admin) are generated per stack and kept only in the
# stack's private data folder. PostgreSQL refuses to run as root, so as root it runs as the
# system user `crestwatch-pg`, created on first use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.cache/celery-stack"
VENV="${CRESTWATCH_VENV:-$ROOT/.venv}"
REDIS_PORT="${CRESTWATCH_STACK_REDIS_PORT:-16379}"
PG_PORT="${CRESTWATCH_STACK_PG_PORT:-15432}"
API_PORT="${CRESTWATCH_STACK_API_PORT:-18080}"
LOG_PORT="${CRESTWATCH_STACK_LOG_PORT:-18793}"
WORKERS="${CRESTWATCH_STACK_WORKERS:-2}"
CONCURRENCY="${CRESTWATCH_STACK_CONCURRENCY:-1}"
WAIT="${CRESTWATCH_STACK_WAIT:-300}"
PG_USER=crestwatch-pg

home() { cat "$STATE/home" 2>/dev/null; }
api_url() { echo "http://127.0.0.1:$(stack_value API_PORT)"; }

# A value recorded at start (ports may differ from this shell's defaults).
stack_value() {
    local h
    h=$(home) || { eval "echo \$$1"; return; }
    sed -n "s/^$1=//p" "$h/settings" 2>/dev/null || eval "echo \$$1"
}

pg_bin() {
    local dir
    if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ]; then
        echo "PostgreSQL server binaries not found: run scripts/install-system-deps.sh" >&2
        return 1
    fi
    echo "$dir"
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
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

secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }

# -- Redis and PostgreSQL ------------------------------------------------------------------

start_redis() {
    local h
    h=$(home)
    setsid redis-server "$h/redis/redis.conf" >>"$h/logs/redis.log" 2>&1 &
    echo $! > "$h/pids/redis"
    for _ in $(seq 1 50); do
        redis_ping && return 0
        sleep 0.2
    done
    echo "Redis did not answer on port $(stack_value REDIS_PORT); see $h/logs/redis.log" >&2
    return 1
}

redis_ping() {
    local h
    h=$(home)
    REDISCLI_AUTH=$(cat "$h/redis/password") redis-cli -h 127.0.0.1 -p "$(stack_value REDIS_PORT)" \
        ping 2>/dev/null | grep -q PONG
}

stop_redis() {
    local h pid
    h=$(home)
    pid=$(cat "$h/pids/redis" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    rm -f "$h/pids/redis"
}

start_postgres() {
    local h bin
    h=$(home)
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl" -D "$h/pg/data" -l "$h/pg/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $(stack_value PG_PORT) -k $h/pg/socket" start >/dev/null
}

stop_postgres() {
    local h bin
    h=$(home)
    bin=$(pg_bin)
    [ -f "$h/pg/data/postmaster.pid" ] || return 0
    as_pg "$bin/pg_ctl" -D "$h/pg/data" -m fast -w -t 60 stop >/dev/null
}

init_postgres() {
    local h bin
    h=$(home)
    bin=$(pg_bin)
    if [ "$(id -u)" = 0 ]; then
        id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
    mkdir -p "$h/pg/data" "$h/pg/socket"
    cat "$h/pg/password" > "$h/pg/pwfile"
    if [ "$(id -u)" = 0 ]; then chown -R "$PG_USER" "$h/pg"; fi
    chmod 700 "$h/pg/data"
    as_pg "$bin/initdb" -D "$h/pg/data" -U airflow --pwfile="$h/pg/pwfile" \
        --auth-local=peer --auth-host=scram-sha-256 -E UTF8 >"$h/logs/initdb.log" 2>&1 \
        || { cat "$h/logs/initdb.log" >&2; return 1; }
    rm -f "$h/pg/pwfile"
    start_postgres
    PGPASSWORD=$(cat "$h/pg/password") "$bin/psql" -q -h 127.0.0.1 -p "$(stack_value PG_PORT)" \
        -U airflow -d postgres -c "CREATE DATABASE airflow" >/dev/null
}

# -- Airflow -------------------------------------------------------------------------------

write_env() {
    local h=$1 pg redis
    pg=$(cat "$h/pg/password")
    redis=$(cat "$h/redis/password")
    local db="airflow:$pg@127.0.0.1:$PG_PORT/airflow"
    {
        # Whatever AIRFLOW__ settings the caller gave; the stack's own below take precedence.
        python3 -c 'import os, shlex
for name, value in sorted(os.environ.items()):
    if name.startswith("AIRFLOW__"):
        print(f"export {name}={shlex.quote(value)}")'
        cat <<EOF
export AIRFLOW_HOME="$h/airflow"
export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://$db"
export AIRFLOW__CELERY__BROKER_URL="redis://:$redis@127.0.0.1:$REDIS_PORT/0"
# The driver named: SQLAlchemy 2.1's default for postgresql:// is psycopg 3, not installed.
export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql+psycopg2://$db"
export AIRFLOW__CELERY__WORKER_CONCURRENCY=$CONCURRENCY
# Each pool process imports the detectors' libraries and loads their models once, before its
# first task; every task is forked from it (pipeline/airflow/celery_worker.py).
export AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=pipeline.airflow.celery_worker.CELERY_CONFIG
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
# The tasks import this checkout's code, the one whose DAGs they run, even when the venv's
# editable install points at another checkout.
export PYTHONPATH="$ROOT"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$API_PORT/execution/"
export AIRFLOW__CORE__FERNET_KEY="$(cat "$h/fernet_key")"
export AIRFLOW__API_AUTH__JWT_SECRET="$(cat "$h/jwt_secret")"
export AIRFLOW__API__SECRET_KEY="$(cat "$h/api_secret")"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$h/airflow/passwords.json"
export AIRFLOW__CORE__HOSTNAME_CALLABLE=socket.gethostname
export CRESTWATCH_CONFIG="${CRESTWATCH_CONFIG:-$h/crestwatch.yaml}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export PATH="$VENV/bin:\$PATH"
EOF
        [ -n "${CRESTWATCH_STACK_RETRY_DELAY:-}" ] \
            && echo "export CRESTWATCH_STACK_RETRY_DELAY=$CRESTWATCH_STACK_RETRY_DELAY"
        true
    } > "$h/env"
    cat > "$h/settings" <<EOF
REDIS_PORT=$REDIS_PORT
PG_PORT=$PG_PORT
API_PORT=$API_PORT
LOG_PORT=$LOG_PORT
WORKERS=$WORKERS
EOF
}

# daemon NAME COMMAND...: one process group per part, so a stop (or a kill) reaches its children.
daemon() {
    local h name=$1
    shift
    h=$(home)
    setsid bash -c "source '$h/env'; exec \"\$@\"" "$name" "$@" >>"$h/logs/$name.log" 2>&1 &
    echo $! > "$h/pids/$name"
}

# supervise NAME COMMAND...: a daemon started again 2 s after it exits, as compose's
# `restart: unless-stopped` and Kubernetes restart theirs. Airflow's scheduler and dag-processor
# exit on purpose when the metadata DB goes away (a PostgreSQL restart) and leave the restart
# to whatever runs them; without this a run whose tasks all succeeded would stay "running".
# `stop` signals the whole group, the loop's shell with it, so a stopped part stays stopped.
supervise() {
    local h name=$1
    shift
    h=$(home)
    setsid bash -c "source '$h/env'
        while true; do
            \"\$@\" && code=0 || code=\$?
            echo \"celery-stack: \$0 exited with status \$code; starting it again in 2 s\"
            sleep 2
        done" "$name" "$@" >>"$h/logs/$name.log" 2>&1 &
    echo $! > "$h/pids/$name"
}

start_worker() {
    local n=$1 port
    port=$(( $(stack_value LOG_PORT) + n - 1 ))
    daemon "worker-$n" env AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$port" \
        airflow celery worker --celery-hostname "worker$n@%h" --without-mingle --without-gossip
}

worker_ready() {
    local h
    h=$(home)
    grep -q "worker$1@.* ready" "$h/logs/worker-$1.log" 2>/dev/null
}

descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

stop_group() {  # stop_group NAME SIGNAL: the part's process group and anything it started
    local h pid
    h=$(home)
    pid=$(cat "$h/pids/$1" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    # Children first listed, then signalled together: a task process in a group of its own
    # goes down with the worker, as it would when the worker's machine dies.
    local -a tree
    mapfile -t tree < <(descendants "$pid")
    kill "-$2" -- "-$pid" "${tree[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$h/pids/$1"
}

healthy() {
    local answer
    answer=$(curl -fsS -m 5 "$(api_url)/api/v2/monitor/health" 2>/dev/null) || return 1
    python3 -c '
import json, sys
health = json.load(sys.stdin)
sys.exit(0 if all(health.get(part, {}).get("status") == "healthy"
                  for part in ("metadatabase", "scheduler", "dag_processor")) else 1)' \
        <<<"$answer" 2>/dev/null
}

all_up() {
    local n
    [ -n "$(home)" ] || return 1
    redis_ping || return 1
    healthy || return 1
    for n in $(seq 1 "$(stack_value WORKERS)"); do
        worker_ready "$n" && kill -0 "$(cat "$(home)/pids/worker-$n")" 2>/dev/null || return 1
    done
}

wait_until() {  # wait_until WHAT COMMAND...
    local what=$1 deadline=$((SECONDS + WAIT))
    shift
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$what not ready within $WAIT s; logs in $(home)/logs" >&2
            tail -n 20 "$(home)"/logs/*.log >&2 2>/dev/null || true
            return 1
        fi
        sleep 1
    done
}

workers_ready() {
    local n
    for n in $(seq 1 "$(stack_value WORKERS)"); do worker_ready "$n" || return 1; done
}

start() {
    if all_up; then api_url; return 0; fi
    [ -z "$(home)" ] || stop
    command -v redis-server >/dev/null || { echo "redis-server not found: run scripts/install-system-deps.sh" >&2; return 1; }
    pg_bin >/dev/null
    [ -x "$VENV/bin/airflow" ] || { echo "no airflow in $VENV: install the celery extra" >&2; return 1; }
    local port
    for port in "$REDIS_PORT" "$PG_PORT" "$API_PORT" $(seq "$LOG_PORT" $((LOG_PORT + WORKERS - 1))); do
        if port_taken "$port"; then
            echo "port $port is already taken on 127.0.0.1 (set CRESTWATCH_STACK_*_PORT)" >&2
            return 1
        fi
    done
    local h
    h=$(mktemp -d "${TMPDIR:-/tmp}/crestwatch-celery.XXXXXX")
    chmod 711 "$h"  # the PostgreSQL user must reach its folder, nobody may list the others
    mkdir -p "$STATE" "$h/redis" "$h/pg" "$h/airflow/config" "$h/logs" "$h/pids"
    echo "$h" > "$STATE/home"
    (umask 077
     secret > "$h/pg/password"; secret > "$h/redis/password"; secret > "$h/jwt_secret"
     secret > "$h/api_secret"; secret > "$h/admin_password"
     "$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' \
         > "$h/fernet_key"
     printf '{"admin": "%s"}' "$(cat "$h/admin_password")" > "$h/airflow/passwords.json")
    cp "$ROOT/scripts/airflow_local_settings.py" "$h/airflow/config/"
    write_env "$h"
    chmod 600 "$h/env"

    (umask 077
     cat > "$h/redis/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
dir $h/redis
requirepass $(cat "$h/redis/password")
appendonly yes
appendfsync everysec
save ""
daemonize no
EOF
    )
    start_redis
    init_postgres

    # shellcheck disable=SC1091
    (source "$h/env"
     airflow db migrate >"$h/logs/db-migrate.log" 2>&1 \
         || { tail -n 30 "$h/logs/db-migrate.log" >&2; exit 1; }
     # The pools the ingest DAG uses (as docker-compose's airflow-init creates them).
     python3 - "$h/pools.json" <<'EOF'
import json, sys
pools = {f"crestwatch_{p}": 4 for p in ("x", "reddit", "bluesky", "mastodon", "jsonl")}
json.dump({name: {"slots": slots, "description": "celery stack", "include_deferred": False}
           for name, slots in pools.items()}, open(sys.argv[1], "w"))
EOF
     airflow pools import "$h/pools.json" >"$h/logs/pools.log" 2>&1 \
         || { cat "$h/logs/pools.log" >&2; exit 1; })

    supervise scheduler airflow scheduler
    supervise dag-processor airflow dag-processor
    supervise api-server airflow api-server --host 127.0.0.1 --port "$API_PORT" --workers 1
    local n
    for n in $(seq 1 "$WORKERS"); do start_worker "$n"; done
    if ! wait_until "the scheduler, dag-processor and api-server" healthy \
        || ! wait_until "the Celery workers" workers_ready; then
        rm -rf "$STATE/failed-logs" && cp -r "$h/logs" "$STATE/failed-logs"
        stop
        echo "the stack was stopped; its logs are kept in $STATE/failed-logs" >&2
        return 1
    fi
    api_url
}

stop() {
    local h part
    h=$(home || true)
    [ -n "$h" ] || return 0
    for part in "$h"/pids/worker-* "$h/pids/api-server" "$h/pids/scheduler" "$h/pids/dag-processor"; do
        [ -e "$part" ] && stop_group "$(basename "$part")" TERM
    done
    stop_postgres || true
    stop_redis
    rm -rf "$h"
    rm -f "$STATE/home"
}

worker_arg() {
    local n=${1:-} workers
    workers=$(stack_value WORKERS)
    if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$workers" ]; then
        echo "worker number 1..$workers expected, got '$n'" >&2
        exit 2
    fi
    [ -n "$(home)" ] || { echo "the stack is not started" >&2; exit 1; }
    echo "$n"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if all_up; then api_url; else echo "not running" >&2; exit 1; fi ;;
    env) h=$(home) || { echo "the stack is not started" >&2; exit 1; }; cat "$h/env" ;;
    kill-worker) n=$(worker_arg "${2:-}"); stop_group "worker-$n" KILL ;;
    start-worker)
        n=$(worker_arg "${2:-}")
        # A fresh log, so readiness is read from this start's lines.
        mv "$(home)/logs/worker-$n.log" "$(home)/logs/worker-$n.log.1" 2>/dev/null || true
        start_worker "$n"
        wait_until "worker $n" worker_ready "$n"
        ;;
    restart-redis) stop_redis; start_redis ;;
    restart-postgres) stop_postgres; start_postgres ;;
    *) echo "usage: $0 start|stop|status|env|kill-worker N|start-worker N|restart-redis|restart-postgres" >&2
       exit 2 ;;
esac
