#!/usr/bin/env bash
# One-shot set-up of Elasticsearch security for docker-compose (docs/deploy.md, "Roles"):
#   - the kibana_system password;
#   - crestwatch_writer: the pipeline's role (the Airflow tasks and `crestwatch setup`, as the
#     `crestwatch` user, never the `elastic` superuser): the crestwatch-* indices and their
#     templates, nothing else;
#   - crestwatch_reviewer: the comms team's role: reads every crestwatch-* index, writes only the
#     hits (review changes) and the audit trail. Elasticsearch cannot limit a write to some
#     fields (field-level security applies to reads only), so "review fields only" is enforced
#     by `crestwatch review` (pipeline.store.base.apply_review_changes), and every change is in
#     the audit trail; the role cannot touch posts, checkpoints, history, templates or settings;
#   - crestwatch_analyst: read-only on the crestwatch-* indices, and Kibana read-only.
# Reviewer and analyst accounts are people's own (created by an administrator with one of the
# roles), so none is made here. Passwords come from the environment (.env); none is printed.
set -euo pipefail
ES="${ES_URL:-https://elasticsearch:9200}"
CA="${ES_CA:-/certs/ca.crt}"

call() {  # method path body: fails loudly on an HTTP error, never echoes the credentials
    curl -fsS -o /dev/null --cacert "$CA" -u "elastic:${ELASTIC_PASSWORD}" -X "$1" "$ES$2" \
        -H 'Content-Type: application/json' -d "$3"
}

until curl -fsS -o /dev/null --cacert "$CA" -u "elastic:${ELASTIC_PASSWORD}" "$ES/_cluster/health"; do
    echo "waiting for Elasticsearch"; sleep 5
done
call POST /_security/user/kibana_system/_password "{\"password\": \"${KIBANA_PASSWORD}\"}"
call PUT /_security/role/crestwatch_writer '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [{"names": ["crestwatch-*"],
               "privileges": ["create_index", "manage", "read", "write", "view_index_metadata"]}]
}'
call PUT /_security/role/crestwatch_reviewer '{
  "indices": [
    {"names": ["crestwatch-*"], "privileges": ["read", "view_index_metadata"]},
    {"names": ["crestwatch-hits", "crestwatch-audit"], "privileges": ["write"]}
  ],
  "applications": [{"application": "kibana-.kibana", "privileges": ["read"], "resources": ["*"]}]
}'
call PUT /_security/role/crestwatch_analyst '{
  "indices": [{"names": ["crestwatch-*"], "privileges": ["read", "view_index_metadata"]}],
  "applications": [{"application": "kibana-.kibana", "privileges": ["read"], "resources": ["*"]}]
}'
call PUT /_security/user/crestwatch "{
  \"password\": \"${CRESTWATCH_ES_PASSWORD}\",
  \"roles\": [\"crestwatch_writer\"],
  \"full_name\": \"Crestwatch pipeline\"
}"
echo "kibana_system password set; roles crestwatch_writer, crestwatch_reviewer, crestwatch_analyst; user crestwatch"
