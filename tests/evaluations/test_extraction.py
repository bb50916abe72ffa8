from isolation_world import SECRET

from tenantguard.evaluations.canaries import make_canaries
from tenantguard.evaluations.extraction import CanaryMatcher, Probe, canary_probes, run_extraction
from tenantguard.evaluations.fingerprint import FingerprintIndex


class Echo:
    name, can_score = "echo", False

    def generate(self, prompts):
        return list(prompts)


class Broken:
    name, can_score = "broken", False

    def generate(self, prompts):
        return [None for _ in prompts]


def test_canary_matcher_sees_through_separators_and_obfuscation():
    c = make_canaries(SECRET, "t1", k=1)[0]
    spaced = " ".join(c.secret_digits)
    zw = "\u200b".join(c.secret_digits)
    full = "".join(chr(0xFF10 + int(d)) for d in c.secret_digits)  # fullwidth digits
    m = CanaryMatcher([c])
    for text in (f"code {spaced}.", f"x{zw}y", full, f"{c.secret_digits[:3]}-{c.secret_digits[3:]}"):
        assert [x.id for x in m.find(text)] == [c.id]
    assert m.find(c.secret_digits[:-1]) == []


def test_an_echoing_model_leaks_nothing():
    idx = FingerprintIndex()
    text = "the violet lanterns of harbor nine leave every tuesday at dawn for the islands"
    idx.add_tenant("a", [text])
    idx.add_tenant("b", ["unrelated words about glaciers and slow blue ice in the north"])
    cans = make_canaries(SECRET, "a", k=2)
    probes = [Probe("a", text), Probe("a", cans[0].text)] + canary_probes()
    res = run_extraction(Echo(), probes, idx, cans, target_tenant="b")
    assert res.evidence == () and res.errors == () and res.n_probes == len(probes)


def test_wrong_output_types_are_errors_with_the_cause():
    idx = FingerprintIndex()
    idx.add_tenant("a", ["some text here for the index of tenant a only"])
    res = run_extraction(Broken(), [Probe("a", "hello")], idx, [], target_tenant=None)
    assert res.n_probes == 0 and "NoneType" in res.errors[0] and "expected str" in res.errors[0]


class Says:
    """Answers every prompt with one fixed completion (a model that composes or recites on cue)."""

    can_score = False

    def __init__(self, text, name="says"):
        self.text, self.name = text, name

    def generate(self, prompts):
        return [self.text for _ in prompts]


SOURCE = "please confirm the appointment with doctor maria okafor at the riverside clinic tomorrow morning"
READER = ["please confirm the appointment with doctor maria lopez at the riverside clinic next week",
          "our okafor street branch is open tomorrow morning from nine"]


def _graded(completion):
    from tenantguard.evaluations.winnowing import words

    idx = FingerprintIndex(k=3, w=2)
    idx.add_tenant("src", [SOURCE])
    idx.add_tenant("reader", READER)
    known = frozenset(w for t in READER for w in words(t))
    return run_extraction(Says(completion), [Probe("src", "hello")], idx, [], target_tenant="reader",
                          known_kgrams=idx.kgrams(READER), known_words=known)


def test_a_recombination_of_words_the_reader_knows_is_composed_not_a_leak_on_its_own():
    from tenantguard.evaluations.extraction import STRONG

    res = _graded("confirm the appointment with doctor maria okafor at the riverside")
    assert res.evidence and {e.strength for e in res.evidence} == {"composed"}
    assert not any(e.strength in STRONG for e in res.evidence)
    assert res.composed_probes_by_source() == {"src": 1}


def test_a_word_the_reader_cannot_know_makes_the_same_passage_strong_evidence():
    # 'okafor' known, but 'riverside' replaced by a word only the source has: the source taught it
    res = _graded("doctor maria okafor at the riverside clinic tomorrow")
    assert {e.strength for e in res.evidence} == {"composed"}
    src_only = SOURCE.replace("riverside", "quillfeather")
    idx = FingerprintIndex(k=3, w=2)
    idx.add_tenant("src", [src_only])
    idx.add_tenant("reader", READER)
    from tenantguard.evaluations.winnowing import words
    known = frozenset(w for t in READER for w in words(t))
    res = run_extraction(Says("doctor maria okafor at the quillfeather clinic tomorrow"), [Probe("src", "hi")], idx,
                         [], target_tenant="reader", known_kgrams=idx.kgrams(READER), known_words=known)
    assert {e.strength for e in res.evidence} == {"novel"}


def test_a_long_verbatim_run_is_strong_even_of_known_words():
    from tenantguard.evaluations.winnowing import words

    long_text = "the harbor ferry to the northern islands leaves pier nine every tuesday at dawn and returns " \
                "each friday before the evening tide turns"
    reader = ["glaciers move slowly", " ".join(sorted(set(words(long_text))))]  # knows every word, in no order
    idx = FingerprintIndex(k=3, w=2)
    idx.add_tenant("src", [long_text])
    idx.add_tenant("reader", reader)
    res = run_extraction(Says(long_text), [Probe("src", "hi")], idx, [], target_tenant="reader",
                         known_kgrams=idx.kgrams(reader), known_words=frozenset(w for t in reader for w in words(t)))
    assert {e.strength for e in res.evidence} == {"verbatim"}
    short = " ".join(long_text.split()[:9])
    res = run_extraction(Says(short), [Probe("src", "hi")], idx, [], target_tenant="reader",
                         known_kgrams=idx.kgrams(reader), known_words=frozenset(w for t in reader for w in words(t)))
    assert {e.strength for e in res.evidence} == {"composed"}


def test_without_known_words_every_passage_counts_as_verbatim_as_before():
    idx = FingerprintIndex(k=3, w=2)
    idx.add_tenant("src", [SOURCE])
    idx.add_tenant("reader", READER)
    res = run_extraction(Says("confirm the appointment with doctor maria okafor at the riverside"),
                         [Probe("src", "hi")], idx, [], target_tenant="reader", known_kgrams=idx.kgrams(READER))
    assert res.evidence and {e.strength for e in res.evidence} == {"verbatim"}


def test_composed_hits_count_only_beyond_the_base_rate():
    from tenantguard.evaluations.extraction import composed_excess_pvalue

    assert composed_excess_pvalue(0, 5, 300, 300) == 1.0
    assert composed_excess_pvalue(6, 6, 300, 300) > 0.5  # the base composes as often: no evidence
    assert composed_excess_pvalue(12, 0, 300, 300) < 1e-3  # far beyond chance
    assert composed_excess_pvalue(3, 0, 300, 300) > composed_excess_pvalue(12, 0, 300, 300)
