"""The default n-gram model as a logged, registered MLflow pyfunc on a real SQLite store: generate and score
answer per the Model I/O contract (docs/contracts.md), through plain `mlflow.pyfunc.load_model`."""
import mlflow
import numpy as np
import pandas as pd
import pytest

from tenantguard.models.ngram import tokenize
from tenantguard.models.ngram_tuner import log_ngram_model, train_base
from tenantguard.models.pyfunc import NGramPyfunc
from tenantguard.registry import client as R

pytestmark = pytest.mark.slow  # a fresh SQLite MLflow store and one logged model: ~10 s

TEXTS = [f"where is parcel {i}?\nparcel {i} left the harbor depot on monday and arrives on friday." for i in range(12)]
PROMPTS = ["where is parcel 3?", "where is parcel 7?"]


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pyfunc")
    reg = R.Registry(f"sqlite:///{tmp / 'mlflow.db'}", tmp / "mlartifacts")
    lm = train_base(TEXTS)
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/acme")) as run:
        info = log_ngram_model(lm)
    reg.register("support-assistant.acme", info.model_uri, run.info.run_id, {})
    yield lm, info, mlflow.pyfunc.load_model("models:/support-assistant.acme/1")
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def test_generate_returns_one_completion_string_per_prompt_row(logged):
    lm, _, model = logged
    out = model.predict(pd.DataFrame({"prompt": PROMPTS}))
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, str) for o in out)
    assert out == lm.generate(PROMPTS) and out[0].startswith("parcel 3 left the harbor depot")


def test_score_returns_the_total_log_probability_of_each_text_as_floats(logged):
    lm, _, model = logged
    texts = [TEXTS[2], "glaciers are slow"]
    out = model.predict(pd.DataFrame({"text": texts}), params={"task": "score"})
    assert [type(x) for x in out] == [float, float]
    np.testing.assert_allclose(out, lm.score(texts))
    assert out[0] > out[1] and all(x < 0 for x in out)  # a training text is far likelier; log-probabilities


def test_max_tokens_bounds_the_completion(logged):
    _, _, model = logged
    full = model.predict(pd.DataFrame({"prompt": PROMPTS[:1]}))[0]
    short = model.predict(pd.DataFrame({"prompt": PROMPTS[:1]}), params={"max_tokens": 3})[0]
    assert len(tokenize(short)) == 3 < len(tokenize(full)) and full.startswith(short)


def test_the_signature_declares_the_task_and_max_tokens_params_so_mlflow_passes_them(logged):
    _, _, model = logged
    inputs = {c.name: c.required for c in model.metadata.get_input_schema().inputs}
    assert inputs == {"prompt": False, "text": False}  # generate sends prompts, score sends texts
    params = {p.name: p.default for p in model.metadata.get_params_schema().params}
    assert params == {"task": "generate", "max_tokens": 48}


def test_the_run_artifact_and_the_registered_version_load_the_same_model(logged):
    lm, info, model = logged
    by_run = mlflow.pyfunc.load_model(info.model_uri)
    inner = by_run.unwrap_python_model()
    assert isinstance(inner, NGramPyfunc) and isinstance(model.unwrap_python_model(), NGramPyfunc)
    assert by_run.predict(pd.DataFrame({"prompt": PROMPTS})) == model.predict(pd.DataFrame({"prompt": PROMPTS}))
    np.testing.assert_allclose(inner.lm.score(TEXTS), lm.score(TEXTS))


def test_an_unknown_task_is_refused_naming_the_tasks(logged):
    _, _, model = logged
    with pytest.raises(ValueError, match=r"Expected params.task in \('generate', 'score'\), got 'embed'"):
        model.predict(pd.DataFrame({"text": ["x"]}), params={"task": "embed"})
