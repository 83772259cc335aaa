# syntax=docker/dockerfile:1
# Bullets: Korean/English news summarizer. Two images from one file:
#   docker build -t bullets .                                   # default: the extractive service, no model
#                                                               # libraries (requirements-core.txt)
#   docker build -t bullets:models --target models .            # + torch (CPU), transformers, CTranslate2
#   docker build -t bullets:models --target models --build-arg MODEL_PRESET=recommended .   # models baked in
# Each venv is built in its own stage and copied into a non-root runtime; code and venv stay root-owned.

# --- what both images share: the user, the environment, the health check, the command ---------------
FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="bullets" \
      org.opencontainers.image.description="Korean and English news articles into short bullet points" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SUMMARIZER_HOST=0.0.0.0 \
    SUMMARIZER_PORT=8000
EXPOSE 8000
# no curl in the image: the venv's python asks /healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('SUMMARIZER_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
CMD ["python", "-m", "service", "serve"]

# --- the extractive venv (requirements-core.txt, the hashed lock), installed by the same script CI runs ---
# (setup.sh installs the lock only, --no-deps, then runs pip check)
FROM python:3.11-slim AS build-core
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements-core.txt ./
COPY scripts/setup.sh scripts/setup.sh
# blingfire's wheel carries 97 MB the service never loads: tokenizer vocabularies (*.bin, *.i2w, read
# only by text_to_ids) and its Windows and macOS libraries; text_to_sentences needs only its .so
RUN bash scripts/setup.sh --core && \
    find .venv/lib/python3*/site-packages/blingfire -maxdepth 1 -type f \
      \( -name '*.bin' -o -name '*.i2w' -o -name '*.dll' -o -name '*.pdb' -o -name '*.dylib' \) -delete

# --- the complete venv (requirements.txt) and, with MODEL_PRESET, the models --------------------------
FROM build-core AS build-models
ARG MODEL_PRESET=""
# CPU-only torch: the lock pins torch==2.13.0+cpu, which this index serves (PyPI has only CUDA builds)
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV SUMMARIZER_MODELS_DIR=/models
COPY requirements.txt ./
RUN bash scripts/setup.sh
COPY models/ models/
COPY service/ service/
# models are downloaded here, at build time, never at request time; with the default backend (auto)
# the download also writes their CTranslate2 int8 conversions, so a container starts without converting
RUN mkdir -p /models && if [ -n "$MODEL_PRESET" ]; then \
      PYTHONPATH=/app .venv/bin/python -m service models download --preset "$MODEL_PRESET"; \
    fi

# --- the model image: docker build --target models ----------------------------------------------------
FROM runtime AS models
ARG MODEL_PRESET=""
COPY --from=build-models /app/.venv /app/.venv
# /models is the app's, so a model mounted there without a conversion can still be converted on first load
COPY --from=build-models --chown=app:app /models /models
COPY models/ models/
COPY service/ service/
COPY samples/ samples/
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface \
    SUMMARIZER_MODELS_DIR=/models \
    SUMMARIZER_PRESET=$MODEL_PRESET
USER 10001

# --- the default image (the last stage): extractive only, no torch, transformers or CTranslate2 ---------
FROM runtime AS default
ARG MODEL_PRESET=""
RUN if [ -n "$MODEL_PRESET" ]; then \
      echo "MODEL_PRESET needs the model libraries: build with --target models" >&2; exit 1; \
    fi
COPY --from=build-core /app/.venv /app/.venv
COPY models/ models/
COPY service/ service/
COPY samples/ samples/
USER 10001
