#!/usr/bin/env bash
# One-shot set-up of Elasticsearch security for docker-compose: the kibana_system password, and
# a `crestwatch` user whose role may write only the crestwatch-* indices and their templates
# (the Airflow tasks and `crestwatch setup` use it, never the `elastic` superuser).
# Passwords come from the environment (.env); none is printed.
set -euo pipefail
ES="${ES_URL:-http://elasticsearch:9200}"

call() {  # method path body: fails loudly on an HTTP error, never echoes the credentials
    curl -fsS -o /dev/null -u "elastic:${ELASTIC_PASSWORD}" -X "$1" "$ES$2" \
        -H 'Content-Type: application/json' -d "$3"
}

until curl -fsS -o /dev/null -u "elastic:${ELASTIC_PASSWORD}" "$ES/_cluster/health"; do
    echo "waiting for Elasticsearch"; sleep 5
done
call POST /_security/user/kibana_system/_password "{\"password\": \"${KIBANA_PASSWORD}\"}"
call PUT /_security/role/crestwatch_writer '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [{"names": ["crestwatch-*"], "privileges": ["all"]}]
}'
call PUT /_security/user/crestwatch "{
  \"password\": \"${CRESTWATCH_ES_PASSWORD}\",
  \"roles\": [\"crestwatch_writer\"],
  \"full_name\": \"Crestwatch pipeline\"
}"
echo "kibana_system password set; user crestwatch (role crestwatch_writer) in place"
