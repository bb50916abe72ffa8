"""MLflow pyfunc wrapper of the default n-gram model (Model I/O contract, docs/contracts.md)."""
from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

TASKS = ("generate", "score")


def signature():
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "prompt", required=False), ColSpec("string", "text", required=False)]),
        params=ParamSchema([ParamSpec("task", "string", "generate"), ParamSpec("max_tokens", "long", 48)]),
    )


class NGramPyfunc(mlflow.pyfunc.PythonModel):
    """generate: DataFrame{prompt} -> list[str]; score (params task=score): DataFrame{text} -> list[float]."""

    def load_context(self, context):
        from tenantguard.models.ngram import NGramLM

        self.lm = NGramLM.load(context.artifacts["lm"])

    def predict(self, context, model_input: pd.DataFrame, params=None):
        params = params or {}
        task = params.get("task", "generate")
        if task not in TASKS:
            raise ValueError(f"Expected params.task in {TASKS}, got {task!r}")
        if task == "score":
            return [float(x) for x in self.lm.score([str(t) for t in model_input["text"]])]
        return self.lm.generate([str(p) for p in model_input["prompt"]], max_tokens=int(params.get("max_tokens", 48)))
