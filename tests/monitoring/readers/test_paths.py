"""Attribute paths: the first that holds a value wins; dotted paths walk into JSON objects."""
from tenantguard.monitoring.readers.paths import KEY_PATHS, TENANT_PATHS, Resolver, dig, first


def test_dig_matches_a_whole_dotted_key_before_walking_into_objects():
    record = {"metadata": {"user_api_key_team_id": "acme", "a.b": {"c": 1}}, "tenant.id": "flat"}
    assert dig(record, "metadata.user_api_key_team_id") == "acme"
    assert dig(record, "tenant.id") == "flat"
    assert dig(record, "metadata.a.b.c") == 1
    assert dig(record, "metadata.missing") is None and dig("text", "a") is None


def test_first_skips_empty_and_non_text_values_and_turns_numbers_into_text():
    values = {"a": "", "b": None, "c": True, "d": 42, "e": "x"}
    assert first(values.get, ["a", "b", "c", "d", "e"]) == "42"
    assert first(values.get, ["a", "b"]) is None


def test_given_paths_replace_the_defaults_and_none_keep_them():
    assert Resolver.of() == Resolver(TENANT_PATHS, KEY_PATHS)
    assert Resolver.of(["x"], []).tenant_paths == ("x",) and Resolver.of(["x"], []).key_paths == KEY_PATHS
    assert KEY_PATHS[:3] == ("user.id", "enduser.id", "metadata.user_api_key_hash")
