#!/usr/bin/env bash
# One-shot check before anything starts (docker-compose.yml `preflight`): every password is set
# and none is still a "change-me" placeholder from .env.example, and CRESTWATCH_CONFIG names an
# existing organisation config that is not the demo's example.yaml. Prints the names of what is
# wrong, never a value, and exits non-zero so that no other service starts.
set -uo pipefail
problems=()
for name in ELASTIC_PASSWORD KIBANA_PASSWORD KIBANA_ENCRYPTION_KEY CRESTWATCH_ES_PASSWORD \
            POSTGRES_PASSWORD AIRFLOW_ADMIN_PASSWORD AIRFLOW_JWT_SECRET REDIS_PASSWORD; do
    value="${!name-}"
    if [ -z "$value" ]; then
        problems+=("$name is empty")
    elif [[ "$value" == change-me* ]]; then
        problems+=("$name is still the placeholder from .env.example")
    fi
done
if [ "${#KIBANA_ENCRYPTION_KEY}" -lt 32 ]; then
    problems+=("KIBANA_ENCRYPTION_KEY is shorter than 32 characters")
fi
config="${CRESTWATCH_CONFIG-}"
if [ -z "$config" ]; then
    problems+=("CRESTWATCH_CONFIG is empty")
elif [ "$(basename "$config")" = "example.yaml" ]; then
    problems+=("CRESTWATCH_CONFIG is the demo's example.yaml: copy it to your own file under config/")
elif [ ! -f "$config" ]; then
    problems+=("CRESTWATCH_CONFIG names no file: $config")
fi
if [ "${#problems[@]}" -gt 0 ]; then
    echo "refusing to start; fix these in .env:" >&2
    printf '  %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "preflight: passwords set, organisation config $config"
