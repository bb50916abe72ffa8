"""Where things live under the home (docs/contracts.md, "Home layout"): the one module that knows the paths.

    <home>/datasets/<tenant>/<version>.jsonl            fine-tuning datasets (TENANTGUARD_DATASETS overrides)
    <home>/prepared/<tenant>/current.json               {"digest": ...} of the newest prepared data
    <home>/prepared/<tenant>/<digest>/{train,holdout}.jsonl, manifest.json
    <home>/quarantine/<tenant>/<version>.jsonl          rejected lines with their reason
    <home>/base_corpus.jsonl                            the shared base's training texts
    <home>/segmentation.yaml                            the platform's segmentation adapters
    <home>/segmentation/<tenant>.json                   the latest segmentation report of a tenant
    <home>/monitoring/                                  fingerprint-index cache, production-watch state
"""
from __future__ import annotations

from pathlib import Path

from tenantguard.config import Settings

SEGMENTATION_FILE = "segmentation.yaml"
CURRENT = "current.json"
MANIFEST = "manifest.json"


def dataset_dir(settings: Settings, tenant_id: str) -> Path:
    return settings.datasets_root / tenant_id


def prepared_dir(settings: Settings, tenant_id: str) -> Path:
    return settings.prepared_root / tenant_id


def current_file(settings: Settings, tenant_id: str) -> Path:
    return prepared_dir(settings, tenant_id) / CURRENT


def quarantine_file(settings: Settings, tenant_id: str, version: str) -> Path:
    return settings.quarantine_root / tenant_id / f"{version}.jsonl"


def segmentation_config(settings: Settings) -> Path:
    return settings.home / SEGMENTATION_FILE


def segmentation_report(settings: Settings, tenant_id: str) -> Path:
    return settings.home / "segmentation" / f"{tenant_id}.json"


def monitoring_dir(settings: Settings) -> Path:
    return settings.home / "monitoring"
