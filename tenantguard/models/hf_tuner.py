"""The Hugging Face tuners: `hf-lora` (a PEFT LoRA adapter per tenant) and `hf-full` (a full fine-tune).

Both train the same base: a tiny GPT-2-architecture LM with its own byte-level BPE, from scratch on the base
corpus (hf_checkpoint), or the local checkpoint TENANTGUARD_HF_CHECKPOINT names. Configuration is
Settings.hf (TENANTGUARD_HF_BASE, TENANTGUARD_HF_TUNE); every setting that changes a model is in `params`, so
changing one retrains (docs/extending/tuners.md, "Reuse").
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tenantguard.config import HF_BASE_KEYS, HF_TUNE_KEYS, HFSettings, Settings
from tenantguard.errors import CheckpointInvalid, ConfigError, TenantGuardError
from tenantguard.evaluations.isolation import record_text
from tenantguard.models.tuner import BaseRef, ParamValue, Stage, pip_requirements

REQUIREMENTS = ("torch", "transformers", "peft", "safetensors", "tokenizers")


@dataclass
class HFArtifact:
    """What train_base/tune return: a model directory (hf_pyfunc's layout) and its training metrics."""

    path: Path
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HFTuner:
    name: str = "hf-lora"
    lora: bool = True

    def params(self, stage: Stage) -> Mapping[str, ParamValue]:
        hf = Settings.from_env().hf
        if stage == "base":
            if hf.checkpoint is not None:
                return {"hf_checkpoint": str(hf.checkpoint), "hf_checkpoint_weights": _weights_or_missing(hf)}
            return {f"hf_{k}": getattr(hf, k) for k in HF_BASE_KEYS}
        keys = HF_TUNE_KEYS if self.lora else tuple(k for k in HF_TUNE_KEYS if k not in ("rank", "alpha", "targets"))
        return {f"hf_{k}": "+".join(v) if isinstance(v := getattr(hf, k), tuple) else v for k in keys}

    def train_base(self, texts: Sequence[str], *, settings: Settings) -> HFArtifact:
        _require_hf(self.name)
        from tenantguard.models import hf_checkpoint
        from tenantguard.models.hf_lm import quiet

        quiet()
        hf = settings.hf
        out = _scratch("checkpoint")
        try:
            if hf.checkpoint is not None:
                hf_checkpoint.load(hf.checkpoint, max_tokens_per_batch=hf.max_tokens_per_batch)  # refuses a bad one
                shutil.copytree(hf.checkpoint, out, dirs_exist_ok=True)
                metrics = {}
            else:
                metrics = hf_checkpoint.train_tiny_base(texts, hf, out)
            _write_meta(out, {"kind": "base", "weights": hf_checkpoint.weights_digest(out)})
        except BaseException:
            shutil.rmtree(out.parent, ignore_errors=True)
            raise
        return HFArtifact(out, metrics)

    def tune(self, base: BaseRef, train: Sequence[dict], *, settings: Settings) -> HFArtifact:
        _require_hf(self.name)
        import mlflow

        from tenantguard.models.hf_lm import HFLM, fit, quiet
        from tenantguard.models.hf_pyfunc import HFPyfunc

        quiet()
        loaded = mlflow.pyfunc.load_model(base.uri).unwrap_python_model()
        if not isinstance(loaded, HFPyfunc) or loaded.kind != "base":
            raise TenantGuardError(f"{base.name}/{base.version} is not a Hugging Face base; the {self.name!r} tuner "
                                   f"cannot tune it (materialize base_model with TENANTGUARD_TUNER={self.name})")
        hf, lm = settings.hf, loaded.lm
        model = _with_lora(lm.model, hf) if self.lora else lm.model
        tuned = HFLM(model, lm.tokenizer, max_tokens_per_batch=hf.max_tokens_per_batch, name=f"{self.name} tune")
        metrics = fit(tuned, [record_text(r) for r in train], epochs=hf.epochs, lr=hf.lr, seed=hf.seed)
        out = _scratch("adapter" if self.lora else "checkpoint")
        try:
            if self.lora:
                model.save_pretrained(str(out))  # adapter_config.json + adapter_model.safetensors only
            else:
                from tenantguard.models import hf_checkpoint

                hf_checkpoint.save(tuned, out)
            ref = {"name": base.name, "version": base.version, "digest": base.digest, "weights": loaded.weights_digest}
            _write_meta(out, {"kind": "lora" if self.lora else "full", "base": ref})
        except BaseException:
            shutil.rmtree(out.parent, ignore_errors=True)
            raise
        return HFArtifact(out, metrics)

    def log_model(self, model: HFArtifact) -> str:
        import mlflow

        from tenantguard.models.hf_pyfunc import signature

        try:
            if model.metrics:
                mlflow.log_metrics(model.metrics)
            info = mlflow.pyfunc.log_model(name="model", python_model=str(Path(__file__).with_name("hf_model_code.py")),
                                           artifacts={"model": str(model.path)},
                                           pip_requirements=pip_requirements(*REQUIREMENTS), signature=signature())
        finally:
            shutil.rmtree(model.path.parent, ignore_errors=True)
        return info.model_uri


def _require_hf(tuner: str) -> None:
    import importlib.util

    missing = [m for m in REQUIREMENTS if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"TENANTGUARD_TUNER={tuner} needs {', '.join(missing)}: pip install 'tenantguard[hf]'")


def _with_lora(model, hf: HFSettings):
    from peft import LoraConfig, get_peft_model

    gpt2 = getattr(model.config, "model_type", "") == "gpt2"  # GPT-2 stores its projections transposed (Conv1D)
    cfg = LoraConfig(r=hf.rank, lora_alpha=hf.alpha, target_modules=list(hf.targets), lora_dropout=0.0,
                     bias="none", task_type="CAUSAL_LM", fan_in_fan_out=gpt2)
    try:
        return get_peft_model(model, cfg)
    except ValueError as exc:
        raise ConfigError(f"TENANTGUARD_HF_TUNE targets={'+'.join(hf.targets)}: the base has no such modules "
                          f"({' '.join(str(exc).split())[:120]}); name its attention/MLP projections") from None


def _scratch(name: str) -> Path:
    """A fresh directory named `name` (MLflow keeps the name: artifacts/<name> in the logged model)."""
    return Path(tempfile.mkdtemp(prefix="tg-hf-")) / name


def _write_meta(path: Path, meta: dict) -> None:
    from tenantguard.models.hf_pyfunc import META

    (path / META).write_text(json.dumps(meta, sort_keys=True))


def _weights_or_missing(hf: HFSettings) -> str:
    from tenantguard.models.hf_checkpoint import weights_digest

    try:
        return weights_digest(hf.checkpoint)  # type: ignore[arg-type]
    except OSError:
        return "missing"  # train_base then fails with the one-line reason


def make_lora() -> HFTuner:
    return HFTuner("hf-lora", lora=True)


def make_full() -> HFTuner:
    return HFTuner("hf-full", lora=False)
