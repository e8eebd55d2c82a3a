# syntax=docker/dockerfile:1
# The appeals hub image: `appeals serve` by default; the same image runs `appeals worker`,
# `appeals migrate`, `appeals load-config …`, `appeals purge` and the demo simulators.
#
#   docker build -t appeals-hub .
#   docker run --rm -e APPEALS_DATABASE_URL=postgresql+asyncpg://… -p 8000:8000 appeals-hub
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: compilers and headers live only here -------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first (a layer that survives code changes): the runtime set only, no [dev].
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . \
    && pip uninstall -y appeals-hub \
    && rm -rf app build ./*.egg-info
# The project itself, editable: `app` resolves to /app/app, so app/migrate.py finds
# /app/alembic.ini and /app/migrations beside it, and the `appeals` script exists.
COPY app ./app
RUN pip install --no-deps -e . && rm -rf build

# ---- runtime: the interpreter, the venv and the source; nothing to compile with --------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="appeals-hub" \
      org.opencontainers.image.description="One place for every citizen appeal of a city" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APPEALS_ENVIRONMENT=prod \
    APPEALS_MIGRATE_ON_START=false \
    APPEALS_LOG_JSON=true \
    APPEALS_WEB_CONCURRENCY=2 \
    APPEALS_DATA_DIR=/app/var
# /app/var is the only writable place (the learned routing model); mount a volume there.
RUN groupadd --system --gid 10001 appeals \
    && useradd --system --uid 10001 --gid appeals --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin appeals \
    && mkdir -p /app/var/routing \
    && chown -R appeals:appeals /app/var
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY migrations ./migrations
COPY config ./config
COPY app ./app
USER 10001:10001
EXPOSE 8000
# The healthcheck is the api's; run other commands with `--no-healthcheck` (Compose: disable).
# uvicorn (PID 1 through the exec form below) drains requests in flight on SIGTERM.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# Worker processes: APPEALS_WEB_CONCURRENCY (read by `appeals serve`), no shell needed.
CMD ["appeals", "serve", "--host", "0.0.0.0", "--port", "8000"]
