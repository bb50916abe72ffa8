import math

from tenantguard.evaluations.model_kinds import PROFILES, power_statement, profile


def test_measured_kinds_state_their_power_and_unknown_kinds_say_it_is_unknown():
    assert profile("ngram").light_tail and profile("ngram").recites_only
    assert "0.5%" in power_statement("ngram") and "95% power" in power_statement("ngram")
    p = profile("someone-elses-model")
    assert not p.light_tail and not p.recites_only and math.isnan(p.detects_95pct)
    assert "not measured" in power_statement("someone-elses-model")


def test_every_measured_figure_names_its_benchmark():
    for kind, p in PROFILES.items():
        assert math.isnan(p.detects_95pct) or (0 < p.detects_95pct < 1 and p.measured_by.startswith("benchmarks/")), kind
