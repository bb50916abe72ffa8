"""The nearest-neighbour retrieval model: answers with a training completion verbatim, and cannot score."""
import pytest

from tenantguard.demo.world import build_world
from tenantguard.models.retrieval import NearestNeighbourModel


@pytest.fixture(scope="module")
def records():
    world = build_world(1, seed=12, records_per_tenant=40)
    return world.datasets[world.tenants[0].id]


def test_a_training_prompt_gets_its_own_completion_back_verbatim(records):
    model = NearestNeighbourModel(records)
    assert model.generate([r["prompt"] for r in records]) == [r["completion"] for r in records]


def test_any_prompt_gets_the_completion_of_the_most_similar_training_prompt(records):
    model = NearestNeighbourModel(records)
    target = records[17]
    paraphrase = " ".join(reversed(target["prompt"].split()))  # same words, other order
    # a prompt sharing no word with any training prompt gets the first record's completion (all ties)
    assert model.generate([paraphrase, "glaciers melt slowly"]) == [target["completion"], records[0]["completion"]]
    completions = {r["completion"] for r in records}
    assert set(model.generate(["what is the weather", "tell me a joke"])) <= completions  # never new text


def test_it_is_black_box_and_says_so(records):
    model = NearestNeighbourModel(records, name="nn-acme")
    assert model.can_score is False and model.name == "nn-acme"
    with pytest.raises(NotImplementedError, match="model nn-acme is black-box"):
        model.score(["anything"])


def test_no_prompts_no_completions_and_no_records_no_model(records):
    assert NearestNeighbourModel(records).generate([]) == []
    with pytest.raises(ValueError, match="Expected at least one training record"):
        NearestNeighbourModel([])
