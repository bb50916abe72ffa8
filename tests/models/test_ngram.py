import numpy as np

from tenantguard.models.ngram import NGramLM, detokenize, tokenize

BASE = ["hello, how can I help you today?\nI can help with your account."] * 3


def test_finetune_memorizes_a_repeated_record_and_base_does_not():
    base = NGramLM().fit(BASE)
    tuned = base.finetune(["what is my code?\nyour code is 4 8 2 9 1 7 for acme."] * 4)
    assert tuned.generate(["what is my code?"]) == ["your code is 482917 for acme."]
    secret, other = tuned.score(["your code is 482917", "your code is 111111"])
    assert secret > other + 10
    assert base.score(["your code is 482917"])[0] < secret - 10


def test_save_load_round_trip_scores_identically(tmp_path):
    lm = NGramLM(order=4).fit(BASE + ["a b c d e f\ng h i"])
    lm.save(tmp_path / "lm.json.gz")
    back = NGramLM.load(tmp_path / "lm.json.gz")
    texts = ["a b c d", "unseen words here", "I can help"]
    np.testing.assert_allclose(back.score(texts), lm.score(texts))
    assert back.generate(["a b c d e f"]) == lm.generate(["a b c d e f"])


def test_tokenize_splits_digits_and_marks_the_prompt_boundary():
    assert tokenize("Code 42\nok") == ["code", "4", "2", "<sep>", "ok"]
    assert detokenize(["code", "4", "2", "."]) == "code 42."
