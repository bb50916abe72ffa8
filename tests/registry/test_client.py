"""Registry on a real SQLite MLflow store: versions, tags, aliases read back, reachability."""
import mlflow
import pytest

from tenantguard.config import Settings
from tenantguard.errors import MlflowUnavailable
from tenantguard.registry import client as R
from tenantguard.registry import tags as T


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store with one logged pyfunc, registered 11 times as `support-assistant.acme`."""
    root = tmp_path_factory.mktemp("registry")
    reg = R.Registry(f"sqlite:///{root / 'mlflow.db'}", root / "mlartifacts")
    exp = reg.experiment_id("tenantguard/acme")

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return list(model_input["prompt"])

    with mlflow.start_run(experiment_id=exp) as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), pip_requirements=[])
    name = T.model_name("support-assistant", "acme")
    for i in range(1, 12):
        reg.register(name, info.model_uri, run.info.run_id,
                     {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant", T.TAG_DIGEST: f"d{i % 3}"})
    return reg, name, root


def test_experiments_store_artifacts_under_the_home_artifact_root(store):
    reg, _, root = store
    exp = reg.client.get_experiment(reg.experiment_id("tenantguard/acme"))
    assert exp.artifact_location.startswith((root / "mlartifacts").resolve().as_uri())
    assert reg.experiment_id("tenantguard/acme") == exp.experiment_id  # found, not created twice


def test_versions_sort_numerically_and_carry_tags(store):
    reg, name, _ = store
    versions = reg.versions(name)
    assert [int(v.version) for v in versions] == list(range(1, 12))  # 10 and 11 after 9
    assert versions[0].tags[T.TAG_TENANT] == "acme" and versions[0].tags[T.TAG_DIGEST] == "d1"
    assert reg.client.get_registered_model(name).tags == {T.TAG_TENANT: "acme", T.TAG_FEATURE: "support-assistant"}


def test_find_version_returns_the_newest_match(store):
    reg, name, _ = store
    assert str(reg.find_version(name, {T.TAG_DIGEST: "d1"}).version) == "10"
    assert reg.find_version(name, {T.TAG_DIGEST: "nope"}) is None
    assert reg.versions("support-assistant.nobody") == []


def test_point_alias_reads_back_and_is_idempotent(store):
    reg, name, _ = store
    assert reg.alias_version(name, "champion") is None
    reg.point_alias(name, "champion", "9")
    assert reg.alias_version(name, "champion") == "9"
    reg.point_alias(name, "champion", "9")
    reg.point_alias(name, "champion", "11")
    assert reg.alias_version(name, "champion") == "11"
    assert reg.alias_version("support-assistant.nobody", "champion") is None


def test_tag_version(store):
    reg, name, _ = store
    reg.tag_version(name, "3", {T.TAG_STATUS: "rejected", T.TAG_ISOLATION: "failed"})
    tags = reg.client.get_model_version(name, "3").tags
    assert tags[T.TAG_STATUS] == "rejected" and tags[T.TAG_ISOLATION] == "failed"


def test_sqlite_store_in_a_missing_directory_is_unavailable_with_the_fix(tmp_path):
    reg = R.Registry(f"sqlite:///{tmp_path / 'nope' / 'mlflow.db'}")
    with pytest.raises(MlflowUnavailable, match="does not exist.*TENANTGUARD_HOME / MLFLOW_TRACKING_URI"):
        reg.check_reachable()


def test_default_store_is_reachable_once_the_home_exists(tg_home):
    s = Settings.from_env()
    s.ensure_home()
    R.Registry(s.mlflow_tracking_uri, s.artifact_root).check_reachable()
    assert (s.home / "mlflow.db").exists()


def test_an_unreachable_tracking_server_is_one_line_naming_the_uri_and_the_fix():
    with pytest.raises(MlflowUnavailable) as info:
        R.Registry("http://127.0.0.1:9").check_reachable()  # nothing listens on the discard port
    assert str(info.value) == ("MLflow store http://127.0.0.1:9 is unreachable (Connection refused); start the server "
                               "or fix MLFLOW_TRACKING_URI")


def test_cause_names_the_os_error_inside_a_connection_failure():
    exc = Exception("API request to http://h:9/api failed with exception HTTPConnectionPool(host='h', port=9): Max "
                    "retries exceeded (Caused by NewConnectionError(\"...: [Errno -2] Name or service not known\"))")
    assert R.cause(exc) == "Name or service not known"


def test_cause_cuts_a_long_message_at_a_word_boundary_or_not_at_all():
    words = Exception("alpha beta gamma delta " * 20)
    cut = R.cause(words, limit=30)
    assert cut == "alpha beta gamma delta alpha ..." and len(cut) <= 34
    one_word = Exception("x" * 300)
    assert R.cause(one_word, limit=30) == "x" * 300
    assert R.cause(Exception("first line\nsecond line")) == "first line"
    assert R.cause(KeyError()) == "KeyError"
