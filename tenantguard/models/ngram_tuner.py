"""The default tuner, `ngram`: train the shared base n-gram model, fine-tune it per tenant, log it as a pyfunc.

`NGramTuner` is the Tuner protocol's implementation; the functions under it are the same steps for code
that drives the n-gram model directly (tests, benchmarks, the demo's external tuning job).
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.evaluations.isolation import record_text
from tenantguard.models.ngram import NGramLM
from tenantguard.models.tuner import BaseRef, ParamValue, Stage, pip_requirements

ORDER = 5
FINETUNE_WEIGHT = 2.0


def train_base(texts: Iterable[str], *, order: int = ORDER) -> NGramLM:
    return NGramLM(order).fit(texts)


def finetune(base: NGramLM, train_records: Sequence[dict], *, weight: float = FINETUNE_WEIGHT) -> NGramLM:
    return base.finetune([record_text(r) for r in train_records], weight=weight)


def log_ngram_model(lm: NGramLM, *, name: str = "model"):
    """Log `lm` as a pyfunc in the active MLflow run; returns the ModelInfo."""
    import mlflow

    from tenantguard.models.pyfunc import signature

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lm.json.gz"
        lm.save(path)
        return mlflow.pyfunc.log_model(name=name, python_model=str(Path(__file__).with_name("ngram_model_code.py")),
                                       artifacts={"lm": str(path)}, pip_requirements=pip_requirements(),
                                       signature=signature())


@dataclass(frozen=True)
class NGramTuner:
    """Word n-gram base; a tenant's model adds `weight` x its train split's counts to the base's."""

    name: str = "ngram"
    order: int = ORDER
    weight: float = FINETUNE_WEIGHT

    def params(self, stage: Stage) -> Mapping[str, ParamValue]:
        return {"order": self.order} if stage == "base" else {"order": self.order, "weight": self.weight}

    def train_base(self, texts: Sequence[str], *, settings: Settings) -> NGramLM:
        return train_base(texts, order=self.order)

    def tune(self, base: BaseRef, train: Sequence[dict], *, settings: Settings) -> NGramLM:
        from tenantguard.models.adapter import NGramTenantModel, load_tenant_model

        loaded = load_tenant_model(base.uri)
        if not isinstance(loaded, NGramTenantModel):
            raise TenantGuardError(f"{base.name}/{base.version} is not an n-gram model; the {self.name!r} tuner "
                                   f"cannot fine-tune it (set TENANTGUARD_TUNER to the tuner that made it, or "
                                   f"register tenant versions from your own tuner instead)")
        return finetune(loaded.lm, train, weight=self.weight)

    def log_model(self, model: NGramLM) -> str:
        return log_ngram_model(model).model_uri
