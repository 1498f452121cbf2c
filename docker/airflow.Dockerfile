# Airflow 3.3 with Crestwatch installed: the image every Airflow service and the one-shot
# `crestwatch-setup` run. Build context: the repository root (see docker-compose.yml).
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

USER root
# Tesseract reads text inside images; the rest of Crestwatch's native needs come with its wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

# The project is installed in place (editable): the bundled config/, samples/ and reference
# files are found beside the packages, and docker-compose mounts config/ over the copy here.
COPY --chown=airflow:root pyproject.toml README.md /opt/crestwatch/
COPY --chown=airflow:root pipeline /opt/crestwatch/pipeline
COPY --chown=airflow:root detectors /opt/crestwatch/detectors
COPY --chown=airflow:root dashboards /opt/crestwatch/dashboards
COPY --chown=airflow:root config /opt/crestwatch/config
COPY --chown=airflow:root samples /opt/crestwatch/samples
# The DAGs too, so the image runs on its own where nothing mounts dags/ (Kubernetes, the Helm
# values in deploy/helm); docker-compose mounts ./dags over this copy.
COPY --chown=airflow:root dags /opt/airflow/dags

USER airflow
# Created here so the named volumes mounted on them start owned by the airflow user.
RUN mkdir -p /opt/airflow/crestwatch-data /opt/airflow/auth
ARG AIRFLOW_VERSION
# Pinning apache-airflow keeps pip from moving the image's Airflow while resolving Crestwatch;
# the celery extra (Celery provider, Redis client) serves the CeleryExecutor deployments.
RUN pip install --no-cache-dir "apache-airflow[postgres]==${AIRFLOW_VERSION}" \
        -e "/opt/crestwatch[airflow,celery]"

ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
