"""Deterministic train/holdout split by record id (stable across reruns and record order)."""
from __future__ import annotations

import hashlib
from typing import Sequence


def in_holdout(record_id: str, holdout_fraction: float) -> bool:
    h = int.from_bytes(hashlib.sha256(f"tenantguard/split/{record_id}".encode()).digest()[:8], "big")
    return h / 2**64 < holdout_fraction


def split_train_holdout(records: Sequence[dict], holdout_fraction: float = 0.2) -> tuple[list[dict], list[dict]]:
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"Expected holdout_fraction in (0, 1), got {holdout_fraction}")
    train, holdout = [], []
    for r in records:
        (holdout if in_holdout(str(r["record_id"]), holdout_fraction) else train).append(r)
    return train, holdout
