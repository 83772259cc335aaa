# syntax=docker/dockerfile:1
# Bullets: Korean/English news summarizer. Multi-stage: build the venv (and optionally bake models)
# in one stage, copy it into a slim non-root runtime.
#   docker build -t bullets .                                        # extractive only, no model files
#   docker build -t bullets --build-arg MODEL_PRESET=recommended .   # bake the recommended models in

FROM python:3.11-slim AS build
ARG MODEL_PRESET=""
# CPU-only torch: the pinned torch==2.13.0 resolves to 2.13.0+cpu from this index, not the CUDA build
ENV PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SUMMARIZER_MODELS_DIR=/models
WORKDIR /app
COPY requirements.txt ./
COPY scripts/setup.sh scripts/setup.sh
# the same install script CI runs
RUN bash scripts/setup.sh
COPY models/ models/
COPY service/ service/
COPY samples/ samples/
# models are downloaded here, at build time, never at request time; with the default backend (auto)
# the download also writes their CTranslate2 int8 conversions, so a container starts without converting
RUN mkdir -p /models && if [ -n "$MODEL_PRESET" ]; then \
      PYTHONPATH=/app .venv/bin/python -m service models download --preset "$MODEL_PRESET"; \
    fi

FROM python:3.11-slim
ARG MODEL_PRESET=""
LABEL org.opencontainers.image.title="bullets" \
      org.opencontainers.image.description="Korean and English news articles into short bullet points" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
WORKDIR /app
# code and venv stay root-owned (the app cannot change them); /models is the app's, so a model
# mounted there without a conversion can still be converted on first load
COPY --from=build /app /app
COPY --from=build --chown=app:app /models /models
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface \
    SUMMARIZER_MODELS_DIR=/models \
    SUMMARIZER_PRESET=$MODEL_PRESET \
    SUMMARIZER_HOST=0.0.0.0 \
    SUMMARIZER_PORT=8000
USER 10001
EXPOSE 8000
# no curl in the image: the venv's python asks /healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('SUMMARIZER_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]
CMD ["python", "-m", "service", "serve"]
