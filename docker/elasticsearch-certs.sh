#!/usr/bin/env bash
# One-shot (docker-compose.yml `certs`): a private CA and the Elasticsearch node's certificate,
# made with elasticsearch-certutil as Elastic's own compose example does, once (kept in volumes).
#   /certs/ca-key   the CA's certificate and key (this service alone mounts it)
#   /certs/es       the node's certificate and key, and the CA certificate (Elasticsearch only)
#   /certs/ca-cert  the CA certificate alone (Kibana, the pipeline, the set-up services)
set -euo pipefail
cd /usr/share/elasticsearch
if [ ! -f /certs/ca-key/ca.key ]; then
    bin/elasticsearch-certutil ca --silent --pem --out /tmp/ca.zip
    unzip -q -o /tmp/ca.zip -d /tmp/ca && rm -f /tmp/ca.zip
    cp /tmp/ca/ca/ca.crt /tmp/ca/ca/ca.key /certs/ca-key/ && rm -rf /tmp/ca
fi
if [ ! -f /certs/es/elasticsearch.key ]; then
    # The names Kibana, the pipeline and the healthcheck reach the node by.
    cat > /tmp/instances.yml <<'YAML'
instances:
  - name: elasticsearch
    dns: [elasticsearch, localhost]
    ip: [127.0.0.1]
YAML
    bin/elasticsearch-certutil cert --silent --pem --in /tmp/instances.yml \
        --ca-cert /certs/ca-key/ca.crt --ca-key /certs/ca-key/ca.key --out /tmp/es.zip
    unzip -q -o /tmp/es.zip -d /tmp/es && rm -f /tmp/es.zip /tmp/instances.yml
    cp /tmp/es/elasticsearch/elasticsearch.crt /tmp/es/elasticsearch/elasticsearch.key /certs/es/
    rm -rf /tmp/es
fi
cp /certs/ca-key/ca.crt /certs/es/ca.crt
cp /certs/ca-key/ca.crt /certs/ca-cert/ca.crt
# Elasticsearch runs as uid 1000 in group 0: keys readable by owner and group root only; the CA
# certificate is public. The CA key is root's alone.
chown -R root:root /certs/ca-key /certs/es /certs/ca-cert
chmod 700 /certs/ca-key && chmod 600 /certs/ca-key/*
chmod 750 /certs/es && chmod 640 /certs/es/*
chmod 755 /certs/ca-cert && chmod 644 /certs/ca-cert/ca.crt
echo "certificates in place"
