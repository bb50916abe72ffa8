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
