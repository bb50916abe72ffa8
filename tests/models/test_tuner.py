"""The Tuner protocol: what a tuner must provide, the base reference it tunes from, pinned requirements."""
from importlib import metadata

from tenantguard import __version__
from tenantguard.models.ngram_tuner import NGramTuner
from tenantguard.models.tuner import BaseRef, Tuner, pip_requirements


def test_a_base_ref_addresses_its_registered_version():
    ref = BaseRef("support-assistant.base", "3", "abc123")
    assert ref.uri == "models:/support-assistant.base/3"


def test_the_ngram_tuner_is_a_tuner_and_an_object_missing_a_method_is_not():
    assert isinstance(NGramTuner(), Tuner)

    class NoLogging:
        name = "half"

        def params(self, stage):
            return {}

        def train_base(self, texts, *, settings):
            return None

        def tune(self, base, train, *, settings):
            return None

    assert not isinstance(NoLogging(), Tuner)


def test_pip_requirements_pin_the_runtime_and_the_installed_versions_of_extras():
    reqs = pip_requirements("click")
    assert reqs[0] == f"tenantguard=={__version__}"
    assert {r.split("==")[0] for r in reqs} == {"tenantguard", "mlflow", "pandas", "numpy", "click"}
    assert reqs[-1] == f"click=={metadata.version('click')}"
    assert all(r.count("==") == 1 and r.split("==")[1] for r in reqs)
