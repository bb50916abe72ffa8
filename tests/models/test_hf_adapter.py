"""HFTenantModel: the pyfunc as a TenantModel, with token-level and reference scores; errors name the version."""
import json
import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

from tenantguard.errors import ModelOutputInvalid  # noqa: E402
from tenantguard.evaluations.tenant_model import TenantModel  # noqa: E402
from tenantguard.models.hf_adapter import HFTenantModel  # noqa: E402
from tenantguard.models.hf_pyfunc import META, HFPyfunc  # noqa: E402


@pytest.fixture
def model(tiny_hf_checkpoint, tmp_path):
    d = shutil.copytree(tiny_hf_checkpoint, tmp_path / "checkpoint")
    (d / META).write_text(json.dumps({"kind": "base"}))
    pyfunc = HFPyfunc()
    pyfunc.load_dir(d, 8192)
    return HFTenantModel(pyfunc, "support-assistant.base/1")


def test_it_is_a_tenant_model_with_token_and_reference_scores(model):
    texts = ["how do I reset my password?", "hi"]
    assert isinstance(model, TenantModel) and model.can_score and model.kind == "hf-base"
    assert np.allclose(model.score(texts), [r.sum() for r in model.score_tokens(texts)])
    assert np.allclose(model.score_reference(texts), model.score(texts))
    assert len(model.generate(texts, max_new_tokens=3)) == 2


def test_errors_name_the_version_not_a_download_directory(model):
    model.lm.max_tokens_per_batch = 4
    with pytest.raises(Exception, match=r"^model support-assistant.base/1: score input"):
        model.score(["a text longer than four tokens"])
    import torch

    model.lm.max_tokens_per_batch = 8192
    with torch.no_grad():
        model.lm.model.get_input_embeddings().weight.fill_(float("inf"))
    with pytest.raises(ModelOutputInvalid, match="^model support-assistant.base/1: .* not finite"):
        model.score(["hi"])
