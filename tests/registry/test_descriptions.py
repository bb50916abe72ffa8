"""Version descriptions: one section per topic, replaced in place, others' text kept."""
from tenantguard.registry.descriptions import with_section


def test_a_topic_is_appended_then_replaced_and_other_text_survives():
    d = with_section("Trained by the platform team.", "champion guard", "moved back to v1")
    assert d == "Trained by the platform team.\n\n**tenantguard champion guard:** moved back to v1"
    d = with_section(d, "verdict", "isolation passed")
    d = with_section(d, "champion guard", "kill switch #3 engaged\nat noon")
    assert d.splitlines() == ["Trained by the platform team.", "", "**tenantguard champion guard:** kill switch #3 "
                              "engaged at noon", "", "**tenantguard verdict:** isolation passed"]


def test_an_empty_description_gets_just_the_section():
    assert with_section("", "verdict", "x") == "**tenantguard verdict:** x"
