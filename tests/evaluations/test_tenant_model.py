"""TenantModel is a runtime-checkable Protocol: the built-in models conform structurally, without inheriting."""
import pytest

from tenantguard.evaluations.tenant_model import TenantModel
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM
from tenantguard.models.retrieval import NearestNeighbourModel

MEMBERS = ("name", "can_score", "generate", "score")


class EchoModel:
    """A platform's own black-box model: no tenantguard base class, only the four members."""

    name = "echo"
    can_score = False

    def generate(self, prompts):
        return list(prompts)

    def score(self, texts):
        raise NotImplementedError("black-box")


def _without(member: str):
    """EchoModel with one member missing."""
    attrs = {m: getattr(EchoModel, m) for m in MEMBERS if m != member}
    return type(f"No_{member}", (), attrs)()


def test_the_built_in_models_and_a_users_own_class_are_tenant_models():
    lm = NGramLM(2).fit(["where is my parcel\nit left the depot"])
    records = [{"record_id": "r1", "tenant_id": "acme", "prompt": "where is my parcel", "completion": "at the depot"}]
    for model in (NGramTenantModel(lm, "ngram"), NearestNeighbourModel(records), EchoModel()):
        assert isinstance(model, TenantModel), type(model).__name__
        assert TenantModel not in type(model).__mro__  # structural: nothing inherits from the protocol


@pytest.mark.parametrize("member", MEMBERS)
def test_an_object_missing_any_member_is_not_a_tenant_model(member):
    assert isinstance(_without(member), TenantModel) is False


def test_a_raw_pyfunc_is_not_a_tenant_model_until_adapted():
    class Pyfunc:
        def predict(self, model_input, params=None):
            return ["ok"] * len(model_input)

    assert not isinstance(Pyfunc(), TenantModel)

