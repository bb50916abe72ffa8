import numpy as np

from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.ngram import NGramLM
from tenantguard.models.reference import AdapterDisabled, reference_for

TEXTS = ["the clinic opens at nine on monday", "your order ships tomorrow morning"]


class WithAdapter(NGramTenantModel):
    """A candidate that can score as its base on the same object (an adapter it can switch off)."""

    def __init__(self, tuned, base):
        super().__init__(tuned, "cand")
        self._base = base

    def score_reference(self, texts):
        return self._base.score(texts)

    def score_tokens_reference(self, texts):
        return [[-1.0] * len(t.split()) for t in texts]


def test_a_candidate_with_a_switchable_adapter_is_its_own_reference_and_the_base_generates():
    base_lm = NGramLM().fit(TEXTS)
    tuned = base_lm.finetune(["a secret record about harbor nine"] * 3)
    base = NGramTenantModel(base_lm, "base")
    ref = reference_for(WithAdapter(tuned, base_lm), base)
    assert isinstance(ref, AdapterDisabled) and ref.can_score_tokens and ref.deterministic_generate
    np.testing.assert_allclose(ref.score(TEXTS), base_lm.score(TEXTS))
    assert ref.generate(["the clinic"]) == base.generate(["the clinic"])
    assert len(ref.score_tokens(TEXTS)[1]) == 5


def test_otherwise_the_separately_loaded_base_is_the_reference():
    base = NGramTenantModel(NGramLM().fit(TEXTS), "base")
    assert reference_for(NGramTenantModel(NGramLM().fit(TEXTS), "c"), base) is base
    assert reference_for(base, None) is None
