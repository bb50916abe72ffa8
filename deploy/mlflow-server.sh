#!/usr/bin/env bash
# MLflow tracking server + Model Registry on PostgreSQL, artifacts proxied from a local (or object-store) root.
# Clients (Dagster workers, the tenantguard CLI) then use MLFLOW_TRACKING_URI=http://<host>:5000, or the
# database URL directly (MLFLOW_TRACKING_URI=postgresql://...) when they share MLFLOW_ARTIFACTS_DESTINATION.
set -euo pipefail
: "${MLFLOW_BACKEND_STORE_URI:?set it, e.g. postgresql+psycopg2://mlflow:PASSWORD@db:5432/mlflow (see tenantguard.env.example)}"
: "${MLFLOW_ARTIFACTS_DESTINATION:?set it, e.g. /srv/mlflow/artifacts or s3://bucket/mlflow}"
exec mlflow server \
  --backend-store-uri "$MLFLOW_BACKEND_STORE_URI" \
  --artifacts-destination "$MLFLOW_ARTIFACTS_DESTINATION" \
  --serve-artifacts \
  --host "${MLFLOW_HOST:-127.0.0.1}" --port "${MLFLOW_PORT:-5000}" \
  --workers "${MLFLOW_WORKERS:-4}"
