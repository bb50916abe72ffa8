import numpy as np

from tenantguard.evaluations.token_stats import TokenScores
from tenantguard.home.score_cache import ScoreCache
from tenantguard.models.adapter import NGramTenantModel
from tenantguard.models.cached import CachedReference
from tenantguard.models.ngram import NGramLM

TEXTS = [f"order {i} for customer {i * 7} ships on day {i % 5}\nthanks, your order {i} is confirmed" for i in range(30)]


class TokenBase(NGramTenantModel):
    """The n-gram base with per-token scores (real ones: the n-gram's own conditional log-probs)."""

    can_score_tokens = True

    def score_tokens(self, texts):
        from tenantguard.models.ngram import BOS, EOS, tokenize

        out = []
        for t in texts:
            toks = [BOS] * (self.lm.order - 1) + tokenize(t) + [EOS]
            lps = np.array([self.lm.logprob(toks[i], toks[:i]) for i in range(self.lm.order - 1, len(toks))])
            out.append(TokenScores(lps) if len(out) % 2 else lps)  # both row shapes the contract allows
        return out


def test_a_second_candidate_pays_nothing_for_the_base_and_gets_the_same_numbers(tmp_path):
    base_lm = NGramLM().fit(TEXTS[::2])
    texts, prompts = TEXTS[:20], [t.split("\n")[0] for t in TEXTS[:10]]
    plain = TokenBase(base_lm, "base")
    first = CachedReference(plain, ScoreCache(tmp_path / "b.sqlite", b"k"))
    s1, t1, g1 = first.score(texts), first.score_tokens(texts), first.generate(prompts)
    assert first.computed == {"score": 20, "score_tokens": 20, "generate": len(set(prompts))}
    second = CachedReference(TokenBase(base_lm, "base"), ScoreCache(tmp_path / "b.sqlite", b"k"))
    s2, t2, g2 = second.score(texts), second.score_tokens(texts), second.generate(prompts)
    assert second.computed == {"score": 0, "score_tokens": 0, "generate": 0}
    np.testing.assert_allclose(s2, plain.score(texts))
    np.testing.assert_allclose(s1, s2)
    assert all(np.allclose(a.logprobs, b.logprobs) for a, b in zip(t1, t2)) and g1 == g2 == plain.generate(prompts)


def test_sampled_generation_is_never_served_from_the_cache(tmp_path):
    base_lm = NGramLM().fit(TEXTS[::2])

    class Sampling(NGramTenantModel):
        deterministic_generate = False

    c = CachedReference(Sampling(base_lm, "base"), ScoreCache(tmp_path / "b.sqlite", b"k"))
    c.generate(["hello there"])
    c.generate(["hello there"])
    assert c.computed["generate"] == 0 and len(c.cache) == 0
