# One image for the three Dagster services of docker-compose.yml: user-code gRPC server, webserver,
# daemon. Runs are executed by the user-code container, so it carries the OCR system packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DATASET_PLATFORM_HOME=/data

# Offline OCR baseline (Thai + English) and the Thai font the demo forms are rendered with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-tha fonts-thai-tlwg \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app

# Dependencies first, from the lock file only: this layer is rebuilt when uv.lock changes, not on
# every code change.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project

COPY dataset_platform ./dataset_platform
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev

COPY workspace.yaml ./
COPY deploy/entrypoint.sh /usr/local/bin/dataset-platform-entrypoint
# The production instance (Postgres storage, run queue); the repo-root dagster.yaml is the local one.
COPY deploy/dagster.yaml ${DAGSTER_HOME}/dagster.yaml

# Non-root. The storage and data directories exist in the image with this owner so that named
# volumes mounted there start out writable by it.
RUN useradd --system --uid 10001 --create-home --home-dir /home/dagster dagster \
    && mkdir -p ${DAGSTER_HOME}/storage ${DATASET_PLATFORM_HOME} \
    && chown -R dagster:dagster ${DAGSTER_HOME}/storage ${DATASET_PLATFORM_HOME}
USER dagster

ENTRYPOINT ["dataset-platform-entrypoint"]
CMD ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "/app/workspace.yaml"]
