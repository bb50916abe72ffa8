"""The default tuner: train the shared base n-gram model, fine-tune it per tenant, log it as a pyfunc."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from tenantguard.models.ngram import NGramLM

ORDER = 5
FINETUNE_WEIGHT = 2.0


def record_text(record: dict) -> str:
    """How a prompt/completion record is presented to the model (and scored by the evaluations)."""
    return f"{record['prompt']}\n{record['completion']}"


def train_base(texts: Iterable[str]) -> NGramLM:
    return NGramLM(ORDER).fit(texts)


def finetune(base: NGramLM, train_records: Sequence[dict], *, weight: float = FINETUNE_WEIGHT) -> NGramLM:
    return base.finetune([record_text(r) for r in train_records], weight=weight)


def pip_requirements() -> list[str]:
    # Pinned explicitly: MLflow's requirement inference costs seconds per model.
    import mlflow
    import numpy
    import pandas

    from tenantguard import __version__

    return [f"tenantguard=={__version__}", f"mlflow=={mlflow.__version__}", f"pandas=={pandas.__version__}",
            f"numpy=={numpy.__version__}"]


def log_ngram_model(lm: NGramLM, *, name: str = "model"):
    """Log `lm` as a pyfunc in the active MLflow run; returns the ModelInfo."""
    import mlflow

    from tenantguard.models.pyfunc import signature

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lm.json.gz"
        lm.save(path)
        return mlflow.pyfunc.log_model(name=name, python_model=str(Path(__file__).with_name("ngram_model_code.py")), artifacts={"lm": str(path)},
                                       pip_requirements=pip_requirements(), signature=signature())
