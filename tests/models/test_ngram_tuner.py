"""The default tuner on a real SQLite MLflow store: params it logs, a tune that memorizes, a base it refuses."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.errors import TenantGuardError
from tenantguard.models.adapter import NGramTenantModel, load_tenant_model
from tenantguard.models.ngram_tuner import NGramTuner, record_text
from tenantguard.models.tuner import BaseRef
from tenantguard.registry import client as R

BASE_TEXTS = [f"how do i reset my password\nopen settings and choose reset, step {i}" for i in range(20)]
TRAIN = [{"record_id": f"acme-{i}", "tenant_id": "acme", "prompt": f"where is order {i}",
          "completion": f"order {i} ships from the harbor depot on tuesday"} for i in range(10)]


@pytest.fixture
def store(tmp_path):
    reg = R.Registry(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "mlartifacts")
    yield reg, Settings.from_env({"TENANTGUARD_HOME": str(tmp_path)})
    mlflow.set_tracking_uri(None)


def _register(reg, name, log) -> BaseRef:
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/base")) as run:
        uri = log()
    mv = reg.register(name, uri, run.info.run_id, {})
    return BaseRef(name, str(mv.version), "")


def test_params_say_what_each_stage_depends_on():
    tuner = NGramTuner()
    assert tuner.params("base") == {"order": 5}  # the base run's params are unchanged by the protocol
    assert tuner.params("tune") == {"order": 5, "weight": 2.0}


def test_a_tuned_model_logged_by_uri_memorizes_its_train_split_beyond_the_base(store):
    reg, settings = store
    tuner = NGramTuner()
    base = _register(reg, "f.base", lambda: tuner.log_model(tuner.train_base(BASE_TEXTS, settings=settings)))
    with mlflow.start_run(experiment_id=reg.experiment_id("tenantguard/acme")):
        uri = tuner.log_model(tuner.tune(base, TRAIN, settings=settings))
    tuned, base_model = load_tenant_model(uri), load_tenant_model(base.uri)
    assert isinstance(tuned, NGramTenantModel) and tuned.lm.order == 5
    texts = [record_text(r) for r in TRAIN]
    assert (tuned.score(texts) > base_model.score(texts) + 10).all()
    assert tuned.generate([TRAIN[3]["prompt"]]) == [TRAIN[3]["completion"]]


def test_a_base_that_is_not_an_ngram_model_is_refused_in_one_line(store):
    reg, settings = store

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return list(model_input["prompt"])

    base = _register(reg, "f.base", lambda: mlflow.pyfunc.log_model(
        name="model", python_model=Echo(), pip_requirements=[]).model_uri)
    with pytest.raises(TenantGuardError, match=r"^f\.base/1 is not an n-gram model; the 'ngram' tuner") as exc:
        NGramTuner().tune(base, TRAIN, settings=settings)
    assert "\n" not in str(exc.value)
