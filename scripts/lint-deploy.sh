#!/usr/bin/env bash
# Lint what ships: the Dockerfile (hadolint; no Docker engine is needed) and the Kubernetes and
# Compose manifests (schema-validated offline).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/hadolint Dockerfile
.venv/bin/kubernetes-validate --strict --quiet deploy/*.yaml
.venv/bin/python -c "import sys, yaml; d = yaml.safe_load(open('docker-compose.yml')); sys.exit(0 if 'bullets' in d['services'] else 1)"
echo "deploy lint: Dockerfile, deploy/*.yaml and docker-compose.yml OK"
