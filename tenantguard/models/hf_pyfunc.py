"""MLflow pyfunc for Hugging Face causal LMs (Model I/O contract, docs/contracts.md).

One artifact, `model`: a directory with `tenantguard_hf.json` saying what it holds:
- `base`: a full checkpoint (hf_checkpoint's layout) - the shared base `<feature>.base`;
- `lora`: a PEFT adapter only; the base is named by registry version, corpus digest and weights digest and is
  loaded from the registry (the same tracking URI), then checked, so an adapter never runs on another base;
- `full`: a full fine-tuned checkpoint, which also names its base (the reference for scoring).

Tasks (params `task`): generate (default), score, score_tokens, score_reference, score_tokens_reference. The
reference is the base: for an adapter, the adapter disabled on this very loaded object.
"""
from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from tenantguard.errors import CheckpointInvalid

META = "tenantguard_hf.json"
KINDS = ("base", "lora", "full")
TASKS = ("generate", "score", "score_tokens", "score_reference", "score_tokens_reference")


def signature():
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "prompt", required=False), ColSpec("string", "text", required=False)]),
        params=ParamSchema([ParamSpec("task", "string", "generate"), ParamSpec("max_tokens", "long", 48),
                            ParamSpec("temperature", "double", 0.0), ParamSpec("seed", "long", 0)]),
    )


def read_meta(path: Path) -> dict:
    try:
        meta = json.loads((path / META).read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointInvalid(f"{path}/{META} is missing or not JSON ({exc.__class__.__name__}); "
                                f"log the model with a tenantguard hf tuner") from None
    if meta.get("kind") not in KINDS:
        raise CheckpointInvalid(f"{path}/{META}: kind {meta.get('kind')!r} is not one of {', '.join(KINDS)}")
    return meta


class HFPyfunc(mlflow.pyfunc.PythonModel):
    """generate: DataFrame{prompt} -> list[str]; score*: DataFrame{text} -> list[float] / list[list[float]]."""

    def load_context(self, context):
        from tenantguard.config import Settings

        self.load_dir(Path(context.artifacts["model"]), Settings.from_env().hf.max_tokens_per_batch)

    def load_dir(self, path: Path, max_tokens_per_batch: int) -> None:
        from tenantguard.models import hf_checkpoint
        from tenantguard.models.hf_lm import quiet

        quiet()
        self.meta = meta = read_meta(path)
        self.kind = meta["kind"]
        if self.kind == "base":
            self.lm = hf_checkpoint.load(path, max_tokens_per_batch=max_tokens_per_batch)
            self.weights_digest = hf_checkpoint.weights_digest(path)
            return
        base = load_base(meta.get("base") or {}, where=str(path))
        if self.kind == "full":
            self.lm = hf_checkpoint.load(path, max_tokens_per_batch=max_tokens_per_batch)
            self.lm.reference_lm = base.lm
            self.weights_digest = hf_checkpoint.weights_digest(path)
            return
        from peft import PeftModel

        from tenantguard.models.hf_lm import HFLM

        try:
            model = PeftModel.from_pretrained(base.lm.model, str(path), is_trainable=False)
        except Exception as exc:  # a corrupt or foreign adapter: unusable either way
            raise CheckpointInvalid(f"adapter {path} does not load onto its base ({' '.join(str(exc).split())[:160]})"
                                    ) from None
        model.eval()
        self.lm = HFLM(model, base.lm.tokenizer, max_tokens_per_batch=max_tokens_per_batch, name=str(path))
        self.weights_digest = base.weights_digest

    def predict(self, context, model_input: pd.DataFrame, params=None):
        params = params or {}
        task = params.get("task", "generate")
        if task not in TASKS:
            raise ValueError(f"Expected params.task in {TASKS}, got {task!r}")
        if task == "generate":
            return self.lm.generate([str(p) for p in model_input["prompt"]],
                                    max_new_tokens=int(params.get("max_tokens", 48)),
                                    temperature=float(params.get("temperature", 0.0)), seed=int(params.get("seed", 0)))
        texts = [str(t) for t in model_input["text"]]
        reference = task.endswith("_reference")
        if task.startswith("score_tokens"):
            return [row.tolist() for row in self.lm.score_tokens(texts, reference=reference)]
        return [float(x) for x in self.lm.score(texts, reference=reference)]


def load_base(ref: dict, *, where: str) -> HFPyfunc:
    """The registered base an adapter names, checked against its corpus digest and weights digest."""
    import mlflow
    from mlflow.exceptions import MlflowException

    name, version = ref.get("name"), ref.get("version")
    if not name or not version:
        raise CheckpointInvalid(f"{where}/{META} names no base (name and version); re-log it with its tuner")
    label = f"{name}/{version}"
    try:
        mv = mlflow.MlflowClient().get_model_version(name, str(version))
    except MlflowException:
        raise CheckpointInvalid(f"this model was tuned from {label}, which the registry at "
                                f"{mlflow.get_tracking_uri()} does not have; load it against the store it was "
                                f"registered in") from None
    digest = mv.tags.get("tenantguard.dataset_digest", "")
    if ref.get("digest", "") != digest:
        raise CheckpointInvalid(f"this model was tuned from {label} with corpus digest {ref.get('digest')!r}, but "
                                f"{label} now has {digest!r}: it is an adapter for another base; retune it")
    base = mlflow.pyfunc.load_model(f"models:/{label}").unwrap_python_model()
    if not isinstance(base, HFPyfunc) or base.kind != "base":
        raise CheckpointInvalid(f"this model was tuned from {label}, which is not a Hugging Face base checkpoint")
    if ref.get("weights") and ref["weights"] != base.weights_digest:
        raise CheckpointInvalid(f"this model was tuned from {label} with weights {ref['weights']}, but {label} "
                                f"has weights {base.weights_digest}: an adapter for another base; retune it")
    return base
