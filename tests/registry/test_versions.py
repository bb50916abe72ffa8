"""Adopting a version registered outside Dagster against a real SQLite MLflow store: only with the tenant's
and the feature's tags, then status `candidate` and alias `candidate` on it."""
import mlflow
import pytest

from tenantguard.errors import TenantGuardError
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.versions import Registered, adopt_candidate
from tenantguard.tenants import Tenant

FEATURE = "support-assistant"
ACME = Tenant(id="acme", name="Acme", region="eu-west", features=(FEATURE,), system_prompt="hi")
NAME = T.model_name(FEATURE, "acme")


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return list(model_input["prompt"])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Versions of `support-assistant.acme` registered the way a platform's own job does (plain MLflow)."""
    root = tmp_path_factory.mktemp("versions")
    reg = R.Registry(f"sqlite:///{root / 'mlflow.db'}", root / "mlartifacts")
    with mlflow.start_run(experiment_id=reg.experiment_id("platform-tuner")) as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), pip_requirements=[])
    right = {T.TAG_TENANT: "acme", T.TAG_FEATURE: FEATURE}
    versions = {}
    for label, tags in (("clean", {**right, T.TAG_DIGEST: "d-clean"}), ("other_tenant", {**right, T.TAG_TENANT: "borealis"}),
                        ("other_feature", {**right, T.TAG_FEATURE: "search"}), ("untagged", {}),
                        ("rejected", {**right, T.TAG_STATUS: "rejected"}), ("second", right)):
        versions[label] = str(mlflow.register_model(info.model_uri, NAME, tags=tags).version)
    yield reg, versions, run.info.run_id
    mlflow.set_tracking_uri(None)


def tags(reg, version):
    return reg.client.get_model_version(NAME, version).tags


@pytest.mark.parametrize("label", ["other_tenant", "other_feature", "untagged"])
def test_a_version_without_this_tenants_and_features_tags_is_refused(store, label):
    reg, versions, _ = store
    with pytest.raises(TenantGuardError, match=rf"{NAME}/{versions[label]}: tags tenantguard.tenant/"
                                               rf"tenantguard.feature must be 'acme'/'{FEATURE}'"):
        adopt_candidate(reg, ACME, FEATURE, versions[label])
    assert reg.alias_version(NAME, "candidate") != versions[label]
    assert T.TAG_STATUS not in tags(reg, versions[label])


def test_a_version_that_does_not_exist_is_named(store):
    reg, _, _ = store
    with pytest.raises(TenantGuardError, match=rf"^{NAME}/99 does not exist in the registry$"):
        adopt_candidate(reg, ACME, FEATURE, "99")


def test_adopting_sets_status_candidate_and_points_the_candidate_alias_at_it(store):
    reg, versions, run_id = store
    out = adopt_candidate(reg, ACME, FEATURE, versions["clean"])
    assert out == Registered(NAME, versions["clean"], run_id, True, "d-clean")
    assert out.uri == f"models:/{NAME}/{versions['clean']}"
    assert tags(reg, versions["clean"])[T.TAG_STATUS] == "candidate"
    assert reg.alias_version(NAME, "candidate") == versions["clean"]
    # a later adoption moves the alias; the earlier version keeps its status
    assert adopt_candidate(reg, ACME, FEATURE, versions["second"]).dataset_digest is None
    assert reg.alias_version(NAME, "candidate") == versions["second"]
    assert tags(reg, versions["clean"])[T.TAG_STATUS] == "candidate"


def test_a_status_already_decided_is_not_overwritten(store):
    reg, versions, _ = store
    adopt_candidate(reg, ACME, FEATURE, versions["rejected"])
    assert tags(reg, versions["rejected"])[T.TAG_STATUS] == "rejected"
    assert reg.alias_version(NAME, "candidate") == versions["rejected"]
