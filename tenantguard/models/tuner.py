"""The Tuner protocol: what a tuner provides so the gates can train the shared base, tune a tenant from it
and register both in MLflow (docs/extending/tuners.md).

A tuner is stateless configuration: the gate calls its methods inside an MLflow run it opened, and owns
everything around them (registry names, lineage tags, idempotent reuse, aliases, the base audit).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar, runtime_checkable

from tenantguard.config import Settings

M = TypeVar("M")
Stage = Literal["base", "tune"]
ParamValue = str | int | float | bool


@dataclass(frozen=True)
class BaseRef:
    """The registered base a tenant is tuned from; an adapter-only model names it by version and digest."""

    name: str  # `<feature>.base`
    version: str
    digest: str  # the base version's corpus digest (tag tenantguard.dataset_digest); "" if it has none

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@runtime_checkable
class Tuner(Protocol[M]):
    """Trains the base, tunes tenants and logs either as a pyfunc meeting the Model I/O contract.

    `M` is the tuner's own in-memory model type: what `train_base`/`tune` return, `log_model` receives.
    """

    name: str  # registry-visible (tag tenantguard.tuner): lower case, digits, '.', '_', '-'

    def params(self, stage: Stage) -> Mapping[str, ParamValue]:
        """The configuration the `stage` run depends on, logged as MLflow params; a rerun reuses a version
        only if its run logged the same values, so a changed setting (rank, checkpoint) retrains."""
        ...

    def train_base(self, texts: Sequence[str], *, settings: Settings) -> M:
        """Train (or adopt a local checkpoint as) the shared base; `texts` is the base corpus."""
        ...

    def tune(self, base: BaseRef, train: Sequence[dict], *, settings: Settings) -> M:
        """Tune `base` on one tenant's prepared train split (record dicts: record_id, tenant_id, prompt,
        completion); load the base from `base.uri`, refuse one this tuner cannot tune (TenantGuardError)."""
        ...

    def log_model(self, model: M) -> str:
        """Log `model` in the active MLflow run, loadable by URI without this tuner; returns the model URI."""
        ...


def pip_requirements(*extra: str) -> list[str]:
    """Pinned requirements of a logged tenantguard pyfunc plus the installed versions of `extra` distributions.

    Pinned explicitly: MLflow's requirement inference costs seconds per model.
    """
    from importlib import metadata

    import mlflow
    import numpy
    import pandas

    from tenantguard import __version__

    return [f"tenantguard=={__version__}", f"mlflow=={mlflow.__version__}", f"pandas=={pandas.__version__}",
            f"numpy=={numpy.__version__}", *(f"{dist}=={metadata.version(dist)}" for dist in extra)]
