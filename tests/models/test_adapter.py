"""Any pyfunc meeting the Model I/O contract works through the adapter; the default model is unwrapped."""
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from tenantguard.errors import ModelOutputInvalid
from tenantguard.models.adapter import NGramTenantModel, PyfuncTenantModel, load_tenant_model
from tenantguard.models.ngram import NGramLM


class ContractModel(mlflow.pyfunc.PythonModel):
    """A stand-in for a platform's own model: `shape` picks the output container the contract allows."""

    def __init__(self, shape="list", scores=True, rows_off=0, bad_type=False):
        self.shape, self.scores, self.rows_off, self.bad_type = shape, scores, rows_off, bad_type

    def predict(self, context, model_input, params=None):
        if (params or {}).get("task") == "score":
            if not self.scores:
                raise ValueError("this model does not score")
            return [-float(len(t)) for t in model_input["text"]]
        out = [f"re: {p}" for p in model_input["prompt"]]
        out = out[: len(out) - self.rows_off] if self.rows_off else out
        if self.bad_type:
            out[0] = 42
        if self.shape == "series":
            return pd.Series(out)
        if self.shape == "frame":
            return pd.DataFrame({"completion": out, "extra": 1})
        return out


def _signature():
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(inputs=Schema([ColSpec("string", "prompt", required=False),
                                         ColSpec("string", "text", required=False)]),
                          params=ParamSchema([ParamSpec("task", "string", "generate")]))


def _load(tmp_path, name, *, signature=True, **kw):
    path = tmp_path / name
    mlflow.pyfunc.save_model(str(path), python_model=ContractModel(**kw), pip_requirements=[],
                             signature=_signature() if signature else None)
    return load_tenant_model(str(path), name=name)


@pytest.mark.parametrize("shape", ["list", "series", "frame"])
def test_any_contract_output_container_generates_strings(tmp_path, shape):
    m = _load(tmp_path, shape, shape=shape)
    assert isinstance(m, PyfuncTenantModel) and m.can_score
    assert m.generate(["a", "bb"]) == ["re: a", "re: bb"]
    np.testing.assert_allclose(m.score(["abc", "de"]), [-3.0, -2.0])


def test_a_model_that_refuses_to_score_is_black_box(tmp_path):
    m = _load(tmp_path, "blackbox", scores=False)
    assert m.can_score is False
    assert m.generate(["x"]) == ["re: x"]
    with pytest.raises(NotImplementedError, match="black-box"):
        m.score(["x"])


def test_without_a_task_param_in_the_signature_mlflow_drops_params_so_the_model_is_black_box(tmp_path):
    """MLflow ignores params a signature does not declare: a scoring model must declare `task`."""
    m = _load(tmp_path, "nosig", signature=False)
    assert m.can_score is False and m.generate(["x"]) == ["re: x"]


def test_wrong_row_count_is_a_model_output_error_naming_the_model(tmp_path):
    m = _load(tmp_path, "short", rows_off=1)
    with pytest.raises(ModelOutputInvalid, match="model short: predict returned 1 rows for 2 inputs"):
        m.generate(["a", "b"])


def test_non_string_completion_is_a_model_output_error(tmp_path):
    m = _load(tmp_path, "ints", bad_type=True)
    with pytest.raises(ModelOutputInvalid, match="completion 0 is int, expected str"):
        m.generate(["a", "b"])


def test_the_default_ngram_pyfunc_is_unwrapped_and_scores_like_the_lm(tmp_path):
    from pathlib import Path

    import tenantguard.models.ngram_model_code as code
    from tenantguard.models.pyfunc import signature

    lm = NGramLM(4).fit(["where is my parcel?\nyour parcel left the depot on may 3."] * 3)
    lm.save(tmp_path / "lm.json.gz")
    mlflow.pyfunc.save_model(str(tmp_path / "ngram"), python_model=str(Path(code.__file__)),
                             artifacts={"lm": str(tmp_path / "lm.json.gz")}, pip_requirements=[],
                             signature=signature())
    m = load_tenant_model(str(tmp_path / "ngram"))
    assert isinstance(m, NGramTenantModel) and m.can_score
    texts = ["your parcel left the depot", "glaciers are slow"]
    np.testing.assert_allclose(m.score(texts), lm.score(texts))
    assert m.generate(["where is my parcel?"]) == ["your parcel left the depot on may 3."]
    # and through plain pyfunc predict, per the Model I/O contract
    raw = mlflow.pyfunc.load_model(str(tmp_path / "ngram"))
    assert raw.predict(pd.DataFrame({"prompt": ["where is my parcel?"]})) == m.generate(["where is my parcel?"])
    scored = raw.predict(pd.DataFrame({"text": texts}), params={"task": "score"})
    np.testing.assert_allclose(scored, lm.score(texts))
    with pytest.raises(Exception, match="task"):
        raw.predict(pd.DataFrame({"text": texts}), params={"task": "embed"})
